/*
 * abi_layout.c: print the layout facts of the Linux SCTP sockets API as the
 * system headers (<netinet/sctp.h> from lksctp-tools over the kernel uapi
 * <linux/sctp.h>) define them, one fact per line:
 *
 *   sizeof <type> <n>            alignof <type> <n>
 *   offsetof <type>.<field> <n>  fieldsize <type>.<field> <n>
 *   fieldsign <type>.<field> s|u|-      (signed / unsigned integer / other)
 *   fieldelem <type>.<field> <n> s|u|-  (element of a flexible array)
 *   typesign <typedef> s|u
 *   const <NAME> <value>
 *   macro <EXPR> <value>                (function-like macros)
 *   newer <NAME> <version>              (defined by newer uapi headers only)
 *
 * tests/abi_layout.rs prints the same lines from the Rust definitions in
 * src/abi/types.rs and compares the two sets. Build and run by hand with
 *
 *   cc -std=gnu11 -Wall -Wextra -o abi_layout c-tests/abi_layout.c && ./abi_layout
 */
#include <stddef.h>
#include <stdio.h>
#include <netinet/sctp.h>
#include <linux/version.h>

#define SIGN(e) _Generic((e),                                              \
	signed char: "s", short: "s", int: "s", long: "s", long long: "s",  \
	unsigned char: "u", unsigned short: "u", unsigned int: "u",         \
	unsigned long: "u", unsigned long long: "u",                        \
	char: ((char)-1 < 0 ? "s" : "u"),                                   \
	default: "-")

/* BEGIN(c type, printed name) ... END: one struct or union. */
#define BEGIN(ctype, name) {                                                 \
	typedef ctype T_;                                                    \
	const char *n_ = name;                                               \
	printf("sizeof %s %zu\n", n_, sizeof(T_));                           \
	printf("alignof %s %zu\n", n_, _Alignof(T_));
#define END }

/* An ordinary member. */
#define F(f)                                                                 \
	printf("offsetof %s.%s %zu\n", n_, #f, offsetof(T_, f));             \
	printf("fieldsize %s.%s %zu\n", n_, #f, sizeof(((T_ *)0)->f));       \
	printf("fieldsign %s.%s %s\n", n_, #f, SIGN(((T_ *)0)->f));

/* A flexible array member: no size of its own. */
#define FLEX(f)                                                              \
	printf("offsetof %s.%s %zu\n", n_, #f, offsetof(T_, f));             \
	printf("fieldsize %s.%s 0\n", n_, #f);                               \
	printf("fieldsign %s.%s -\n", n_, #f);                               \
	printf("fieldelem %s.%s %zu %s\n", n_, #f, sizeof(((T_ *)0)->f[0]),  \
	       SIGN(((T_ *)0)->f[0]));

#define STRUCT(name) BEGIN(struct name, #name)
#define UNION(name) BEGIN(union name, #name)
#define TYPEDEF(name) BEGIN(name, #name)

/* A scalar typedef. */
#define SCALAR(t)                                                            \
	printf("sizeof %s %zu\n", #t, sizeof(t));                            \
	printf("alignof %s %zu\n", #t, _Alignof(t));                         \
	printf("typesign %s %s\n", #t, SIGN((t)0));

#define K(x) printf("const %s %lld\n", #x, (long long)(x));
#define M(expr) printf("macro %s %lld\n", #expr, (long long)(expr));

static void types(void)
{
	SCALAR(sctp_assoc_t)
	SCALAR(sctp_cmsg_t)
	SCALAR(sctp_sn_error_t)

	/* ancillary data */
	STRUCT(sctp_initmsg)
		F(sinit_num_ostreams) F(sinit_max_instreams)
		F(sinit_max_attempts) F(sinit_max_init_timeo)
	END
	STRUCT(sctp_sndrcvinfo)
		F(sinfo_stream) F(sinfo_ssn) F(sinfo_flags) F(sinfo_ppid)
		F(sinfo_context) F(sinfo_timetolive) F(sinfo_tsn)
		F(sinfo_cumtsn) F(sinfo_assoc_id)
	END
	STRUCT(sctp_sndinfo)
		F(snd_sid) F(snd_flags) F(snd_ppid) F(snd_context)
		F(snd_assoc_id)
	END
	STRUCT(sctp_rcvinfo)
		F(rcv_sid) F(rcv_ssn) F(rcv_flags) F(rcv_ppid) F(rcv_tsn)
		F(rcv_cumtsn) F(rcv_context) F(rcv_assoc_id)
	END
	STRUCT(sctp_nxtinfo)
		F(nxt_sid) F(nxt_flags) F(nxt_ppid) F(nxt_length)
		F(nxt_assoc_id)
	END
	STRUCT(sctp_prinfo)
		F(pr_policy) F(pr_value)
	END
	STRUCT(sctp_authinfo)
		F(auth_keynumber)
	END
	TYPEDEF(sctp_cmsg_data_t)
		F(raw) F(init) F(sndrcv)
	END

	/* notifications */
	STRUCT(sctp_assoc_change)
		F(sac_type) F(sac_flags) F(sac_length) F(sac_state)
		F(sac_error) F(sac_outbound_streams) F(sac_inbound_streams)
		F(sac_assoc_id) FLEX(sac_info)
	END
	STRUCT(sctp_paddr_change)
		F(spc_type) F(spc_flags) F(spc_length) F(spc_aaddr)
		F(spc_state) F(spc_error) F(spc_assoc_id)
	END
	STRUCT(sctp_remote_error)
		F(sre_type) F(sre_flags) F(sre_length) F(sre_error)
		F(sre_assoc_id) FLEX(sre_data)
	END
	STRUCT(sctp_send_failed)
		F(ssf_type) F(ssf_flags) F(ssf_length) F(ssf_error)
		F(ssf_info) F(ssf_assoc_id) FLEX(ssf_data)
	END
	STRUCT(sctp_send_failed_event)
		F(ssf_type) F(ssf_flags) F(ssf_length) F(ssf_error)
		F(ssfe_info) F(ssf_assoc_id) FLEX(ssf_data)
	END
	STRUCT(sctp_shutdown_event)
		F(sse_type) F(sse_flags) F(sse_length) F(sse_assoc_id)
	END
	STRUCT(sctp_adaptation_event)
		F(sai_type) F(sai_flags) F(sai_length) F(sai_adaptation_ind)
		F(sai_assoc_id)
	END
	STRUCT(sctp_pdapi_event)
		F(pdapi_type) F(pdapi_flags) F(pdapi_length)
		F(pdapi_indication) F(pdapi_assoc_id) F(pdapi_stream)
		F(pdapi_seq)
	END
	STRUCT(sctp_authkey_event)
		F(auth_type) F(auth_flags) F(auth_length) F(auth_keynumber)
		F(auth_altkeynumber) F(auth_indication) F(auth_assoc_id)
	END
	STRUCT(sctp_sender_dry_event)
		F(sender_dry_type) F(sender_dry_flags) F(sender_dry_length)
		F(sender_dry_assoc_id)
	END
	STRUCT(sctp_stream_reset_event)
		F(strreset_type) F(strreset_flags) F(strreset_length)
		F(strreset_assoc_id) FLEX(strreset_stream_list)
	END
	STRUCT(sctp_assoc_reset_event)
		F(assocreset_type) F(assocreset_flags) F(assocreset_length)
		F(assocreset_assoc_id) F(assocreset_local_tsn)
		F(assocreset_remote_tsn)
	END
	STRUCT(sctp_stream_change_event)
		F(strchange_type) F(strchange_flags) F(strchange_length)
		F(strchange_assoc_id) F(strchange_instrms)
		F(strchange_outstrms)
	END
	STRUCT(sctp_event_subscribe)
		F(sctp_data_io_event) F(sctp_association_event)
		F(sctp_address_event) F(sctp_send_failure_event)
		F(sctp_peer_error_event) F(sctp_shutdown_event)
		F(sctp_partial_delivery_event) F(sctp_adaptation_layer_event)
		F(sctp_authentication_event) F(sctp_sender_dry_event)
		F(sctp_stream_reset_event) F(sctp_assoc_reset_event)
		F(sctp_stream_change_event) F(sctp_send_failure_event_event)
	END
	/* the anonymous struct type of sctp_notification.sn_header */
	BEGIN(__typeof__(((union sctp_notification *)0)->sn_header), "sctp_tlv")
		F(sn_type) F(sn_flags) F(sn_length)
	END
	UNION(sctp_notification)
		F(sn_header) F(sn_assoc_change) F(sn_paddr_change)
		F(sn_remote_error) F(sn_send_failed) F(sn_shutdown_event)
		F(sn_adaptation_event) F(sn_pdapi_event) F(sn_authkey_event)
		F(sn_sender_dry_event) F(sn_strreset_event)
		F(sn_assocreset_event) F(sn_strchange_event)
		F(sn_send_failed_event)
	END

	/* socket option arguments */
	STRUCT(sctp_rtoinfo)
		F(srto_assoc_id) F(srto_initial) F(srto_max) F(srto_min)
	END
	STRUCT(sctp_assocparams)
		F(sasoc_assoc_id) F(sasoc_asocmaxrxt)
		F(sasoc_number_peer_destinations) F(sasoc_peer_rwnd)
		F(sasoc_local_rwnd) F(sasoc_cookie_life)
	END
	STRUCT(sctp_setpeerprim)
		F(sspp_assoc_id) F(sspp_addr)
	END
	STRUCT(sctp_prim)
		F(ssp_assoc_id) F(ssp_addr)
	END
	STRUCT(sctp_setprim)	/* #define sctp_setprim sctp_prim */
		F(ssp_assoc_id) F(ssp_addr)
	END
	STRUCT(sctp_setadaptation)
		F(ssb_adaptation_ind)
	END
	STRUCT(sctp_paddrparams)
		F(spp_assoc_id) F(spp_address) F(spp_hbinterval)
		F(spp_pathmaxrxt) F(spp_pathmtu) F(spp_sackdelay)
		F(spp_flags) F(spp_ipv6_flowlabel) F(spp_dscp)
	END
	STRUCT(sctp_authchunk)
		F(sauth_chunk)
	END
	STRUCT(sctp_hmacalgo)
		F(shmac_num_idents) FLEX(shmac_idents)
	END
	STRUCT(sctp_authkey)
		F(sca_assoc_id) F(sca_keynumber) F(sca_keylength)
		FLEX(sca_key)
	END
	STRUCT(sctp_authkeyid)
		F(scact_assoc_id) F(scact_keynumber)
	END
	STRUCT(sctp_sack_info)
		F(sack_assoc_id) F(sack_delay) F(sack_freq)
	END
	STRUCT(sctp_assoc_value)
		F(assoc_id) F(assoc_value)
	END
	STRUCT(sctp_stream_value)
		F(assoc_id) F(stream_id) F(stream_value)
	END
	STRUCT(sctp_paddrinfo)
		F(spinfo_assoc_id) F(spinfo_address) F(spinfo_state)
		F(spinfo_cwnd) F(spinfo_srtt) F(spinfo_rto) F(spinfo_mtu)
	END
	STRUCT(sctp_status)
		F(sstat_assoc_id) F(sstat_state) F(sstat_rwnd)
		F(sstat_unackdata) F(sstat_penddata) F(sstat_instrms)
		F(sstat_outstrms) F(sstat_fragmentation_point)
		F(sstat_primary)
	END
	STRUCT(sctp_authchunks)
		F(gauth_assoc_id) F(gauth_number_of_chunks)
		FLEX(gauth_chunks)
	END
	STRUCT(sctp_assoc_ids)
		F(gaids_number_of_ids) FLEX(gaids_assoc_id)
	END
	STRUCT(sctp_getaddrs_old)
		F(assoc_id) F(addr_num) F(addrs)
	END
	STRUCT(sctp_getaddrs)
		F(assoc_id) F(addr_num) FLEX(addrs)
	END
	STRUCT(sctp_assoc_stats)
		F(sas_assoc_id) F(sas_obs_rto_ipaddr) F(sas_maxrto)
		F(sas_isacks) F(sas_osacks) F(sas_opackets) F(sas_ipackets)
		F(sas_rtxchunks) F(sas_outofseqtsns) F(sas_idupchunks)
		F(sas_gapcnt) F(sas_ouodchunks) F(sas_iuodchunks)
		F(sas_oodchunks) F(sas_iodchunks) F(sas_octrlchunks)
		F(sas_ictrlchunks)
	END
	TYPEDEF(sctp_peeloff_arg_t)
		F(associd) F(sd)
	END
	TYPEDEF(sctp_peeloff_flags_arg_t)
		F(p_arg) F(flags)
	END
	STRUCT(sctp_paddrthlds)
		F(spt_assoc_id) F(spt_address) F(spt_pathmaxrxt)
		F(spt_pathpfthld)
	END
	STRUCT(sctp_paddrthlds_v2)
		F(spt_assoc_id) F(spt_address) F(spt_pathmaxrxt)
		F(spt_pathpfthld) F(spt_pathcpthld)
	END
	STRUCT(sctp_prstatus)
		F(sprstat_assoc_id) F(sprstat_sid) F(sprstat_policy)
		F(sprstat_abandoned_unsent) F(sprstat_abandoned_sent)
	END
	STRUCT(sctp_default_prinfo)
		F(pr_assoc_id) F(pr_value) F(pr_policy)
	END
	STRUCT(sctp_info)
		F(sctpi_tag) F(sctpi_state) F(sctpi_rwnd) F(sctpi_unackdata)
		F(sctpi_penddata) F(sctpi_instrms) F(sctpi_outstrms)
		F(sctpi_fragmentation_point) F(sctpi_inqueue)
		F(sctpi_outqueue) F(sctpi_overall_error) F(sctpi_max_burst)
		F(sctpi_maxseg) F(sctpi_peer_rwnd) F(sctpi_peer_tag)
		F(sctpi_peer_capable) F(sctpi_peer_sack) F(__reserved1)
		F(sctpi_isacks) F(sctpi_osacks) F(sctpi_opackets)
		F(sctpi_ipackets) F(sctpi_rtxchunks) F(sctpi_outofseqtsns)
		F(sctpi_idupchunks) F(sctpi_gapcnt) F(sctpi_ouodchunks)
		F(sctpi_iuodchunks) F(sctpi_oodchunks) F(sctpi_iodchunks)
		F(sctpi_octrlchunks) F(sctpi_ictrlchunks)
		F(sctpi_p_address) F(sctpi_p_state) F(sctpi_p_cwnd)
		F(sctpi_p_srtt) F(sctpi_p_rto) F(sctpi_p_hbinterval)
		F(sctpi_p_pathmaxrxt) F(sctpi_p_sackdelay)
		F(sctpi_p_sackfreq) F(sctpi_p_ssthresh)
		F(sctpi_p_partial_bytes_acked) F(sctpi_p_flight_size)
		F(sctpi_p_error) F(__reserved2)
		F(sctpi_s_autoclose) F(sctpi_s_adaptation_ind)
		F(sctpi_s_pd_point) F(sctpi_s_nodelay)
		F(sctpi_s_disable_fragments) F(sctpi_s_v4mapped)
		F(sctpi_s_frag_interleave) F(sctpi_s_type) F(__reserved3)
	END
	STRUCT(sctp_reset_streams)
		F(srs_assoc_id) F(srs_flags) F(srs_number_streams)
		FLEX(srs_stream_list)
	END
	STRUCT(sctp_add_streams)
		F(sas_assoc_id) F(sas_instrms) F(sas_outstrms)
	END
	STRUCT(sctp_event)
		F(se_assoc_id) F(se_type) F(se_on)
	END
	STRUCT(sctp_udpencaps)
		F(sue_assoc_id) F(sue_address) F(sue_port)
	END
	STRUCT(sctp_probeinterval)
		F(spi_assoc_id) F(spi_address) F(spi_interval)
	END

	/* netinet/sctp.h */
	STRUCT(sctp_sendv_spa)
		F(sendv_flags) F(sendv_sndinfo) F(sendv_prinfo)
		F(sendv_authinfo)
	END
	STRUCT(sctp_recvv_rn)
		F(recvv_rcvinfo) F(recvv_nxtinfo)
	END
}

static void constants(void)
{
	/* level and protocol */
	K(SOL_SCTP) K(IPPROTO_SCTP)

	/* special association ids */
	K(SCTP_FUTURE_ASSOC) K(SCTP_CURRENT_ASSOC) K(SCTP_ALL_ASSOC)

	/* socket options */
	K(SCTP_RTOINFO) K(SCTP_ASSOCINFO) K(SCTP_INITMSG) K(SCTP_NODELAY)
	K(SCTP_AUTOCLOSE) K(SCTP_SET_PEER_PRIMARY_ADDR) K(SCTP_PRIMARY_ADDR)
	K(SCTP_ADAPTATION_LAYER) K(SCTP_DISABLE_FRAGMENTS)
	K(SCTP_PEER_ADDR_PARAMS) K(SCTP_DEFAULT_SEND_PARAM) K(SCTP_EVENTS)
	K(SCTP_I_WANT_MAPPED_V4_ADDR) K(SCTP_MAXSEG) K(SCTP_STATUS)
	K(SCTP_GET_PEER_ADDR_INFO) K(SCTP_DELAYED_ACK_TIME)
	K(SCTP_DELAYED_ACK) K(SCTP_DELAYED_SACK) K(SCTP_CONTEXT)
	K(SCTP_FRAGMENT_INTERLEAVE) K(SCTP_PARTIAL_DELIVERY_POINT)
	K(SCTP_MAX_BURST) K(SCTP_AUTH_CHUNK) K(SCTP_HMAC_IDENT)
	K(SCTP_AUTH_KEY) K(SCTP_AUTH_ACTIVE_KEY) K(SCTP_AUTH_DELETE_KEY)
	K(SCTP_PEER_AUTH_CHUNKS) K(SCTP_LOCAL_AUTH_CHUNKS)
	K(SCTP_GET_ASSOC_NUMBER) K(SCTP_GET_ASSOC_ID_LIST)
	K(SCTP_AUTO_ASCONF) K(SCTP_PEER_ADDR_THLDS) K(SCTP_RECVRCVINFO)
	K(SCTP_RECVNXTINFO) K(SCTP_DEFAULT_SNDINFO)
	K(SCTP_AUTH_DEACTIVATE_KEY) K(SCTP_REUSE_PORT)
	K(SCTP_PEER_ADDR_THLDS_V2)
	K(SCTP_SOCKOPT_BINDX_ADD) K(SCTP_SOCKOPT_BINDX_REM)
	K(SCTP_SOCKOPT_PEELOFF) K(SCTP_SOCKOPT_CONNECTX_OLD)
	K(SCTP_GET_PEER_ADDRS) K(SCTP_GET_LOCAL_ADDRS)
	K(SCTP_SOCKOPT_CONNECTX) K(SCTP_SOCKOPT_CONNECTX3)
	K(SCTP_GET_ASSOC_STATS)
	K(SCTP_PR_SUPPORTED) K(SCTP_DEFAULT_PRINFO) K(SCTP_PR_ASSOC_STATUS)
	K(SCTP_PR_STREAM_STATUS) K(SCTP_RECONFIG_SUPPORTED)
	K(SCTP_ENABLE_STREAM_RESET) K(SCTP_RESET_STREAMS)
	K(SCTP_RESET_ASSOC) K(SCTP_ADD_STREAMS)
	K(SCTP_SOCKOPT_PEELOFF_FLAGS) K(SCTP_STREAM_SCHEDULER)
	K(SCTP_STREAM_SCHEDULER_VALUE) K(SCTP_INTERLEAVING_SUPPORTED)
	K(SCTP_SENDMSG_CONNECT) K(SCTP_EVENT) K(SCTP_ASCONF_SUPPORTED)
	K(SCTP_AUTH_SUPPORTED) K(SCTP_ECN_SUPPORTED)
	K(SCTP_EXPOSE_POTENTIALLY_FAILED_STATE) K(SCTP_EXPOSE_PF_STATE)
	K(SCTP_REMOTE_UDP_ENCAPS_PORT) K(SCTP_PLPMTUD_PROBE_INTERVAL)

	/* PR-SCTP policies and their macros */
	K(SCTP_PR_SCTP_NONE) K(SCTP_PR_SCTP_TTL) K(SCTP_PR_SCTP_RTX)
	K(SCTP_PR_SCTP_PRIO) K(SCTP_PR_SCTP_MAX) K(SCTP_PR_SCTP_MASK)
	M(SCTP_PR_INDEX(TTL)) M(SCTP_PR_INDEX(RTX)) M(SCTP_PR_INDEX(PRIO))
	M(__SCTP_PR_INDEX(SCTP_PR_SCTP_NONE))
	M(SCTP_PR_POLICY(0xffff)) M(SCTP_PR_POLICY(0x0021))
	M(SCTP_PR_TTL_ENABLED(0x0011)) M(SCTP_PR_TTL_ENABLED(0x0031))
	M(SCTP_PR_RTX_ENABLED(0x0021)) M(SCTP_PR_RTX_ENABLED(0x0011))
	M(SCTP_PR_PRIO_ENABLED(0x0031)) M(SCTP_PR_PRIO_ENABLED(0x0001))
	{
		unsigned short flags = 0xffff;
		SCTP_PR_SET_POLICY(flags, SCTP_PR_SCTP_RTX);
		printf("macro SCTP_PR_SET_POLICY(0xffff,SCTP_PR_SCTP_RTX) %d\n",
		       flags);
	}

	/* stream reconfiguration */
	K(SCTP_ENABLE_RESET_STREAM_REQ) K(SCTP_ENABLE_RESET_ASSOC_REQ)
	K(SCTP_ENABLE_CHANGE_ASSOC_REQ) K(SCTP_ENABLE_STRRESET_MASK)
	K(SCTP_STREAM_RESET_INCOMING) K(SCTP_STREAM_RESET_OUTGOING)

	/* msg_flags, sinfo_flags */
	K(MSG_NOTIFICATION)
	K(SCTP_UNORDERED) K(SCTP_ADDR_OVER) K(SCTP_ABORT)
	K(SCTP_SACK_IMMEDIATELY) K(SCTP_SENDALL) K(SCTP_PR_SCTP_ALL)
	K(SCTP_NOTIFICATION) K(SCTP_EOF)

	/* cmsg types */
	K(SCTP_INIT) K(SCTP_SNDRCV) K(SCTP_SNDINFO) K(SCTP_RCVINFO)
	K(SCTP_NXTINFO) K(SCTP_PRINFO) K(SCTP_AUTHINFO) K(SCTP_DSTADDRV4)
	K(SCTP_DSTADDRV6)

	/* notification types */
	K(SCTP_SN_TYPE_BASE) K(SCTP_DATA_IO_EVENT) K(SCTP_ASSOC_CHANGE)
	K(SCTP_PEER_ADDR_CHANGE) K(SCTP_SEND_FAILED) K(SCTP_REMOTE_ERROR)
	K(SCTP_SHUTDOWN_EVENT) K(SCTP_PARTIAL_DELIVERY_EVENT)
	K(SCTP_ADAPTATION_INDICATION) K(SCTP_AUTHENTICATION_EVENT)
	K(SCTP_AUTHENTICATION_INDICATION) K(SCTP_SENDER_DRY_EVENT)
	K(SCTP_STREAM_RESET_EVENT) K(SCTP_ASSOC_RESET_EVENT)
	K(SCTP_STREAM_CHANGE_EVENT) K(SCTP_SEND_FAILED_EVENT)
	K(SCTP_SN_TYPE_MAX)

	/* notification field values */
	K(SCTP_COMM_UP) K(SCTP_COMM_LOST) K(SCTP_RESTART)
	K(SCTP_SHUTDOWN_COMP) K(SCTP_CANT_STR_ASSOC)
	K(SCTP_ADDR_AVAILABLE) K(SCTP_ADDR_UNREACHABLE) K(SCTP_ADDR_REMOVED)
	K(SCTP_ADDR_ADDED) K(SCTP_ADDR_MADE_PRIM) K(SCTP_ADDR_CONFIRMED)
	K(SCTP_ADDR_POTENTIALLY_FAILED) K(SCTP_ADDR_PF)
	K(SCTP_DATA_UNSENT) K(SCTP_DATA_SENT)
	K(SCTP_PARTIAL_DELIVERY_ABORTED)
	K(SCTP_AUTH_NEW_KEY) K(SCTP_AUTH_NEWKEY) K(SCTP_AUTH_FREE_KEY)
	K(SCTP_AUTH_NO_AUTH)
	K(SCTP_STREAM_RESET_INCOMING_SSN) K(SCTP_STREAM_RESET_OUTGOING_SSN)
	K(SCTP_STREAM_RESET_DENIED) K(SCTP_STREAM_RESET_FAILED)
	K(SCTP_ASSOC_RESET_DENIED) K(SCTP_ASSOC_RESET_FAILED)
	K(SCTP_ASSOC_CHANGE_DENIED) K(SCTP_ASSOC_CHANGE_FAILED)
	K(SCTP_STREAM_CHANGE_DENIED) K(SCTP_STREAM_CHANGE_FAILED)
	K(SCTP_FAILED_THRESHOLD) K(SCTP_RECEIVED_SACK)
	K(SCTP_HEARTBEAT_SUCCESS) K(SCTP_RESPONSE_TO_USER_REQ)
	K(SCTP_INTERNAL_ERROR) K(SCTP_SHUTDOWN_GUARD_EXPIRES)
	K(SCTP_PEER_FAULTY)

	/* spp_flags */
	K(SPP_HB_ENABLE) K(SPP_HB_DISABLE) K(SPP_HB) K(SPP_HB_DEMAND)
	K(SPP_PMTUD_ENABLE) K(SPP_PMTUD_DISABLE) K(SPP_PMTUD)
	K(SPP_SACKDELAY_ENABLE) K(SPP_SACKDELAY_DISABLE) K(SPP_SACKDELAY)
	K(SPP_HB_TIME_IS_ZERO) K(SPP_IPV6_FLOWLABEL) K(SPP_DSCP)

	/* AUTH */
	K(SCTP_AUTH_HMAC_ID_SHA1) K(SCTP_AUTH_HMAC_ID_SHA256)

	/* path and association states */
	K(SCTP_INACTIVE) K(SCTP_PF) K(SCTP_POTENTIALLY_FAILED)
	K(SCTP_ACTIVE) K(SCTP_UNCONFIRMED) K(SCTP_UNKNOWN)
	K(SCTP_EMPTY) K(SCTP_CLOSED) K(SCTP_COOKIE_WAIT)
	K(SCTP_COOKIE_ECHOED) K(SCTP_ESTABLISHED) K(SCTP_SHUTDOWN_PENDING)
	K(SCTP_SHUTDOWN_SENT) K(SCTP_SHUTDOWN_RECEIVED)
	K(SCTP_SHUTDOWN_ACK_SENT)

	/* sctp_bindx() */
	K(SCTP_BINDX_ADD_ADDR) K(SCTP_BINDX_REM_ADDR)

	/* stream schedulers; FC and WFQ arrived in the Linux 6.4 uapi */
	K(SCTP_SS_FCFS) K(SCTP_SS_DEFAULT) K(SCTP_SS_PRIO) K(SCTP_SS_RR)
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 4, 0)
	K(SCTP_SS_FC) K(SCTP_SS_WFQ) K(SCTP_SS_MAX)
#else
	puts("newer SCTP_SS_FC 6.4");
	puts("newer SCTP_SS_WFQ 6.4");
	puts("newer SCTP_SS_MAX 6.4");
#endif

	/* sctp_sendv() / sctp_recvv() (netinet/sctp.h) */
	K(SCTP_SENDV_NOINFO) K(SCTP_SENDV_SNDINFO) K(SCTP_SENDV_PRINFO)
	K(SCTP_SENDV_AUTHINFO) K(SCTP_SENDV_SPA)
	K(SCTP_SEND_SNDINFO_VALID) K(SCTP_SEND_PRINFO_VALID)
	K(SCTP_SEND_AUTHINFO_VALID)
	K(SCTP_RECVV_NOINFO) K(SCTP_RECVV_RCVINFO) K(SCTP_RECVV_NXTINFO)
	K(SCTP_RECVV_RN)

	/* feature macros with a value (netinet/sctp.h) */
	K(HAVE_SCTP_STREAM_RESET_EVENT) K(HAVE_SCTP_STREAM_RECONFIG)
	K(HAVE_SCTP_PEELOFF_FLAGS) K(HAVE_SCTP_PDAPI_EVENT_PDAPI_STREAM)
	K(HAVE_SCTP_PDAPI_EVENT_PDAPI_SEQ) K(HAVE_SCTP_SENDV)
	K(HAVE_SCTP_AUTH_NO_AUTH) K(HAVE_SCTP_SPP_IPV6_FLOWLABEL)
	K(HAVE_SCTP_SPP_DSCP)
}

int main(void)
{
	types();
	constants();
	return fflush(stdout) == 0 ? 0 : 1;
}
