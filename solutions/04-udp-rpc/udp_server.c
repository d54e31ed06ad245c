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
	struct udp_client *c;
	int64_t no_total = 0;
	ssize_t n;

	if (req->seq == 0) {
		*reply = scratch; /* no SEQ, no client: nothing to remember */
		return rpc_answer(req, &no_total, scratch, cap);
	}
	c = udp_table_touch(table, from); /* a new client starts with last_seq 0 */
	if (req->seq < c->last_seq)
		return 0; /* older than the last answered: the client has moved on */
	if (req->seq > c->last_seq) {
		n = rpc_answer(req, &c->total, c->reply, sizeof c->reply);
		if (n == -1)
			return -1;
		c->reply_len = (size_t)n;
		c->last_seq = req->seq;
	}
	*reply = c->reply; /* new, or the same SEQ again: a retransmission */
	return (ssize_t)c->reply_len;
}

/*
 * Answers the datagram of len bytes in buf that came from the client at from
 * (from_len bytes). A failure to send is reported and otherwise ignored: the
 * client will ask again.
 */
static void handle_datagram(int fd, struct udp_table *table, const char *buf, size_t len,
			    const struct sockaddr *from, socklen_t from_len)
{
	struct rpc_request req;
	char scratch[RPC_DATAGRAM_MAX];
	char who[NET_ADDRESS_MAX];
	const char *reply;
	ssize_t n;

	if (from->sa_family != AF_INET && from->sa_family != AF_INET6)
		return; /* cannot happen on an IP socket; the table needs an IP address */
	rpc_parse_request(buf, len, &req);
	n = decide_reply(table, from, &req, &reply, scratch, sizeof scratch);
	if (n > 0 && sendto(fd, reply, (size_t)n, 0, from, from_len) == -1) {
		if (format_address(from, who, sizeof who) == -1)
			snprintf(who, sizeof who, "?");
		warn("sendto %s", who);
	}
	if (n == -1)
		warn("reply to request %lu", (unsigned long)req.seq);
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
	/* One byte more than the longest request: a datagram that fills the
	   buffer is too long, and is never executed cut short. */
	char buf[RPC_DATAGRAM_MAX + 1];
	struct sockaddr_storage from;
	socklen_t from_len;
	ssize_t n;

	while (!stop_requested) {
		from_len = sizeof from;
		n = recvfrom(fd, buf, sizeof buf, 0, (struct sockaddr *)&from, &from_len);
		if (n == -1 && errno == EINTR)
			continue; /* a signal: the loop condition decides */
		if (n == -1 && is_transient(errno)) {
			warn("recvfrom");
			continue;
		}
		if (n == -1)
			return -1;
		handle_datagram(fd, table, buf, (size_t)n, (struct sockaddr *)&from,
				from_len);
	}
	return 0;
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
