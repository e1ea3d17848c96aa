//! sctpudp-stat: every SCTP socket and association of a host stack, with
//! owner, addresses, ports, state and per-path figures.
//!
//!   sctpudp-stat [--json] [--port N | --instance NAME]
//!
//! The default is the stack on UDP port `SCTPUDP_UDP_PORT` (9899).

fn usage() -> ! {
    eprintln!("usage: sctpudp-stat [--json] [--port N | --instance NAME]");
    std::process::exit(2)
}

fn main() {
    sctpudp::IN_STACK.store(true, std::sync::atomic::Ordering::Relaxed);
    let mut json = false;
    let mut instance = std::env::var("SCTPUDP_UDP_PORT").unwrap_or_else(|_| "9899".into());
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--json" => json = true,
            "--port" | "--instance" => instance = args.next().unwrap_or_else(|| usage()),
            "-h" | "--help" => usage(),
            _ => usage(),
        }
    }
    match sctpudp::client::stat(&instance, json) {
        Ok(s) => print!("{s}"),
        Err(e) => {
            let msg = std::io::Error::from_raw_os_error(e);
            eprintln!("sctpudp-stat: no host stack {instance:?} ({msg})");
            std::process::exit(1);
        }
    }
}
