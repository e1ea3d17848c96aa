//! `/proc/sys/net/sctp/*`: the sysctls Linux has, with the values this
//! stack uses. A program reading them (lksctp-tools' tests read
//! `intl_enable` and `reconf_enable` to decide what to test) gets them
//! through the library's `open()` (see `preload`); the host stack takes
//! its defaults from [`stack_defaults`], so the two agree.

use crate::proto::Config;
use std::time::Duration;

/// HB.interval of the host stack: 15 s rather than RFC 9260's 30 s, for
/// the UDP bindings of NATs on the path (draft-tuexen-tsvwg-sctp-udp-
/// encaps-cons section 5).
pub const HB_INTERVAL: Duration = Duration::from_secs(15);

/// The association defaults of the host stack.
pub fn stack_defaults() -> Config {
    // net.sctp.reconf_enable reads 1 here: endpoints offer RE-CONFIG, as
    // Linux's sctp_endpoint_init copies it (which requests an association
    // accepts is still SCTP_ENABLE_STREAM_RESET's, 0 by default). I-DATA
    // is offered only when a socket asks (SCTP_INTERLEAVING_SUPPORTED).
    Config { hb_interval: HB_INTERVAL, reconf_supported: true, ..Config::default() }
}

fn ms(d: Duration) -> String {
    d.as_millis().to_string()
}

/// The value of `net.sctp.<name>` as `/proc/sys/net/sctp/<name>` shows it
/// (with its newline), or None for a name Linux does not have. `udp_port`
/// is the local encapsulation port of the caller's host stack.
pub fn value(name: &str, udp_port: u16) -> Option<String> {
    let c = stack_defaults();
    let v = match name {
        "rto_initial" => ms(c.rto_initial),
        "rto_min" => ms(c.rto_min),
        "rto_max" => ms(c.rto_max),
        "rto_alpha_exp_divisor" => "3".into(),
        "rto_beta_exp_divisor" => "2".into(),
        "max_burst" => c.max_burst.to_string(),
        "association_max_retrans" => c.assoc_max_retrans.to_string(),
        "path_max_retrans" => c.path_max_retrans.to_string(),
        "max_init_retransmits" => c.max_init_retransmits.to_string(),
        "hb_interval" => ms(c.hb_interval),
        "valid_cookie_life" => ms(c.valid_cookie_life),
        "sack_timeout" => ms(c.sack_delay),
        "cookie_preserve_enable" => "1".into(),
        "cookie_hmac_alg" => "sha256".into(),
        "rcvbuf_policy" | "sndbuf_policy" => "0".into(),
        "sctp_mem" => "45984\t61313\t91968".into(),
        "sctp_rmem" => format!("4096\t{}\t4194304", c.rcvbuf),
        "sctp_wmem" => "4096\t16384\t4194304".into(),
        "max_autoclose" => "8589934".into(),
        "rwnd_update_shift" => "4".into(),
        "pf_enable" => "1".into(),
        "pf_expose" => "0".into(),
        "pf_retrans" => "0".into(),
        "ps_retrans" => "65535".into(),
        "l3mdev_accept" => "1".into(),
        "plpmtud_probe_interval" => "0".into(),
        // Extensions: what the stack announces in its INIT.
        "prsctp_enable" => "1".into(),
        "reconf_enable" => "1".into(),
        "intl_enable" => "1".into(),
        "ecn_enable" => u8::from(c.ecn_supported).to_string(),
        "auth_enable" => "0".into(),
        "addip_enable" => "0".into(),
        "addip_noauth_enable" => "0".into(),
        "default_auto_asconf" => "0".into(),
        // RFC 6951: this stack always encapsulates.
        "udp_port" => udp_port.to_string(),
        "encap_port" => crate::ipc::DEFAULT_UDP_PORT.to_string(),
        _ => return None,
    };
    Some(v + "\n")
}

/// The sysctl a path names, if it is one of `/proc/sys/net/sctp/`.
pub fn name_of(path: &[u8]) -> Option<&str> {
    let rest = path.strip_prefix(b"/proc/sys/net/sctp/")?;
    let s = std::str::from_utf8(rest).ok()?;
    (!s.is_empty() && !s.contains('/')).then_some(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_values() {
        assert_eq!(name_of(b"/proc/sys/net/sctp/intl_enable"), Some("intl_enable"));
        assert_eq!(name_of(b"/proc/sys/net/ipv4/tcp_sack"), None);
        assert_eq!(name_of(b"/proc/sys/net/sctp/"), None);
        assert_eq!(value("rto_initial", 9899).as_deref(), Some("1000\n"));
        assert_eq!(value("hb_interval", 9899).as_deref(), Some("15000\n"));
        assert_eq!(value("udp_port", 1234).as_deref(), Some("1234\n"));
        assert_eq!(value("no_such_thing", 9899), None);
    }
}
