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
	struct addrinfo hints, *list, *ai;
	int rc, saved_errno;
	int fd = -1;

	memset(&hints, 0, sizeof hints);
	hints.ai_family = AF_UNSPEC;	 /* IPv4 or IPv6, as HOST says */
	hints.ai_socktype = SOCK_STREAM; /* TCP */
	rc = getaddrinfo(host, port, &hints, &list);
	*gai_error = rc == EAI_SYSTEM ? 0 : rc; /* EAI_SYSTEM: errno tells what failed */
	if (rc != 0)
		return -1;
	for (ai = list; ai != NULL; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype, ai->ai_protocol);
		if (fd == -1)
			continue; /* e.g. no IPv6 on this machine: try the next address */
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
			break;
		saved_errno = errno; /* close(2) may change errno: keep the cause */
		close(fd);
		errno = saved_errno;
		fd = -1;
	}
	saved_errno = errno;
	freeaddrinfo(list);
	errno = saved_errno;
	return fd;
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
	char reply[NET_LINE_MAX];
	ssize_t n = line_reader_next(lr, reply, sizeof reply);

	if (n == 0 || (n == -1 && errno == ECONNRESET))
		return 1;
	if (n == -1) {
		*failed = "recv";
		return -1;
	}
	/* Flush now: the user must see each reply before we send the next line. */
	if (fwrite(reply, 1, (size_t)n, stdout) != (size_t)n || fflush(stdout) == EOF) {
		*failed = "stdout";
		return -1;
	}
	return 0;
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
	struct line_reader lr;
	char *line = NULL;
	size_t size = 0;
	ssize_t len;
	int rc = 0;

	line_reader_init(&lr, fd);
	while (rc == 0) {
		len = getline(&line, &size, stdin);
		if (len == -1) {
			if (ferror(stdin)) {
				*failed = "stdin";
				rc = -1;
			}
			break; /* the end of stdin ends the conversation */
		}
		/* A last line without LF gets one, in the room of getline's NUL. */
		if (line[len - 1] != '\n')
			line[len++] = '\n';
		if (send_all(fd, line, (size_t)len) == -1) {
			rc = (errno == EPIPE || errno == ECONNRESET) ? 1 : -1;
			*failed = "send";
			break;
		}
		rc = copy_reply(&lr, failed);
		if (rc == 0 && is_exit_line(line, (size_t)len))
			break; /* the server said bye and closes */
	}
	free(line);
	return rc;
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
