/*
 * echo_client.c - a synchronous client for the echo server.
 *
 *   usage: echo-client HOST PORT
 *
 * It sends each line of stdin to the server, waits for the one-line reply and
 * writes it to stdout before it sends the next line: never more than one line
 * in flight. It ends after the reply to "exit", or at the end of stdin.
 */
#include "net.h"

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
	fprintf(stderr, "usage: echo-client HOST PORT\n");
	exit(2);
}

/*
 * Ignores SIGPIPE: sending to a server that has gone then fails with EPIPE,
 * which we report, instead of killing the client without a word.
 * Returns 0, or -1 with errno set.
 */
static int ignore_sigpipe(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof sa);
	sigemptyset(&sa.sa_mask);
	sa.sa_handler = SIG_IGN;
	return sigaction(SIGPIPE, &sa, NULL);
}

/*
 * Resolves HOST and PORT and returns a socket connected to the first address
 * that accepts (a name may resolve to several: IPv6 and IPv4), or -1.
 * On -1, *gai_error is the getaddrinfo(3) error if resolving failed (print it
 * with gai_strerror(3)); otherwise it is 0 and errno says why the last address
 * failed.
 */
static int connect_to(const char *host, const char *port, int *gai_error)
{
	/*
	 * TODO (step 5, "Connecting"): return a socket connected to HOST and
	 * PORT.
	 * - Resolve them with getaddrinfo(3). Hints: SOCK_STREAM and AF_UNSPEC,
	 *   so that "localhost", "127.0.0.1" and "::1" all work. If it fails,
	 *   store its error code in *gai_error and return -1; for EAI_SYSTEM
	 *   store 0 instead, errno then says what failed. Else store 0.
	 * - Try the addresses of the list in turn: socket(2) with the address's
	 *   family, type and protocol, then connect(2). If connect(2) fails,
	 *   close(2) that socket and try the next address.
	 * - freeaddrinfo(3) the list, whatever happened, and return the connected
	 *   socket, or -1 with errno from the last failure (close(2) may change
	 *   errno: save it and put it back).
	 */
	(void)host;
	(void)port;
	*gai_error = 0;
	return not_implemented(__func__);
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
 * Waits for one reply line from the server and writes it to stdout.
 * Returns 0, 1 if the server closed the connection instead of replying, or -1
 * with errno set and *failed naming the step: "recv" (EMSGSIZE for a reply
 * longer than NET_LINE_MAX) or "stdout".
 */
static int copy_reply(struct line_reader *lr, const char **failed)
{
	/*
	 * TODO (step 6, "One line in flight"): wait for one reply line with
	 * line_reader_next(), into a buffer of NET_LINE_MAX bytes.
	 * - 0, or -1 with errno ECONNRESET: the server has gone; return 1;
	 * - -1 with another errno: set *failed to "recv" and return -1;
	 * - a line: write it to stdout with fwrite(3), then fflush(3) stdout at
	 *   once, so that the user sees it before the next line goes; if either
	 *   fails, set *failed to "stdout" and return -1. Else return 0.
	 */
	(void)lr;
	*failed = "copy_reply";
	return not_implemented(__func__);
}

/*
 * Sends each line of stdin to the server on fd, and copies the reply to stdout
 * before it sends the next line. A last line without LF is sent with one.
 * Returns 0 at the end of stdin or after the reply to "exit"; 1 if the server
 * closed the connection while a reply was awaited (or before the line could be
 * sent); -1 with errno set and *failed naming the step that failed ("stdin",
 * "send", "recv" or "stdout").
 */
static int converse(int fd, const char **failed)
{
	/*
	 * TODO (step 6, "One line in flight"): the conversation. Prepare a
	 * struct line_reader on fd, then, for each line of stdin:
	 * - read it with getline(3). At the end of stdin, return 0; if reading
	 *   failed (ferror(3) tells), set *failed to "stdin" and return -1;
	 * - if it does not end with a LF (a last line may not), add one;
	 * - send it with send_all(). If that fails with EPIPE or ECONNRESET, the
	 *   server has gone: return 1; else set *failed to "send", return -1;
	 * - wait for the reply and print it with copy_reply(); if that does not
	 *   return 0, return what it returns;
	 * - if the line you sent is "exit" (is_exit_line() tells), the server
	 *   has said bye: return 0.
	 * getline(3) allocates the line: free(3) it on every way out. Never send
	 * a line before the reply to the one before it has arrived.
	 */
	(void)fd;
	(void)copy_reply; /* delete these two lines once you call them */
	(void)is_exit_line;
	*failed = "converse";
	return not_implemented(__func__);
}

int main(int argc, char *argv[])
{
	const char *host, *port, *failed = "";
	int fd, gai_error, rc;

	if (getopt(argc, argv, "") != -1)
		usage(); /* no options: getopt(3) has said what is wrong */
	if (argc - optind != 2)
		usage();
	host = argv[optind];
	port = argv[optind + 1];

	if (ignore_sigpipe() == -1)
		err(1, "sigaction");
	fd = connect_to(host, port, &gai_error);
	if (fd == -1 && gai_error != 0)
		errx(1, "%s:%s: %s", host, port, gai_strerror(gai_error));
	if (fd == -1)
		err(1, "connect %s:%s", host, port);
	rc = converse(fd, &failed);
	if (rc == 1)
		warnx("server closed the connection");
	if (rc == -1)
		warn("%s", failed);
	if (close(fd) == -1) {
		warn("close");
		rc = -1;
	}
	return rc == 0 ? 0 : 1;
}
