//! Packet input: verification tag rules (RFC 9260 8.5, 8.5.1), chunk
//! dispatch, handshake and collisions (5.1, 5.2), SACK processing (6.2.1,
//! 7.2), data reception (6.2), shutdown (9.2).

use super::*;

impl Association {
    /// Processes a packet the endpoint routed here.
    pub fn handle(&mut self, now: Instant, inc: Incoming) {
        if self.state == AssocState::Closed {
            return;
        }
        let Incoming { src, hdr, chunks, cookie, cookie_stale, dst, ce } = inc;
        self.stats.ipackets += 1;
        // Peek at the first chunk for the tag rules.
        let mut peek = chunks.clone();
        let mut first = match peek.next() {
            Some(Ok(c)) => c,
            _ => return,
        };
        if matches!(first, Chunk::Unknown { chunk_type: wire::CHUNK_AUTH, .. }) {
            // RFC 4895 6.3: the chunk after a leading AUTH decides.
            first = match peek.next() {
                Some(Ok(c)) => c,
                _ => return,
            };
        }
        let vtag_ok = match &first {
            // 8.5.1 A: INIT has tag 0 and travels alone.
            Chunk::Init(_) => hdr.vtag == 0 && peek.next().is_none(),
            // 8.5.1 B, C.
            Chunk::Abort { t, .. } | Chunk::ShutdownComplete { t } => {
                (!*t && hdr.vtag == self.local_tag)
                    || (*t && hdr.vtag == self.peer_tag && self.peer_tag != 0)
            }
            // 8.5.1 D: the endpoint verified the cookie; its tag is the
            // packet's tag.
            Chunk::CookieEcho(_) => cookie.as_ref().is_some_and(|c| c.local_tag == hdr.vtag),
            _ => hdr.vtag == self.local_tag,
        };
        if !vtag_ok {
            // 8.5.1 E: a SHUTDOWN ACK in COOKIE-WAIT/ECHOED is treated as
            // OOTB: answered with SHUTDOWN COMPLETE, T bit set, its tag
            // reflected (8.4 rule 5); the handshake goes on.
            if matches!(first, Chunk::ShutdownAck)
                && matches!(self.state, AssocState::CookieWait | AssocState::CookieEchoed)
            {
                let mut b = Vec::with_capacity(4);
                emit_raw(&mut b, CHUNK_SHUTDOWN_COMPLETE, wire::chunk::FLAG_T, &[]);
                self.ctrl.push_back(Ctrl { dst: src, vtag: hdr.vtag, alone: true, bytes: b });
            }
            // Everything else is silently dropped.
            return;
        }
        // 5.2.4 step 3: an expired cookie is valid only if both of its tags
        // are this association's (case E); otherwise the packet is
        // discarded and the peer told the cookie is stale.
        if let (Some(c), Some(stale)) = (&cookie, cookie_stale) {
            if !(c.local_tag == self.local_tag && c.peer_tag == self.peer_tag) {
                let mut causes = Vec::new();
                Cause::StaleCookie(stale).emit(&mut causes);
                let mut b = Vec::new();
                emit_raw(&mut b, CHUNK_ERROR, 0, wire::cause::trim_last_pad(&causes));
                self.ctrl.push_back(Ctrl { dst: src, vtag: c.peer_tag, alone: false, bytes: b });
                return;
            }
        }
        let asconf_from_new = self.asconf_enabled()
            && matches!(first, Chunk::Unknown { chunk_type: asconf::CHUNK_ASCONF, .. });
        let (pi, known) = match self.path_of(src.ip()) {
            Some(pi) => (pi, true),
            // RFC 5061 5.2 D2, F1: an ASCONF may come from the address it
            // adds; the endpoint found us by its Address Parameter.
            None if asconf_from_new => (self.primary, false),
            None => {
                if let Chunk::Init(init) = &first {
                    self.on_unexpected_init(now, src, init);
                }
                return;
            }
        };
        if known && !matches!(first, Chunk::Init(_)) {
            // RFC 6951 5.4: after the tag check, the UDP source port is the
            // remote encapsulation port of this address.
            self.paths[pi].encap_port = src.port();
            if self.local_ip.is_none() {
                self.local_ip = dst.filter(|d| !d.is_unspecified());
            }
        }
        let mut had_data = false;
        let mut sack_immediately = false;
        let mut new_data = false;
        // The TSN of the packet's first DATA or I-DATA chunk (ECN, ecn.rs).
        let mut first_tsn = None;
        // AUTH (RFC 4895 6.3, auth.rs): where the AUTH chunk is, whether
        // it verified.
        let (auth_at, auth_ok) = self.auth_check(src, &chunks);
        for (ord, chunk) in chunks.enumerate() {
            let Ok(chunk) = chunk else { break };
            if self.state == AssocState::Closed {
                break;
            }
            if ord == auth_at {
                if auth_ok {
                    continue;
                }
                // A bad AUTH voids what follows it.
                break;
            }
            if !(auth_ok && ord > auth_at)
                && self.auth.as_ref().is_some_and(|a| a.required(chunk.chunk_type()))
            {
                // Not authenticated, yet we require it: dropped.
                continue;
            }
            if !matches!(chunk, Chunk::Data(_)) {
                self.stats.ictrlchunks += 1;
            }
            match chunk {
                Chunk::Data(_) | Chunk::ForwardTsn(_) if self.intl_enabled() => {
                    // RFC 8260 2.2.3, 2.3.1: DATA and FORWARD TSN are
                    // violations once I-DATA is in use.
                    self.intl_violation(now, b"DATA or FORWARD TSN with I-DATA");
                    return;
                }
                Chunk::Unknown { chunk_type, flags, value, .. }
                    if (chunk_type == wire::CHUNK_IDATA
                        || chunk_type == wire::CHUNK_IFORWARD_TSN)
                        && self.intl_enabled() =>
                {
                    let data_state = matches!(
                        self.state,
                        AssocState::Established
                            | AssocState::ShutdownPending
                            | AssocState::ShutdownSent
                    );
                    if chunk_type == wire::CHUNK_IDATA {
                        let Ok(d) = IDataChunk::parse_value(flags, &value) else { break };
                        had_data = true;
                        first_tsn = first_tsn.or(Some(d.tsn));
                        if flags & DATA_FLAG_IMMEDIATE != 0 {
                            sack_immediately = true;
                        }
                        if self.on_idata(now, d) {
                            new_data = true;
                        }
                    } else if self.pr_enabled() && data_state {
                        let Ok(f) = wire::IForwardTsn::parse_value(&value) else { break };
                        had_data = true;
                        if self.on_iforward_tsn(&f) {
                            new_data = true;
                        }
                    }
                }
                Chunk::Unknown { chunk_type, .. }
                    if chunk_type == wire::CHUNK_IDATA
                        && self.cfg.intl_supported
                        && !self.intl_enabled() =>
                {
                    self.intl_violation(now, b"I-DATA without negotiation");
                    return;
                }
                Chunk::Data(d) => {
                    had_data = true;
                    first_tsn = first_tsn.or(Some(d.tsn));
                    if d.immediate() {
                        sack_immediately = true;
                    }
                    if self.on_data(now, pi, d) {
                        new_data = true;
                    }
                }
                Chunk::Init(init) => self.on_unexpected_init(now, src, &init),
                Chunk::InitAck(ia) => self.on_init_ack(now, pi, &ia),
                Chunk::Sack(s) => self.on_sack(now, &s),
                Chunk::Heartbeat(info) => {
                    let mut b = Vec::with_capacity(info.len() + 8);
                    emit_heartbeat(&mut b, CHUNK_HEARTBEAT_ACK, &info);
                    self.ctrl.push_back(Ctrl {
                        dst: src,
                        vtag: self.peer_tag,
                        alone: false,
                        bytes: b,
                    });
                }
                Chunk::HeartbeatAck(info) => self.on_heartbeat_ack(now, &info),
                Chunk::Abort { causes, .. } => {
                    self.ctrl.clear();
                    self.close(Some(LostReason::PeerAbort(causes)));
                    return;
                }
                Chunk::Shutdown { cum_tsn_ack } => self.on_shutdown(now, cum_tsn_ack),
                Chunk::ShutdownAck => self.on_shutdown_ack(now, src),
                Chunk::ShutdownComplete { .. } => {
                    if self.state == AssocState::ShutdownAckSent {
                        self.close(None);
                    }
                }
                Chunk::CookieEcho(_) => {
                    if let Some(c) = &cookie {
                        self.on_cookie_echo(now, pi, c);
                    }
                }
                Chunk::CookieAck => {
                    if self.state == AssocState::CookieEchoed {
                        self.t1 = None;
                        self.state = AssocState::Established;
                        self.forget_handshake();
                        self.assoc_errors = 0;
                        self.events.push_back(AssocEvent::CommUp { restart: false });
                        self.start_heartbeats(now);
                        // Address changes asked for during the handshake.
                        self.asconf_send(now);
                    }
                }
                Chunk::Error { causes } => self.on_error(now, causes),
                Chunk::Pad => {}
                Chunk::ForwardTsn(f) if self.pr_enabled() => {
                    // RFC 3758 3.6: for the SACK, as if DATA had arrived;
                    // an out-of-date one is answered at once.
                    if matches!(
                        self.state,
                        AssocState::Established
                            | AssocState::ShutdownPending
                            | AssocState::ShutdownSent
                    ) {
                        had_data = true;
                        if self.on_forward_tsn(&f) {
                            new_data = true;
                        }
                    }
                }
                Chunk::Unknown { chunk_type: asconf::CHUNK_ASCONF, ref value, .. }
                    if self.asconf_enabled() =>
                {
                    self.on_asconf(now, src, value);
                }
                Chunk::Unknown { chunk_type: asconf::CHUNK_ASCONF_ACK, ref value, .. }
                    if self.asconf_enabled() =>
                {
                    self.on_asconf_ack(now, value);
                }
                Chunk::Unknown { chunk_type: wire::CHUNK_ECNE, ref value, .. }
                    if self.ecn_enabled() =>
                {
                    self.on_ecne(now, value);
                }
                Chunk::Unknown { chunk_type: wire::CHUNK_CWR, ref value, .. }
                    if self.ecn_enabled() =>
                {
                    self.on_cwr(value);
                }
                Chunk::Unknown { chunk_type, ref value, .. }
                    if chunk_type == wire::CHUNK_RECONF && self.reconf_enabled() =>
                {
                    self.on_reconf(now, value);
                }
                Chunk::ForwardTsn(_) | Chunk::Unknown { .. } => {
                    // FORWARD TSN without PR-SCTP negotiated is unknown to
                    // us (RFC 3758 3.3.1). 9260 3.2 Table 2: the top two
                    // bits decide.
                    let ty = chunk.chunk_type();
                    let raw = match &chunk {
                        Chunk::Unknown { raw, .. } => raw.clone(),
                        Chunk::ForwardTsn(f) => {
                            // Rebuilt as it came (its flags are always zero).
                            let mut body = f.new_cum_tsn.to_be_bytes().to_vec();
                            body.extend_from_slice(&f.streams);
                            let mut v = Vec::with_capacity(4 + body.len());
                            emit_raw(&mut v, ty, 0, &body);
                            v.truncate(4 + body.len());
                            Bytes::from(v)
                        }
                        _ => Bytes::new(),
                    };
                    if ty & 0x40 != 0 && !raw.is_empty() {
                        let mut causes = Vec::new();
                        Cause::UnrecognizedChunk(raw).emit(&mut causes);
                        let mut b = Vec::new();
                        emit_raw(&mut b, CHUNK_ERROR, 0, wire::cause::trim_last_pad(&causes));
                        self.ctrl.push_back(Ctrl {
                            dst: src,
                            vtag: self.peer_tag,
                            alone: false,
                            bytes: b,
                        });
                    }
                    if ty & 0x80 == 0 {
                        break;
                    }
                }
            }
        }
        if let Some(tsn) = first_tsn.filter(|_| ce && self.ecn_enabled()) {
            // Echoed at once: the sender should slow down now.
            self.on_ce(tsn);
            sack_immediately = true;
        }
        if self.state != AssocState::Closed {
            // RFC 6525 5.2.2 E2: a deferred stream reset may be due now.
            self.reconf_check_deferred();
        }
        if self.shutdown_requested && self.state == AssocState::Established {
            self.shutdown_requested = false;
            self.shutdown(now);
        }
        if let Some(d) = self.cfg.autoclose {
            // The idle timer starts when the association is up and
            // restarts with every packet carrying data.
            if self.state == AssocState::Established && (had_data || self.autoclose_at.is_none()) {
                self.autoclose_at = Some(now + d);
            }
        }
        if had_data && self.state != AssocState::Closed {
            // (Looked up again: an ASCONF in the packet may have removed
            // a path and moved the indices.)
            self.last_data_path = self.path_of(src.ip()).unwrap_or(self.primary);
            self.sack_due = true;
            self.pkts_since_sack += 1;
            // 6.2 / 6.7: SACK at once for every second packet, for gaps,
            // for duplicates without new data, and on the I bit; else
            // within SACK.Delay.
            if self.pkts_since_sack >= self.cfg.sack_freq
                || self.rx.has_gaps()
                || !new_data
                || sack_immediately
                || self.state == AssocState::ShutdownSent
            {
                self.sack_now = true;
            } else if self.sack_timer.is_none() {
                self.sack_timer = Some(now + self.cfg.sack_delay);
            }
        }
    }

    /// Returns true if the chunk was new data.
    fn on_data(&mut self, now: Instant, _pi: usize, d: DataChunk) -> bool {
        match self.state {
            AssocState::Established | AssocState::ShutdownPending | AssocState::ShutdownSent => {}
            // Data after the peer's SHUTDOWN is a protocol error we ignore.
            _ => return false,
        }
        if d.payload.is_empty() {
            // 6.2: a DATA chunk without user data aborts the association.
            let mut causes = Vec::new();
            Cause::NoUserData(d.tsn).emit(&mut causes);
            self.abort_with(now, causes, LostReason::ProtocolViolation);
            return false;
        }
        let (tsn, sid, unordered) = (d.tsn, d.stream_id, d.unordered());
        let in_seq = tsn == self.rx.cum_tsn().wrapping_add(1);
        let outcome = self.rx.on_data(d);
        self.count_data_in(outcome, unordered, in_seq);
        self.data_outcome(now, outcome, sid)
    }

    /// What a DATA or I-DATA outcome means for the association.
    fn data_outcome(&mut self, now: Instant, outcome: DataOutcome, sid: u16) -> bool {
        match outcome {
            DataOutcome::New => true,
            DataOutcome::Violation => {
                // Fragments that cannot belong together (6.9): abort.
                let mut causes = Vec::new();
                Cause::ProtocolViolation(Bytes::from_static(b"inconsistent fragments"))
                    .emit(&mut causes);
                self.abort_with(now, causes, LostReason::ProtocolViolation);
                false
            }
            DataOutcome::Duplicate | DataOutcome::Dropped => false,
            DataOutcome::InvalidStream => {
                let mut causes = Vec::new();
                Cause::InvalidStream(sid).emit(&mut causes);
                let mut b = Vec::new();
                emit_raw(&mut b, CHUNK_ERROR, 0, wire::cause::trim_last_pad(&causes));
                let dst = self.path_dst(self.last_data_path.min(self.paths.len() - 1));
                self.ctrl.push_back(Ctrl { dst, vtag: self.peer_tag, alone: false, bytes: b });
                true
            }
        }
    }

    fn intl_violation(&mut self, now: Instant, what: &'static [u8]) {
        let mut causes = Vec::new();
        Cause::ProtocolViolation(Bytes::from_static(what)).emit(&mut causes);
        self.abort_with(now, causes, LostReason::ProtocolViolation);
    }

    /// An I-DATA chunk (RFC 8260 2.2.3); true if it was new data.
    fn on_idata(&mut self, now: Instant, d: IDataChunk) -> bool {
        match self.state {
            AssocState::Established | AssocState::ShutdownPending | AssocState::ShutdownSent => {}
            _ => return false,
        }
        if d.payload.is_empty() {
            let mut causes = Vec::new();
            Cause::NoUserData(d.tsn).emit(&mut causes);
            self.abort_with(now, causes, LostReason::ProtocolViolation);
            return false;
        }
        let (tsn, sid, unordered) = (d.tsn, d.stream_id, d.unordered());
        let in_seq = tsn == self.rx.cum_tsn().wrapping_add(1);
        let outcome = self.rx.on_idata(d);
        self.count_data_in(outcome, unordered, in_seq);
        self.data_outcome(now, outcome, sid)
    }

    fn count_data_in(&mut self, outcome: DataOutcome, unordered: bool, in_seq: bool) {
        if matches!(outcome, DataOutcome::New | DataOutcome::InvalidStream) {
            if unordered {
                self.stats.iuodchunks += 1;
            } else {
                self.stats.iodchunks += 1;
            }
            if !in_seq {
                self.stats.outofseqtsns += 1;
            }
        } else if outcome == DataOutcome::Duplicate {
            self.stats.idupchunks += 1;
        }
    }

    /// INIT ACK in COOKIE-WAIT (5.1 C); anywhere else it is discarded (5.2.3).
    fn on_init_ack(&mut self, now: Instant, pi: usize, ia: &InitChunk) {
        if self.state != AssocState::CookieWait {
            return;
        }
        let Some(cookie) = ia.params.cookie.clone() else {
            // Missing mandatory State Cookie (3.3.10.2).
            let mut body = Vec::new();
            body.extend_from_slice(&1u32.to_be_bytes());
            body.extend_from_slice(&wire::param::PARAM_STATE_COOKIE.to_be_bytes());
            let mut causes = Vec::new();
            Cause::MissingMandatoryParam(Bytes::from(body)).emit(&mut causes);
            self.peer_tag = ia.initiate_tag;
            self.abort_with(now, causes, LostReason::ProtocolViolation);
            return;
        };
        if ia.initiate_tag == 0 || ia.num_outbound_streams == 0 || ia.num_inbound_streams == 0 {
            let mut causes = Vec::new();
            Cause::InvalidMandatoryParam.emit(&mut causes);
            self.peer_tag = ia.initiate_tag;
            self.abort_with(now, causes, LostReason::ProtocolViolation);
            return;
        }
        if ia.params.host_name {
            self.peer_tag = ia.initiate_tag;
            let mut causes = Vec::new();
            Cause::UnresolvableAddress(Bytes::new()).emit(&mut causes);
            self.abort_with(now, causes, LostReason::ProtocolViolation);
            return;
        }
        self.peer_tag = ia.initiate_tag;
        self.peer_rwnd = ia.a_rwnd;
        self.out_streams = self.cfg.num_ostreams.min(ia.num_inbound_streams).max(1);
        // Messages queued during the handshake already hold SSNs: keep them
        // (for the streams that remain).
        self.out_ssn.truncate(usize::from(self.out_streams));
        let ins = ia.num_outbound_streams.min(self.cfg.max_instreams).max(1);
        self.rx = Receiver::new(ia.initial_tsn, ins, self.cfg.rcvbuf, self.cfg.pd_point);
        self.peer_adaptation = ia.params.adaptation_indication;
        self.peer_pr = crate::proto::endpoint::offers_pr(&ia.params);
        self.peer_intl = crate::proto::endpoint::offers_intl(&ia.params);
        self.peer_reconf = crate::proto::endpoint::offers_reconf(&ia.params);
        self.peer_ecn = ia.params.ecn_capable;
        if let (Some(a), Some(kv)) = (&mut self.auth, auth::peer_vector(&ia.params)) {
            a.set_peer(kv);
        }
        self.peer_asconf = crate::proto::endpoint::offers_asconf(&ia.params);
        self.asconf_init(self.peer_asconf, ia.initial_tsn);
        self.last_cwr_tsn = self.initial_tsn.wrapping_sub(1);
        self.rc = reconf::ReconfState::new(self.initial_tsn, ia.initial_tsn);
        self.size_out_mid();
        self.rx.set_intl(self.intl_enabled());
        self.paths[pi].confirmed = true;
        // Move the primary to the address that answered.
        self.primary = pi;
        let port = self.paths[pi].encap_port;
        for ip in &ia.params.addrs {
            if self.paths.len() >= cookie::MAX_PEER_ADDRS {
                break;
            }
            if self.path_of(*ip).is_none() && ip.is_ipv4() == self.paths[pi].addr.is_ipv4() {
                self.paths.push(Path::new(*ip, port, &self.cfg, now));
                self.ep_events.push_back(EndpointEvent::PeerAddrAdded(*ip));
            }
        }
        // The peer's INIT ACK is the truth about its addresses: those the
        // user gave to connect that it neither listed nor sent from are
        // forgotten (Linux sctp_process_init drops its SCTP_UNKNOWN
        // transports). Nothing is in flight in COOKIE-WAIT, so no chunk
        // refers to a path index. An INIT ACK that lists no address means
        // the peer has only the one it answered from.
        {
            let answered = self.paths[pi].addr;
            let mut i = 0;
            while i < self.paths.len() {
                let a = self.paths[i].addr;
                if a != answered && !ia.params.addrs.contains(&a) {
                    self.paths.remove(i);
                    self.ep_events.push_back(EndpointEvent::PeerAddrRemoved(a));
                } else {
                    i += 1;
                }
            }
            self.primary = self.path_of(answered).unwrap_or(0);
            self.last_data_path = self.primary;
        }
        self.events.push_back(AssocEvent::Streams { outbound: self.out_streams, inbound: ins });
        if let Some(a) = self.peer_adaptation {
            self.events.push_back(AssocEvent::Adaptation(a));
        }
        self.cookie_echo = cookie;
        self.state = AssocState::CookieEchoed;
        self.t1_count = 0;
        self.ctrl.retain(|c| c.vtag != 0);
        self.send_cookie_echo(now);
    }

    /// An INIT for an existing association: collision or restart attempt
    /// (RFC 9260 5.2.1, 5.2.2; RFC 6951bis 5.5 for the UDP port).
    fn on_unexpected_init(&mut self, now: Instant, src: SocketAddr, init: &InitChunk) {
        if init.initiate_tag == 0 {
            return;
        }
        if self.state == AssocState::ShutdownAckSent {
            // 9.2: discard the INIT and retransmit SHUTDOWN ACK.
            self.send_shutdown_ack(now);
            return;
        }
        let known = self.path_of(src.ip());
        let encap_mismatch = known.is_some_and(|i| self.paths[i].encap_port != src.port());
        let new_addrs: Vec<IpAddr> = std::iter::once(src.ip())
            .chain(init.params.addrs.iter().copied())
            .filter(|a| self.path_of(*a).is_none())
            .collect();
        let handshake = matches!(self.state, AssocState::CookieWait | AssocState::CookieEchoed);
        if encap_mismatch || !new_addrs.is_empty() {
            // 5.2.2: restart with new addresses is refused with an ABORT;
            // 6951bis 5.5 rule 7: a different encapsulation port likewise.
            // 5.2.1: during the handshake such an INIT is discarded (and an
            // ABORT sent) just the same.
            let mut causes = Vec::new();
            if encap_mismatch {
                let mut v = Vec::new();
                let cur = known.map(|i| self.paths[i].encap_port).unwrap_or(0);
                v.extend_from_slice(&cur.to_be_bytes());
                v.extend_from_slice(&src.port().to_be_bytes());
                Cause::Other { code: 14, value: Bytes::from(v) }.emit(&mut causes);
            } else {
                let mut v = Vec::new();
                for a in &new_addrs {
                    match a {
                        IpAddr::V4(x) => {
                            v.extend_from_slice(&wire::param::PARAM_IPV4.to_be_bytes());
                            v.extend_from_slice(&8u16.to_be_bytes());
                            v.extend_from_slice(&x.octets());
                        }
                        IpAddr::V6(x) => {
                            v.extend_from_slice(&wire::param::PARAM_IPV6.to_be_bytes());
                            v.extend_from_slice(&20u16.to_be_bytes());
                            v.extend_from_slice(&x.octets());
                        }
                    }
                }
                Cause::RestartWithNewAddrs(Bytes::from(v)).emit(&mut causes);
            }
            let mut b = Vec::new();
            emit_raw(&mut b, CHUNK_ABORT, 0, wire::cause::trim_last_pad(&causes));
            self.ctrl.push_back(Ctrl { dst: src, vtag: init.initiate_tag, alone: false, bytes: b });
            return;
        }
        // Tie-tags (5.2.1, 5.2.2): zero in COOKIE-WAIT, else our tags.
        let (tie_l, tie_p) = if self.state == AssocState::CookieWait {
            (0, 0)
        } else {
            (self.local_tag, self.peer_tag)
        };
        // 5.2.1: same Initiate Tag and TSN as our INIT; 5.2.2: new ones.
        let (tag, itsn) = if handshake {
            (self.local_tag, self.initial_tsn)
        } else {
            let mut t = nonzero(&mut self.rng);
            while t == self.local_tag {
                t = nonzero(&mut self.rng);
            }
            (t, self.rng.next_u32())
        };
        let mut peer_addrs = vec![src.ip()];
        for a in &init.params.addrs {
            if !peer_addrs.contains(a) && peer_addrs.len() < cookie::MAX_PEER_ADDRS {
                peer_addrs.push(*a);
            }
        }
        let c = Cookie {
            created_at: now,
            lifetime_us: u64::try_from(self.cfg.valid_cookie_life.as_micros()).unwrap_or(u64::MAX),
            local_tag: tag,
            peer_tag: init.initiate_tag,
            local_tie_tag: tie_l,
            peer_tie_tag: tie_p,
            local_initial_tsn: itsn,
            peer_initial_tsn: init.initial_tsn,
            peer_a_rwnd: init.a_rwnd,
            out_streams: self.cfg.num_ostreams.min(init.num_inbound_streams),
            in_streams: init.num_outbound_streams.min(self.cfg.max_instreams),
            local_port: self.local_port,
            peer_port: self.peer_port,
            peer_forward_tsn: crate::proto::endpoint::offers_pr(&init.params),
            peer_intl: crate::proto::endpoint::offers_intl(&init.params),
            peer_reconf: crate::proto::endpoint::offers_reconf(&init.params),
            peer_ecn: init.params.ecn_capable,
            peer_asconf: crate::proto::endpoint::offers_asconf(&init.params),
            auth_kv: self.auth.as_ref().map(|a| {
                (a.local_kv().clone(), auth::peer_vector(&init.params).unwrap_or_default())
            }),
            peer_adaptation: init.params.adaptation_indication,
            peer_addrs,
            encap_port: src.port(),
        };
        let mut cb = Vec::with_capacity(128);
        c.encode(&self.shared.cookie_secret, &mut cb);
        let ia = InitChunk {
            initiate_tag: tag,
            a_rwnd: self.cfg.rcvbuf,
            num_outbound_streams: self.cfg.num_ostreams,
            num_inbound_streams: self.cfg.max_instreams,
            initial_tsn: itsn,
            params: InitParams {
                cookie: Some(Bytes::from(cb)),
                unrecognized: crate::proto::endpoint::capped_unrecognized_for(
                    &init.params,
                    self.cfg.pr_supported,
                ),
                ..self.local_params()
            },
        };
        let mut b = Vec::with_capacity(256);
        ia.emit(CHUNK_INIT_ACK, &mut b);
        self.ctrl.push_back(Ctrl { dst: src, vtag: init.initiate_tag, alone: true, bytes: b });
    }

    /// COOKIE ECHO with a TCB (RFC 9260 5.2.4, Table 12), or the first
    /// one of a just-created association (case D).
    fn on_cookie_echo(&mut self, now: Instant, pi: usize, c: &Cookie) {
        let (l, p) = (self.local_tag, self.peer_tag);
        let ack_to = self.path_dst(pi);
        let ack = |a: &mut Association| {
            let mut b = Vec::with_capacity(4);
            emit_raw(&mut b, CHUNK_COOKIE_ACK, 0, &[]);
            a.ctrl.push_back(Ctrl { dst: ack_to, vtag: a.peer_tag, alone: false, bytes: b });
        };
        if c.local_tag != l && c.peer_tag != p && c.local_tie_tag == l && c.peer_tie_tag == p {
            // (A) Peer restarted.
            if self.state == AssocState::ShutdownAckSent {
                let mut causes = Vec::new();
                Cause::CookieWhileShuttingDown.emit(&mut causes);
                let mut b = Vec::new();
                emit_raw(&mut b, CHUNK_SHUTDOWN_ACK, 0, &[]);
                emit_raw(&mut b, CHUNK_ERROR, 0, wire::cause::trim_last_pad(&causes));
                self.ctrl.push_back(Ctrl { dst: ack_to, vtag: c.peer_tag, alone: false, bytes: b });
                return;
            }
            self.fail_all_data();
            self.rx.clear();
            self.ctrl.clear();
            self.t1 = None;
            self.t2 = None;
            self.t5 = None;
            self.sack_timer = None;
            self.sack_due = false;
            self.sack_now = false;
            self.dry = true;
            for path in &mut self.paths {
                path.t3_rtx = None;
                path.hb_outstanding = None;
                path.error_count = 0;
                path.errors_since = None;
                path.rtt_probe = None;
            }
            self.assoc_errors = 0;
            self.adopt_cookie(c, now);
            self.state = AssocState::Established;
            self.forget_handshake();
            self.events.push_back(AssocEvent::CommUp { restart: true });
            self.start_heartbeats(now);
            ack(self);
        } else if c.local_tag == l && c.peer_tag != p {
            // (B) Collision: take the peer's tag from the cookie.
            let was_up = !matches!(self.state, AssocState::CookieWait | AssocState::CookieEchoed);
            self.peer_tag = c.peer_tag;
            self.peer_rwnd = c.peer_a_rwnd;
            self.peer_pr = c.peer_forward_tsn;
            self.peer_intl = c.peer_intl;
            self.peer_reconf = c.peer_reconf;
            self.peer_ecn = c.peer_ecn;
            self.adopt_auth(c);
            self.peer_asconf = c.peer_asconf;
            self.asconf_init(c.peer_asconf, c.peer_initial_tsn);
            self.rc = reconf::ReconfState::new(self.initial_tsn, c.peer_initial_tsn);
            self.out_streams = c.out_streams.max(1);
            self.out_ssn.truncate(usize::from(self.out_streams));
            self.size_out_mid();
            self.rx = Receiver::new(
                c.peer_initial_tsn,
                c.in_streams.max(1),
                self.cfg.rcvbuf,
                self.cfg.pd_point,
            );
            self.rx.set_intl(self.intl_enabled());
            self.t1 = None;
            self.ctrl.retain(|x| x.vtag != 0);
            if !was_up {
                self.state = AssocState::Established;
                self.forget_handshake();
                self.paths[pi].confirmed = true;
                self.events.push_back(AssocEvent::CommUp { restart: false });
                self.start_heartbeats(now);
            }
            ack(self);
        } else if c.local_tag != l && c.peer_tag == p && c.local_tie_tag == 0 && c.peer_tie_tag == 0
        {
            // (C) Late cookie: discard.
        } else if c.local_tag == l && c.peer_tag == p {
            // (D) Tags match.
            if matches!(self.state, AssocState::CookieWait | AssocState::CookieEchoed) {
                self.t1 = None;
                self.state = AssocState::Established;
                self.forget_handshake();
                self.paths[pi].confirmed = true;
                self.events.push_back(AssocEvent::CommUp { restart: false });
                self.start_heartbeats(now);
            }
            ack(self);
        }
    }

    fn on_error(&mut self, now: Instant, causes: Bytes) {
        for cause in Causes::new(causes) {
            let Ok(cause) = cause else { break };
            if let Cause::StaleCookie(stale_us) = cause {
                if self.state == AssocState::CookieEchoed {
                    // 5.2.6: restart the handshake with a Cookie Preservative
                    // asking for twice the staleness, or give up.
                    self.t1_count += 1;
                    if self.t1_count > self.cfg.max_init_retransmits {
                        self.close(Some(LostReason::Unreachable));
                        return;
                    }
                    let ms = (stale_us / 1000).saturating_mul(2).max(1);
                    let mut p = self.local_params();
                    p.cookie_preservative = Some(ms);
                    let init = InitChunk {
                        initiate_tag: self.local_tag,
                        a_rwnd: self.cfg.rcvbuf,
                        num_outbound_streams: self.cfg.num_ostreams,
                        num_inbound_streams: self.cfg.max_instreams,
                        initial_tsn: self.initial_tsn,
                        params: p,
                    };
                    self.init_bytes.clear();
                    init.emit(CHUNK_INIT, &mut self.init_bytes);
                    self.state = AssocState::CookieWait;
                    self.ctrl.clear();
                    self.send_init(now);
                    continue;
                }
            }
            let data = match &cause {
                Cause::Other { value, .. } => value.clone(),
                Cause::UnrecognizedChunk(b)
                | Cause::UnrecognizedParams(b)
                | Cause::ProtocolViolation(b)
                | Cause::UserInitiatedAbort(b) => b.clone(),
                _ => Bytes::new(),
            };
            self.events.push_back(AssocEvent::RemoteError { cause: cause.code(), data });
        }
    }

    fn on_shutdown(&mut self, now: Instant, cum_tsn_ack: u32) {
        match self.state {
            AssocState::Established | AssocState::ShutdownPending => {
                self.process_cum_ack(now, cum_tsn_ack, None);
                self.state = AssocState::ShutdownReceived;
                self.events.push_back(AssocEvent::PeerShutdown);
                self.maybe_progress_shutdown(now);
            }
            AssocState::ShutdownReceived => {
                self.process_cum_ack(now, cum_tsn_ack, None);
                self.maybe_progress_shutdown(now);
            }
            AssocState::ShutdownSent => {
                // Both sides shut down at once (9.2): answer with SHUTDOWN ACK.
                self.process_cum_ack(now, cum_tsn_ack, None);
                self.events.push_back(AssocEvent::PeerShutdown);
                self.state = AssocState::ShutdownAckSent;
                self.send_shutdown_ack(now);
            }
            _ => {}
        }
    }

    fn on_shutdown_ack(&mut self, now: Instant, src: SocketAddr) {
        let _ = now;
        match self.state {
            AssocState::ShutdownSent | AssocState::ShutdownAckSent => {
                let mut b = Vec::with_capacity(4);
                emit_raw(&mut b, CHUNK_SHUTDOWN_COMPLETE, 0, &[]);
                self.ctrl.clear();
                self.ctrl.push_back(Ctrl { dst: src, vtag: self.peer_tag, alone: true, bytes: b });
                self.close(None);
            }
            _ => {}
        }
    }

    fn on_sack(&mut self, now: Instant, s: &SackChunk) {
        if !matches!(
            self.state,
            AssocState::Established
                | AssocState::ShutdownPending
                | AssocState::ShutdownSent
                | AssocState::ShutdownReceived
        ) {
            return;
        }
        self.stats.isacks += 1;
        self.stats.gapcnt += (s.gap_blocks.len() / 4) as u64;
        self.process_cum_ack(now, s.cum_tsn_ack, Some(s));
        self.maybe_progress_shutdown(now);
    }

    /// SACK processing (RFC 9260 6.2.1, 7.2.1-7.2.4); a SHUTDOWN passes
    /// only its cumulative TSN ack (`sack` None).
    fn process_cum_ack(&mut self, now: Instant, cum: u32, sack: Option<&SackChunk>) {
        // 6.2.1 D i): an older cumulative ack is out of date.
        if lt32(cum, self.cum_ack) {
            return;
        }
        // An ack for data never sent is a protocol violation: ignore it.
        if !lt32(cum, self.next_tsn) {
            return;
        }
        let cfg = self.cfg.clone();
        let npaths = self.paths.len();
        let mut acked_bytes = [0u32; cookie::MAX_PEER_ADDRS];
        let cum_advanced = gt32(cum, self.cum_ack);
        let mut flight_before = [0u32; cookie::MAX_PEER_ADDRS];
        for (f, p) in flight_before.iter_mut().zip(&self.paths) {
            *f = p.flight_size;
        }
        // Cumulatively acknowledged chunks.
        while let Some(c) = self.out.q.front() {
            if !le32(c.tsn, cum) {
                break;
            }
            let Some(c) = self.out.q.pop_front() else {
                break;
            };
            self.ack_chunk(now, &c, &mut acked_bytes, &cfg);
        }
        self.cum_ack = cum;
        let mut highest_newly_acked: Option<u32> = None;
        if let Some(s) = sack {
            // Gap blocks: one pass over the queue, in TSN order.
            let mut gaps = s.gaps().peekable();
            for idx in 0..self.out.q.len() {
                let tsn = self.out.q[idx].tsn;
                let off = tsn.wrapping_sub(cum);
                let mut in_gap = false;
                while let Some(&(gs, ge)) = gaps.peek() {
                    if u32::from(ge) < off {
                        gaps.next();
                        continue;
                    }
                    in_gap = u32::from(gs) <= off;
                    break;
                }
                let c = &mut self.out.q[idx];
                if c.abandoned {
                    // RFC 3758 3.5 A3: never credited, never retransmitted.
                    c.gap_acked |= in_gap;
                    continue;
                }
                if in_gap && !c.gap_acked {
                    c.gap_acked = true;
                    if c.rtx.take().is_some() {
                        self.rtx_marked = self.rtx_marked.saturating_sub(1);
                    }
                    if c.in_flight {
                        c.in_flight = false;
                        let p = &mut self.paths[c.path];
                        p.flight_size = p.flight_size.saturating_sub(c.len());
                    }
                    if c.path < acked_bytes.len() {
                        acked_bytes[c.path] = acked_bytes[c.path].saturating_add(c.len());
                    }
                    if c.tx_count == 1 {
                        if let Some((ptsn, sent)) = self.paths[c.path].rtt_probe {
                            if ptsn == c.tsn {
                                self.paths[c.path].rtt_probe = None;
                                self.paths[c.path].on_rtt(now.saturating_since(sent), &cfg);
                            }
                        }
                    }
                    let sent = c.sent_at;
                    self.paths[c.path].ack_clears_errors(sent);
                    highest_newly_acked = Some(tsn);
                } else if !in_gap && c.gap_acked {
                    // Reneged (6.2.1): no longer acknowledged. It is not in
                    // flight any more, so no T3-rtx covers it: send it again.
                    c.gap_acked = false;
                    if c.rtx.is_none() {
                        c.rtx = Some(c.path);
                        self.rtx_marked += 1;
                    }
                }
            }
            // Fast retransmit (7.2.4): miss indications for chunks below the
            // highest TSN newly acknowledged (HTNA).
            let htna = highest_newly_acked.or(if cum_advanced { Some(cum) } else { None });
            if let Some(h) = htna {
                let mut enter_fr = [false; cookie::MAX_PEER_ADDRS];
                for c in self.out.q.iter_mut() {
                    if !lt32(c.tsn, h) {
                        break;
                    }
                    if c.gap_acked || c.fast_rtx_done || c.rtx.is_some() || c.abandoned {
                        continue;
                    }
                    c.misses = c.misses.saturating_add(1);
                    if c.misses >= 3 {
                        c.fast_rtx_done = true;
                        if c.in_flight {
                            c.in_flight = false;
                            let p = &mut self.paths[c.path];
                            p.flight_size = p.flight_size.saturating_sub(c.len());
                        }
                        c.rtx = Some(c.path);
                        self.rtx_marked += 1;
                        if c.path < enter_fr.len() {
                            enter_fr[c.path] = true;
                        }
                    }
                }
                let highest_out = self.next_tsn.wrapping_sub(1);
                for (i, fr) in enter_fr.iter().enumerate().take(npaths) {
                    if *fr {
                        let p = &mut self.paths[i];
                        if p.fast_recovery_exit.is_none() {
                            p.ssthresh = (p.cwnd / 2).max(4 * p.mtu);
                            p.cwnd = p.ssthresh;
                            p.partial_bytes_acked = 0;
                            p.fast_recovery_exit = Some(highest_out);
                        }
                        self.rtx_bypass = true;
                    }
                }
            }
            // Peer window (6.2.1 D iv).
            let flight: u32 = self.paths.iter().map(|p| p.flight_size).sum();
            self.peer_rwnd = s.a_rwnd.saturating_sub(flight);
        }
        // Congestion window growth (7.2.1, 7.2.2), per path.
        #[allow(clippy::needless_range_loop)]
        for i in 0..npaths {
            let p = &mut self.paths[i];
            if p.fast_recovery_exit.is_some_and(|x| ge32(cum, x)) {
                p.fast_recovery_exit = None;
            }
            let bytes = acked_bytes.get(i).copied().unwrap_or(0);
            if bytes == 0 {
                continue;
            }
            let full = flight_before[i].saturating_add(p.mtu) >= p.cwnd;
            if cum_advanced && p.fast_recovery_exit.is_none() && full {
                if p.cwnd <= p.ssthresh {
                    p.cwnd = p.cwnd.saturating_add(bytes.min(p.mtu));
                } else {
                    p.partial_bytes_acked = p.partial_bytes_acked.saturating_add(bytes);
                    if p.partial_bytes_acked >= p.cwnd {
                        p.partial_bytes_acked -= p.cwnd;
                        p.cwnd = p.cwnd.saturating_add(p.mtu);
                    }
                }
            }
            if p.flight_size == 0 {
                p.partial_bytes_acked = 0;
            }
        }
        // T3-rtx (6.3.2 R2, R3).
        for i in 0..npaths {
            let has_out = self.out.q.iter().any(|c| c.path == i && c.in_flight);
            let p = &mut self.paths[i];
            if !has_out {
                p.t3_rtx = None;
            } else if cum_advanced && acked_bytes.get(i).copied().unwrap_or(0) > 0 {
                p.t3_rtx = Some(now + p.rto);
            }
        }
        if cum_advanced || highest_newly_acked.is_some() {
            self.assoc_errors = 0;
            self.burst_left = self.cfg.max_burst;
        }
        // RFC 3758 3.5 C1-C5: abandon what the RTX policy or lifetimes
        // say, then tell the peer how far it may move its cumulative TSN.
        if self.pr_enabled() {
            self.pr_check_rtx(now);
            if self.fwd_needed() && sack.is_some() {
                self.fwd_due = true;
                self.arm_fwd_timer(now);
            }
        }
        if self.out.q.is_empty() && self.pending.is_empty() && !self.dry {
            self.dry = true;
            self.events.push_back(AssocEvent::SenderDry);
        }
    }

    fn ack_chunk(&mut self, now: Instant, c: &TxChunk, acked: &mut [u32], cfg: &Config) {
        if c.abandoned {
            // Counted out when abandoned; no credit (RFC 3758 3.5 A3).
            return;
        }
        self.queued_bytes = self.queued_bytes.saturating_sub(c.payload.len());
        if c.rtx.is_some() {
            self.rtx_marked = self.rtx_marked.saturating_sub(1);
        }
        let Some(p) = self.paths.get_mut(c.path) else {
            return;
        };
        if c.in_flight {
            p.flight_size = p.flight_size.saturating_sub(c.len());
        }
        if !c.gap_acked {
            if let Some(a) = acked.get_mut(c.path) {
                *a = a.saturating_add(c.len());
            }
            if c.tx_count == 1 {
                if let Some((ptsn, sent)) = p.rtt_probe {
                    if ptsn == c.tsn {
                        p.rtt_probe = None;
                        p.on_rtt(now.saturating_since(sent), cfg);
                    }
                }
            }
            // 8.2: an acknowledgement clears the error count of the path
            // the chunk was last sent to, but only a new one: a chunk
            // gap-acked earlier proves that path worked then, not now
            // (it may have gone dark since).
            p.ack_clears_errors(c.sent_at);
        }
    }
}
