/*
 * echo_server.c - an iterative TCP echo server.
 *
 *   usage: echo-server [-b ADDR] PORT
 *
 * It serves one client at a time: it writes every line the client sends back
 * to it, until the client leaves, sends "exit" or sends a line longer than
 * NET_LINE_MAX; then it accepts the next client. Meanwhile other clients wait
 * in the listen backlog. SIGINT or SIGTERM stops it.
 */
#include "net.h"

#include <arpa/inet.h>
#include <err.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define BACKLOG 16 /* clients that may wait while we serve one */

/* "[" IPv6 address "]:" port, and the NUL */
#define ADDRESS_MAX (INET6_ADDRSTRLEN + sizeof "[]:65535")

static volatile sig_atomic_t stop_requested; /* set by SIGINT and SIGTERM */

/* Prints the usage line to stderr and exits with status 2. */
static void usage(void)
{
	fprintf(stderr, "usage: echo-server [-b ADDR] PORT\n");
	exit(2);
}

/* The handler of SIGINT and SIGTERM: only records the request, main acts on it. */
static void request_stop(int signo)
{
	(void)signo;
	stop_requested = 1;
}

/*
 * Makes SIGINT and SIGTERM set stop_requested, and ignores SIGPIPE.
 * Returns 0, or -1 with errno set.
 * Without SA_RESTART a blocked accept(2) fails with EINTR when the signal
 * arrives, so the accept loop sees the flag. With SIGPIPE ignored, sending to
 * a client that has gone fails with EPIPE instead of killing the server.
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
	sa.sa_handler = SIG_IGN;
	return sigaction(SIGPIPE, &sa, NULL);
}

/*
 * Writes the IPv4 or IPv6 address and port held in sa to out (cap bytes) as
 * "127.0.0.1:40123" or "[::1]:40123". Returns 0, or -1 with errno set:
 * EAFNOSUPPORT for another address family, ENOSPC if out is too small.
 */
static int format_address(const struct sockaddr *sa, char *out, size_t cap)
{
	char host[INET6_ADDRSTRLEN];
	const void *ip;
	in_port_t port;
	bool v6 = sa->sa_family == AF_INET6;
	int n;

	if (sa->sa_family == AF_INET) {
		ip = &((const struct sockaddr_in *)sa)->sin_addr;
		port = ((const struct sockaddr_in *)sa)->sin_port;
	} else if (v6) {
		ip = &((const struct sockaddr_in6 *)sa)->sin6_addr;
		port = ((const struct sockaddr_in6 *)sa)->sin6_port;
	} else {
		errno = EAFNOSUPPORT;
		return -1;
	}
	if (inet_ntop(sa->sa_family, ip, host, sizeof host) == NULL)
		return -1;
	/* An IPv6 address has colons of its own: brackets keep the port apart. */
	n = snprintf(out, cap, "%s%s%s:%u", v6 ? "[" : "", host, v6 ? "]" : "",
		     (unsigned)ntohs(port));
	if (n < 0 || (size_t)n >= cap) {
		errno = ENOSPC;
		return -1;
	}
	return 0;
}

/*
 * Prints "echo-server: listening on ADDR:PORT" to stderr, with the address the
 * socket is bound to: for PORT 0 this shows the port the kernel chose.
 * Returns 0, or -1 with errno set.
 */
static int announce(int lfd)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof ss;
	char where[ADDRESS_MAX];

	if (getsockname(lfd, (struct sockaddr *)&ss, &len) == -1)
		return -1;
	if (format_address((struct sockaddr *)&ss, where, sizeof where) == -1)
		return -1;
	warnx("listening on %s", where); /* warnx(3): stderr, with the program's name */
	return 0;
}

/*
 * Returns a TCP socket bound to the address in ai and listening, or -1 with
 * errno set.
 */
static int listen_on(const struct addrinfo *ai)
{
	int one = 1;
	int saved_errno;
	int fd = socket(ai->ai_family, ai->ai_socktype, ai->ai_protocol);

	if (fd == -1)
		return -1;
	/* Lets a restarted server bind while old connections linger in TIME_WAIT. */
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) == -1)
		goto fail;
	if (bind(fd, ai->ai_addr, ai->ai_addrlen) == -1)
		goto fail;
	if (listen(fd, BACKLOG) == -1)
		goto fail;
	return fd;
fail:
	saved_errno = errno; /* close(2) may change errno: keep the cause */
	close(fd);
	errno = saved_errno;
	return -1;
}

/*
 * Resolves ADDR and PORT and returns a socket listening on the first address
 * that works (a name may resolve to several: IPv6 and IPv4), or -1.
 * On -1, *gai_error is the getaddrinfo(3) error if resolving failed (print it
 * with gai_strerror(3)); otherwise it is 0 and errno says why the last address
 * failed.
 */
static int open_listener(const char *addr, const char *port, int *gai_error)
{
	struct addrinfo hints, *list, *ai;
	int rc, saved_errno;
	int fd = -1;

	memset(&hints, 0, sizeof hints);
	hints.ai_family = AF_UNSPEC;	 /* IPv4 or IPv6, as ADDR says */
	hints.ai_socktype = SOCK_STREAM; /* TCP */
	hints.ai_flags = AI_PASSIVE;	 /* an address to bind, not to connect to */
	rc = getaddrinfo(addr, port, &hints, &list);
	*gai_error = rc == EAI_SYSTEM ? 0 : rc; /* EAI_SYSTEM: errno tells what failed */
	if (rc != 0)
		return -1;
	for (ai = list; ai != NULL && fd == -1; ai = ai->ai_next)
		fd = listen_on(ai);
	saved_errno = errno;
	freeaddrinfo(list);
	errno = saved_errno;
	return fd;
}

/*
 * Waits for the next client and returns its connected socket, with the
 * client's address written to peer (cap bytes) for messages. Returns -1 with
 * errno set if accept(2) fails: EINTR when a signal interrupted the wait.
 */
static int accept_client(int lfd, char *peer, size_t cap)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof ss;
	int cfd = accept(lfd, (struct sockaddr *)&ss, &len);

	if (cfd == -1)
		return -1;
	if (format_address((struct sockaddr *)&ss, peer, cap) == -1)
		snprintf(peer, cap, "?"); /* only used in messages: not worth failing */
	return cfd;
}

/*
 * Tells whether accept(2) failed because of the one connection it was taking
 * (that client is lost, the next accept may work) rather than because of the
 * listening socket. The list comes from accept(2), "Error handling".
 */
static bool is_connection_error(int e)
{
	switch (e) {
	case ECONNABORTED: /* the client left while it waited in the backlog */
	case EPROTO:
	case ENETDOWN:
	case ENOPROTOOPT:
	case EHOSTDOWN:
	case ENONET:
	case EHOSTUNREACH:
	case EOPNOTSUPP:
	case ENETUNREACH:
		return true;
	default:
		return false;
	}
}

/* Tells whether the n bytes of line are "exit", ended by LF, CR LF or nothing. */
static bool is_exit_line(const char *line, size_t n)
{
	if (n > 0 && line[n - 1] == '\n')
		n--;
	if (n > 0 && line[n - 1] == '\r')
		n--;
	return n == 4 && memcmp(line, "exit", 4) == 0;
}

/*
 * Ends the conversation from our side: sends reply, then end of stream.
 * Returns 0, or -1 with errno set.
 * The client may have sent bytes we will never read; close(2) then resets the
 * connection. Sending FIN first (shutdown(2)) lets the client read reply and a
 * clean end of stream before the reset arrives.
 */
static int end_conversation(int cfd, const char *reply)
{
	if (send_all(cfd, reply, strlen(reply)) == -1)
		return -1;
	return shutdown(cfd, SHUT_WR);
}

/*
 * Serves one connected client: writes each line it sends back to it, byte for
 * byte, until it closes the connection, sends "exit" (answered "bye"), or
 * sends a line longer than NET_LINE_MAX (answered with an error). The caller
 * closes cfd.
 * Returns 0 when the conversation ended normally or a stop was requested, or
 * -1 with errno set: EMSGSIZE for a line too long, else the error of recv(2)
 * or send(2).
 */
static int serve_client(int cfd)
{
	struct line_reader lr;
	char line[NET_LINE_MAX];
	ssize_t n;

	line_reader_init(&lr, cfd);
	while (!stop_requested) {
		n = line_reader_next(&lr, line, sizeof line);
		if (n == -1 && errno == EINTR)
			continue; /* a signal: the loop condition decides */
		if (n == 0)
			return 0; /* the client closed the connection */
		if (n == -1 && errno == EMSGSIZE) {
			if (end_conversation(cfd, "error: line too long\n") == -1)
				return -1;
			errno = EMSGSIZE;
			return -1;
		}
		if (n == -1)
			return -1;
		if (is_exit_line(line, (size_t)n))
			return end_conversation(cfd, "bye\n");
		if (send_all(cfd, line, (size_t)n) == -1)
			return -1;
	}
	return 0;
}

/*
 * Accepts clients one after the other and serves each until it is done, until
 * SIGINT or SIGTERM sets stop_requested. A client that fails is reported and
 * closed; the server goes on. Returns 0 once a stop was requested, or -1 with
 * errno set if accept(2) fails for a reason that is not one client's.
 */
static int serve_forever(int lfd)
{
	char peer[ADDRESS_MAX];
	int cfd;

	while (!stop_requested) {
		cfd = accept_client(lfd, peer, sizeof peer);
		if (cfd == -1 && errno == EINTR)
			continue; /* a signal: the loop condition decides */
		if (cfd == -1 && is_connection_error(errno)) {
			warn("accept");
			continue;
		}
		if (cfd == -1)
			return -1;
		if (serve_client(cfd) == -1)
			warn("client %s", peer);
		if (close(cfd) == -1)
			warn("close client %s", peer);
	}
	return 0;
}

int main(int argc, char *argv[])
{
	const char *addr = "127.0.0.1";
	const char *port;
	int opt, lfd, gai_error;
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
	lfd = open_listener(addr, port, &gai_error);
	if (lfd == -1 && gai_error != 0)
		errx(1, "%s:%s: %s", addr, port, gai_strerror(gai_error));
	if (lfd == -1)
		err(1, "cannot listen on %s:%s", addr, port);
	if (announce(lfd) == -1) {
		warn("getsockname");
		status = 1;
	} else if (serve_forever(lfd) == -1) {
		warn("accept");
		status = 1;
	}
	if (close(lfd) == -1) {
		warn("close");
		status = 1;
	}
	return status;
}
