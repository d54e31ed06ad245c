/*
 * udp_server.c - a request and reply server over UDP, executing each request
 * at most once.
 *
 *   usage: udp-server [-b ADDR] PORT
 *
 * One socket serves every client; a client is the source address and port of
 * its datagrams. Each request datagram gets at most one reply datagram. The
 * server remembers, for each of its last UDP_TABLE_CAPACITY clients, the
 * highest SEQ it answered and that reply: a retransmitted request is answered
 * again but not executed again. SIGINT or SIGTERM stops it.
 */
#include "net.h"
#include "rpc_request.h"
#include "udp_table.h"

#include <err.h>
#include <errno.h>
#include <netdb.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static volatile sig_atomic_t stop_requested; /* set by SIGINT and SIGTERM */

/*
 * Says on stderr that the function called name is still to be written, and
 * fails with ENOSYS ("Function not implemented"). Delete it once no function
 * calls it.
 */
static int not_implemented(const char *name)
{
	warnx("%s() is not implemented yet", name);
	errno = ENOSYS;
	return -1;
}

/* Prints the usage line to stderr and exits with status 2. */
static void usage(void)
{
	fprintf(stderr, "usage: udp-server [-b ADDR] PORT\n");
	exit(2);
}

/* The handler of SIGINT and SIGTERM: only records the request, main acts on it. */
static void request_stop(int signo)
{
	(void)signo;
	stop_requested = 1;
}

/*
 * Makes SIGINT and SIGTERM set stop_requested. Returns 0, or -1 with errno
 * set. Without SA_RESTART a blocked recvfrom(2) fails with EINTR when the
 * signal arrives, so the loop sees the flag.
 */
static int install_signal_handlers(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof sa);
	sigemptyset(&sa.sa_mask);
	sa.sa_handler = request_stop;
	sa.sa_flags = 0; /* no SA_RESTART: blocking calls must return EINTR */
	if (sigaction(SIGINT, &sa, NULL) == -1 || sigaction(SIGTERM, &sa, NULL) == -1)
		return -1;
	return 0;
}

/*
 * Prints "udp-server: listening on ADDR:PORT" to stderr, with the address the
 * socket is bound to: for PORT 0 this shows the port the kernel chose.
 * Returns 0, or -1 with errno set.
 */
static int announce(int fd)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof ss;
	char where[NET_ADDRESS_MAX];

	if (getsockname(fd, (struct sockaddr *)&ss, &len) == -1)
		return -1;
	if (format_address((struct sockaddr *)&ss, where, sizeof where) == -1)
		return -1;
	warnx("listening on %s", where);
	return 0;
}

/*
 * Decides the reply to req, which came from the client at from, and points
 * *reply at it. A SEQ the client has not used yet is executed once and its
 * reply remembered; the SEQ answered last gets the remembered reply again; an
 * older SEQ gets nothing. A request whose SEQ did not parse is answered
 * (in scratch, cap bytes) without touching the table.
 * Returns the reply's length, 0 for no reply, or -1 with errno set.
 */
static ssize_t decide_reply(struct udp_table *table, const struct sockaddr *from,
			    const struct rpc_request *req, const char **reply,
			    char *scratch, size_t cap)
{
	/*
	 * TODO (step 5, "At most once"): the heart of the lab.
	 * - req->seq is 0 (SEQ did not parse): answer it with rpc_answer() into
	 *   scratch, on a total of your own that nobody keeps, and point *reply
	 *   at scratch. Do not touch the table: garbage creates no client.
	 * - Else udp_table_touch() the client at from (this refreshes it, or
	 *   adds it new with last_seq 0). Then compare req->seq with its
	 *   last_seq, as unsigned numbers:
	 *   - lower: return 0, no reply (the client has moved on);
	 *   - higher: execute with rpc_answer() on the client's total, into the
	 *     client's reply buffer; remember reply_len and last_seq;
	 *   - equal: a retransmission; do not execute again.
	 *   In the last two cases point *reply at the client's reply and return
	 *   its length.
	 */
	(void)table;
	(void)from;
	(void)req;
	(void)reply;
	(void)scratch;
	(void)cap;
	return not_implemented(__func__);
}

/*
 * Answers the datagram of len bytes in buf that came from the client at from
 * (from_len bytes). A failure to send is reported and otherwise ignored: the
 * client will ask again.
 */
static void handle_datagram(int fd, struct udp_table *table, const char *buf, size_t len,
			    const struct sockaddr *from, socklen_t from_len)
{
	/*
	 * TODO (step 4, "The server loop"): parse the datagram with
	 * rpc_parse_request(), let decide_reply() choose the reply, and if
	 * there is one (a length above 0) send it back with sendto(2) to from,
	 * from_len: the source address recvfrom(2) gave you is the only way
	 * back to the client. If sendto(2) fails, warn(3) with the client's
	 * address (format_address()) and go on: a failed reply is a lost
	 * datagram, and the client will ask again. Skip a datagram whose
	 * from->sa_family is neither AF_INET nor AF_INET6.
	 */
	(void)fd;
	(void)table;
	(void)buf;
	(void)len;
	(void)from;
	(void)from_len;
	(void)decide_reply; /* delete this line once you call it */
	not_implemented(__func__);
}

/*
 * Tells whether recvfrom(2) failed because of one datagram or one peer (an
 * ICMP error reported late, memory short for a moment), so that the next call
 * may work.
 */
static bool is_transient(int e)
{
	return e == ECONNREFUSED || e == EHOSTUNREACH || e == ENETUNREACH ||
	       e == ENOBUFS || e == ENOMEM;
}

/*
 * Receives datagrams and answers each, until SIGINT or SIGTERM sets
 * stop_requested. Returns 0 then, or -1 with errno set if recvfrom(2) fails
 * for a reason that is not one datagram's.
 */
static int serve(int fd, struct udp_table *table)
{
	/*
	 * TODO (step 4, "The server loop"): until stop_requested, receive one
	 * datagram with recvfrom(2), with its source address, into a buffer of
	 * RPC_DATAGRAM_MAX + 1 bytes: one byte more than the longest request,
	 * so that a datagram too long fills it and is seen as too long
	 * ("Datagrams keep their boundaries"). Reset the address length before
	 * each call. Then handle_datagram().
	 * - EINTR: a signal; loop, the condition decides.
	 * - is_transient(): warn(3) and go on.
	 * - any other error: return -1.
	 * Return 0 once a stop was requested.
	 */
	(void)fd;
	(void)table;
	(void)handle_datagram; /* delete these two lines once you call them */
	(void)is_transient;
	return not_implemented(__func__);
}

int main(int argc, char *argv[])
{
	const char *addr = "127.0.0.1";
	const char *port;
	struct udp_table table;
	int opt, fd, gai_error;
	int status = 0;

	while ((opt = getopt(argc, argv, "b:")) != -1) {
		switch (opt) {
		case 'b':
			addr = optarg;
			break;
		default:
			usage();
		}
	}
	if (argc - optind != 1)
		usage();
	port = argv[optind];

	if (install_signal_handlers() == -1)
		err(1, "sigaction");
	fd = bind_udp(addr, port, &gai_error);
	if (fd == -1 && gai_error != 0)
		errx(1, "%s:%s: %s", addr, port, gai_strerror(gai_error));
	if (fd == -1)
		err(1, "cannot bind %s:%s", addr, port);
	if (udp_table_init(&table, UDP_TABLE_CAPACITY) == -1)
		err(1, "client table"); /* exit(3) closes fd */
	if (announce(fd) == -1) {
		warn("getsockname");
		status = 1;
	} else if (serve(fd, &table) == -1) {
		warn("recvfrom");
		status = 1;
	}
	udp_table_free(&table);
	if (close(fd) == -1) {
		warn("close");
		status = 1;
	}
	return status;
}
