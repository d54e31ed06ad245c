/*
 * udp_client.c - a client for udp-server that makes UDP reliable enough:
 * it retransmits each request until a reply comes, backing off each time.
 *
 *   usage: udp-client [-t TIMEOUT_MS] [-r TRIES] HOST PORT
 *
 * Each stdin line is a command ("INCR 5"). The client numbers them 1, 2, 3...,
 * sends "SEQ LINE" in one datagram, and waits for the reply that carries the
 * same SEQ: TIMEOUT_MS for the first attempt, twice as long for each next one,
 * TRIES attempts in all. It prints each reply without its SEQ.
 */
#include "net.h"
#include "rpc_request.h"

#include <err.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <netdb.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define DEFAULT_TIMEOUT_MS 300
#define DEFAULT_TRIES	   5

/* The client's state: where requests go, how patiently, and the last SEQ. */
struct rpc_client {
	int fd;				/* an unbound UDP socket */
	struct sockaddr_storage server; /* where requests go, and replies come from */
	socklen_t server_len;
	int64_t timeout_ms; /* the first attempt's wait */
	long tries;	    /* attempts per request */
	uint32_t seq;	    /* the last SEQ used; 0 before the first request */
};

/* Prints the usage line to stderr and exits with status 2. */
static void usage(void)
{
	fprintf(stderr, "usage: udp-client [-t TIMEOUT_MS] [-r TRIES] HOST PORT\n");
	exit(2);
}

/*
 * Reads s as a decimal number 1..INT_MAX into *out. Returns 0, or -1 if s is
 * anything else (empty, a sign, trailing bytes, too large).
 */
static int parse_positive(const char *s, long *out)
{
	char *end;
	long v;

	if (*s < '0' || *s > '9')
		return -1; /* strtol(3) would take spaces and signs */
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < 1 || v > INT_MAX)
		return -1;
	*out = v;
	return 0;
}

/* Returns the time in milliseconds on a clock that never jumps back. */
static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts); /* cannot fail with this clock */
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/*
 * Tells whether the n bytes of reply are a reply to seq: seq in decimal and a
 * space. If so, *head is the length of that prefix.
 */
static bool is_reply_to(const char *reply, size_t n, uint32_t seq, size_t *head)
{
	char prefix[sizeof "4294967295 "];
	int len = snprintf(prefix, sizeof prefix, "%" PRIu32 " ", seq);

	if (len < 0 || n < (size_t)len || memcmp(reply, prefix, (size_t)len) != 0)
		return false;
	*head = (size_t)len;
	return true;
}

/*
 * Waits until deadline (now_ms() time) for the reply to c->seq from the
 * server, into buf (cap bytes). Datagrams from other addresses and replies
 * with another SEQ are ignored; they do not move the deadline. A socket error
 * (ECONNREFUSED: nobody listens there) counts as no reply.
 * Returns the reply's length with *head the length of its "SEQ " prefix, 0
 * if the deadline passed, or -1 with errno set.
 */
static ssize_t await_reply(struct rpc_client *c, int64_t deadline, char *buf, size_t cap,
			   size_t *head)
{
	struct pollfd pfd = { .fd = c->fd, .events = POLLIN };
	struct sockaddr_storage from;
	socklen_t from_len;
	int64_t left;
	ssize_t n;
	int ready;

	while ((left = deadline - now_ms()) > 0) {
		ready = poll(&pfd, 1, left > INT_MAX ? INT_MAX : (int)left);
		if (ready == -1 && errno == EINTR)
			continue;
		if (ready == -1)
			return -1;
		if (ready == 0)
			continue; /* timed out: the loop condition ends it */
		from_len = sizeof from;
		n = recvfrom(c->fd, buf, cap, 0, (struct sockaddr *)&from, &from_len);
		if (n == -1 && (errno == ECONNREFUSED || errno == EINTR))
			continue; /* no reply, but the deadline is the deadline */
		if (n == -1)
			return -1;
		if (!same_address((struct sockaddr *)&from,
				  (struct sockaddr *)&c->server))
			continue; /* not the server: anyone may send us a datagram */
		if (is_reply_to(buf, (size_t)n, c->seq, head))
			return n;
		/* A late or duplicated reply to an earlier request: ignored. */
	}
	return 0;
}

/*
 * Writes the reply of n bytes in buf to stdout without its "SEQ " prefix
 * (head bytes) and without one trailing LF, then a LF, and flushes: the
 * reader may be a pipe. Returns 0, or -1 with errno set.
 */
static int print_reply(const char *buf, size_t n, size_t head)
{
	size_t len = n - head;

	if (len > 0 && buf[n - 1] == '\n')
		len--;
	if (fwrite(buf + head, 1, len, stdout) != len || putchar('\n') == EOF ||
	    fflush(stdout) == EOF)
		return -1;
	return 0;
}

/*
 * Sends the request of len bytes in req to the server. A socket error that
 * means "nobody there" (ECONNREFUSED, unreachable) counts as sent: the wait
 * for the reply sees no reply. Returns 0, or -1 with errno set.
 */
static int send_request(struct rpc_client *c, const char *req, size_t len)
{
	if (sendto(c->fd, req, len, 0, (struct sockaddr *)&c->server, c->server_len) !=
	    -1)
		return 0;
	if (errno == ECONNREFUSED || errno == EHOSTUNREACH || errno == ENETUNREACH ||
	    errno == ENOBUFS)
		return 0;
	return -1;
}

/*
 * Sends the request of len bytes in req up to c->tries times, until its reply
 * comes; the first attempt waits c->timeout_ms, each next one twice as long.
 * Each attempt's deadline is fixed when it is sent. Prints the reply.
 * Returns 0, 1 if no attempt got a reply, or -1 with errno set.
 */
static int call(struct rpc_client *c, const char *req, size_t len)
{
	char reply[RPC_DATAGRAM_MAX + 1]; /* one more: a reply too long is seen whole */
	int64_t wait = c->timeout_ms;
	size_t head;
	ssize_t n;

	for (long attempt = 0; attempt < c->tries; attempt++) {
		if (send_request(c, req, len) == -1)
			return -1;
		n = await_reply(c, now_ms() + wait, reply, sizeof reply, &head);
		if (n == -1)
			return -1;
		if (n > 0)
			return print_reply(reply, (size_t)n, head);
		if (wait <= INT64_MAX / 2)
			wait *= 2; /* back off: the network or the server is busy */
	}
	return 1;
}

/*
 * Makes the request for the stdin line of len bytes in line (its LF and one
 * CR before it already removed) into req (cap bytes), with the next SEQ.
 * Returns its length, 0 for a line to skip silently (an empty one), or -1 for
 * a line refused with a message on stderr. Neither uses a SEQ.
 */
static ssize_t make_request(struct rpc_client *c, const char *line, size_t len, char *req,
			    size_t cap)
{
	ssize_t n;

	if (len == 0)
		return 0;
	for (size_t i = 0; i < len; i++) {
		if ((unsigned char)line[i] < 0x20 || (unsigned char)line[i] > 0x7E) {
			warnx("line refused: byte 0x%02x is not printable ASCII",
			      (unsigned char)line[i]);
			return -1;
		}
	}
	n = rpc_format_reply(c->seq + 1, line, len, req, cap); /* "SEQ LINE" too */
	if (n == -1 && errno == ENOSPC)
		warnx("line refused: the request would exceed %d bytes",
		      RPC_DATAGRAM_MAX);
	else if (n == -1)
		warn("line refused");
	return n;
}

/*
 * Reads stdin line by line and makes each line a call to the server.
 * Returns 0 at the end of stdin, 1 after a request got no reply (reported
 * here), or -1 with errno set and *failed naming the step.
 */
static int run(struct rpc_client *c, const char **failed)
{
	char req[RPC_DATAGRAM_MAX];
	char *line = NULL;
	size_t size = 0;
	ssize_t len, n;
	int rc = 0;

	while (rc == 0 && (len = getline(&line, &size, stdin)) != -1) {
		if (len > 0 && line[len - 1] == '\n')
			len--;
		if (len > 0 && line[len - 1] == '\r')
			len--; /* one CR before the LF */
		n = make_request(c, line, (size_t)len, req, sizeof req);
		if (n <= 0)
			continue; /* skipped or refused: no SEQ used */
		if (c->seq == UINT32_MAX) {
			errno = EOVERFLOW; /* SEQ never wraps: a new client must start */
			*failed = "sequence number";
			rc = -1;
			break;
		}
		c->seq++;
		rc = call(c, req, (size_t)n);
		if (rc == 1)
			warnx("no reply to request %" PRIu32
			      " after %ld attempts (it may or "
			      "may not have been executed)",
			      c->seq, c->tries);
		if (rc == -1)
			*failed = "request";
	}
	if (rc == 0 && ferror(stdin)) {
		*failed = "stdin";
		rc = -1;
	}
	free(line);
	return rc;
}

int main(int argc, char *argv[])
{
	struct rpc_client c = { .timeout_ms = DEFAULT_TIMEOUT_MS,
				.tries = DEFAULT_TRIES };
	const char *host, *port, *failed = "";
	long timeout;
	int opt, gai_error, rc;

	while ((opt = getopt(argc, argv, "t:r:")) != -1) {
		switch (opt) {
		case 't':
			if (parse_positive(optarg, &timeout) == -1)
				usage();
			c.timeout_ms = timeout;
			break;
		case 'r':
			if (parse_positive(optarg, &c.tries) == -1)
				usage();
			break;
		default:
			usage();
		}
	}
	if (argc - optind != 2)
		usage();
	host = argv[optind];
	port = argv[optind + 1];

	c.fd = open_udp_to(host, port, &c.server, &c.server_len, &gai_error);
	if (c.fd == -1 && gai_error != 0)
		errx(1, "%s:%s: %s", host, port, gai_strerror(gai_error));
	if (c.fd == -1)
		err(1, "socket");
	rc = run(&c, &failed);
	if (rc == -1)
		warn("%s", failed);
	if (close(c.fd) == -1) {
		warn("close");
		rc = -1;
	}
	return rc == 0 ? 0 : 1;
}
