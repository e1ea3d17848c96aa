//! Helpers for the socket-option layer (`abi::options`) that need the
//! socket's private state: readiness, the listener registration and the
//! receive queue. Each takes `inner` itself and calls nothing that locks
//! an association while holding it.

use super::{notify, RxItem, Socket, Style};
use crate::proto::assoc::{AssocEvent, AssocId};
use std::sync::Weak;

impl Socket {
    /// A weak handle to this socket, for tables keyed by socket that must
    /// not keep it alive.
    pub fn weak_handle(&self) -> Weak<Socket> {
        self.me.clone()
    }

    /// `SO_ERROR`: takes the pending error (0 if none) and updates the
    /// descriptor's readiness, which a pending error affects.
    pub fn take_so_error(&self) -> super::Errno {
        let mut g = self.inner.lock();
        let e = std::mem::take(&mut g.so_error);
        self.refresh(&mut g);
        e
    }

    /// Re-evaluates readiness after an option changed what it depends on
    /// (`SO_SNDBUF`).
    pub fn refresh_readiness(&self) {
        let mut g = self.inner.lock();
        self.refresh(&mut g);
    }

    /// Hands the socket's current defaults (`opts.cfg`) to the stack's
    /// listener, so that associations accepted from now on use options
    /// set after `listen()`, as on Linux.
    pub fn refresh_listener(&self) {
        let (lport, cfg, laddrs) = {
            let g = self.inner.lock();
            if !g.listening || g.closed || g.lport == 0 {
                return;
            }
            (g.lport, g.opts.cfg.clone(), g.laddrs.clone())
        };
        self.stack.listen(lport, cfg, laddrs, self.weak_owner());
    }

    /// Queues the notification of `ev` for association `id` now, as the
    /// association itself would have (Linux queues `SCTP_SENDER_DRY_EVENT`
    /// when it is subscribed to on an idle association). Returns false if
    /// the socket does not deliver for `id`.
    pub fn queue_notification(&self, id: AssocId, ev: &AssocEvent) -> bool {
        let mut g = self.inner.lock();
        if g.closed || (self.style == Style::OneToOne && g.accept_q.contains(&id)) {
            return false;
        }
        let Some(info) = g.assocs.get(&id) else { return false };
        let ctx = notify::Ctx {
            assoc_id: id.0 as i32,
            outbound: info.outbound,
            inbound: info.inbound,
            old_send_failed: false,
            new_send_failed: true,
            frag_point: 0,
        };
        let Some(bytes) = notify::build(ev, &ctx) else { return false };
        g.rxq.push_back(RxItem::Notification { assoc: id, bytes });
        self.refresh(&mut g);
        true
    }
}
