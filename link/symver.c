/*
 * The older versions of sctp_connectx (see sctpudp.map). The Rust library
 * exports sctpudp_connectx_vers1/2; these local wrappers are defined here
 * so that .symver can give them lksctp's version names. sctp_connectx
 * itself gets VERS_3 (the default) from the map.
 */
struct sockaddr;
extern int sctpudp_connectx_vers1(int sd, struct sockaddr *addrs, int addrcnt);
extern int sctpudp_connectx_vers2(int sd, struct sockaddr *addrs, int addrcnt, int *id);

int sctpudp_cx_v1(int sd, struct sockaddr *addrs, int addrcnt)
{
	return sctpudp_connectx_vers1(sd, addrs, addrcnt);
}

int sctpudp_cx_v2(int sd, struct sockaddr *addrs, int addrcnt, int *id)
{
	return sctpudp_connectx_vers2(sd, addrs, addrcnt, id);
}

__asm__(".symver sctpudp_cx_v1, sctp_connectx@VERS_1");
__asm__(".symver sctpudp_cx_v2, sctp_connectx@VERS_2");
