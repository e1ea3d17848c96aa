/*
 * auth_setup.h: AUTH and ASCONF options for the interop cases, shared by
 * stack_sctpudp.c and stack_usrsctp.c, which include it after defining,
 * in their own API's terms: OPT(level, name, value), SETOPT(level, name,
 * buf, len), AUTH_ENABLE(), ASCONF_ENABLE() and HMAC_COUNT_FIELD (the
 * struct sctp_hmacalgo count field's name), with `struct psock` whose
 * socket those macros use as `s`.
 */
#ifndef INTEROP_AUTH_SETUP_H
#define INTEROP_AUTH_SETUP_H

/* AUTH (RFC 4895) for the interop "auth" case, from the environment:
 * PEER_AUTH_CHUNKS (chunk types to require authenticated, comma-separated;
 * unset: AUTH left as the stack has it), PEER_AUTH_HMACS (HMAC ids by
 * preference), PEER_AUTH_KEY ("id:secret", made the active key). */
static int auth_setup(struct psock *s, int *missing)
{
	const char *chunks = getenv("PEER_AUTH_CHUNKS");
	const char *hmacs = getenv("PEER_AUTH_HMACS");
	const char *key = getenv("PEER_AUTH_KEY");
	int rc = 0;

	if (!chunks)
		return 0;
	AUTH_ENABLE();
	ASCONF_ENABLE();
	for (const char *p = chunks; *p;) {
		struct sctp_authchunk c;
		char *end;
		memset(&c, 0, sizeof(c));
		c.sauth_chunk = (uint8_t)strtoul(p, &end, 0);
		OPT(IPPROTO_SCTP, SCTP_AUTH_CHUNK, c);
		p = *end ? end + 1 : end;
	}
	if (hmacs) {
		char buf[sizeof(struct sctp_hmacalgo) + 8 * sizeof(uint16_t)];
		struct sctp_hmacalgo *h = (void *)buf;
		uint32_t n = 0;
		for (const char *p = hmacs; *p && n < 8;) {
			char *end;
			h->HMAC_COUNT_FIELD = 0;
			h->shmac_idents[n++] = (uint16_t)strtoul(p, &end, 0);
			p = *end ? end + 1 : end;
		}
		h->HMAC_COUNT_FIELD = n;
		if (SETOPT(IPPROTO_SCTP, SCTP_HMAC_IDENT, buf, sizeof(*h) + n * sizeof(uint16_t))) {
			fprintf(stderr, "setsockopt SCTP_HMAC_IDENT: %s\n", strerror(errno));
			rc++;
		}
	}
	if (key) {
		char buf[sizeof(struct sctp_authkey) + 256];
		struct sctp_authkey *k = (void *)buf;
		const char *colon = strchr(key, ':');
		size_t n = colon ? strlen(colon + 1) : 0;
		struct sctp_authkeyid id;
		if (!colon || n > 256)
			return rc + 1;
		memset(buf, 0, sizeof(buf));
		k->sca_assoc_id = SCTP_FUTURE_ASSOC;
		k->sca_keynumber = (uint16_t)atoi(key);
		k->sca_keylength = (uint16_t)n;
		memcpy(k->sca_key, colon + 1, n);
		if (SETOPT(IPPROTO_SCTP, SCTP_AUTH_KEY, buf, sizeof(*k) + n)) {
			fprintf(stderr, "setsockopt SCTP_AUTH_KEY: %s\n", strerror(errno));
			rc++;
		}
		memset(&id, 0, sizeof(id));
		id.scact_assoc_id = SCTP_FUTURE_ASSOC;
		id.scact_keynumber = (uint16_t)atoi(key);
		OPT(IPPROTO_SCTP, SCTP_AUTH_ACTIVE_KEY, id);
	}
	return rc;
}

#endif
