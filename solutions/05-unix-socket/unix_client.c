/*
 * unix_client.c - a synchronous client for the local service.
 *
 *   usage: unix-client PATH
 *
 * It connects to the socket file at PATH, sends each line of stdin, waits for
 * the one-line reply and writes it to stdout before it sends the next line.
 * It ends after the reply to QUIT, or at the end of stdin.
 */
#include "net.h"
#include "request.h"
#include "unix_addr.h"

#include <err.h>
#include <errno.h>
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
	fprintf(stderr, "usage: unix-client PATH\n");
	exit(2);
}

/*
 * Ignores SIGPIPE: writing to a stdout whose reader has gone then fails with
 * EPIPE, which we report, instead of killing the client without a word
 * (send_all() uses MSG_NOSIGNAL for the socket). Returns 0, or -1 with errno set.
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
 * Returns a stream socket connected to the server at addr, or -1 with errno
 * set (ENOENT: no such file; ECONNREFUSED: nobody listens there; EACCES: the
 * file's mode does not let us write to it).
 */
static int connect_to(const struct sockaddr_un *addr, socklen_t len)
{
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	int saved_errno;

	if (fd == -1)
		return -1;
	if (connect(fd, (const struct sockaddr *)addr, len) == 0)
		return fd;
	saved_errno = errno; /* close(2) may change errno: keep the cause */
	close(fd);
	errno = saved_errno;
	return -1;
}

/*
 * Reads from fd into lb until lb holds a whole line, and moves it to line
 * (cap bytes). Returns the line's length; 0 if the server closed before a
 * whole line came (what it sent is left in lb); -1 with errno set (EMSGSIZE:
 * a reply longer than NET_LINE_MAX).
 */
static ssize_t read_reply(int fd, struct line_buffer *lb, char *line, size_t cap)
{
	ssize_t n, got;
	char *where;
	size_t room;

	while ((n = line_buffer_take(lb, line, cap, false)) == 0) {
		room = line_buffer_room(lb, &where);
		got = recv(fd, where, room, 0);
		if (got == -1 && errno == EINTR)
			continue;
		if (got == -1)
			return errno == ECONNRESET ? 0 : -1;
		if (got == 0)
			return 0;
		line_buffer_added(lb, (size_t)got);
	}
	return n;
}

/* Writes the n bytes of text to stdout at once. Returns 0, or -1 with errno set. */
static int print(const char *text, size_t n)
{
	/* Flush now: the user must see each reply before we send the next line. */
	if (fwrite(text, 1, n, stdout) != n || fflush(stdout) == EOF)
		return -1;
	return 0;
}

/*
 * Waits for one reply line from the server and writes it to stdout.
 * Returns 0, 1 if the server closed the connection instead (a part of a
 * line that came before is printed), or -1 with errno set and *failed naming
 * the step: "recv" or "stdout".
 */
static int copy_reply(int fd, struct line_buffer *lb, const char **failed)
{
	char reply[NET_LINE_MAX];
	ssize_t n = read_reply(fd, lb, reply, sizeof reply);

	if (n == 0) {
		n = line_buffer_take(lb, reply, sizeof reply, true);
		if (n > 0 && print(reply, (size_t)n) == -1) {
			*failed = "stdout";
			return -1;
		}
		return 1;
	}
	if (n == -1) {
		*failed = "recv";
		return -1;
	}
	if (print(reply, (size_t)n) == -1) {
		*failed = "stdout";
		return -1;
	}
	return 0;
}

/*
 * Sends each line of stdin to the server on fd, and copies the reply to stdout
 * before it sends the next line. A last line without LF is sent with one.
 * Returns 0 at the end of stdin or after the reply to QUIT; 1 if the server
 * went away (a reply it had sent before is printed first); -1 with errno set
 * and *failed naming the step that failed.
 */
static int converse(int fd, const char **failed)
{
	struct line_buffer lb;
	struct request req;
	char *line = NULL;
	size_t size = 0;
	ssize_t len;
	int rc = 0;

	line_buffer_init(&lb);
	while (rc == 0 && (len = getline(&line, &size, stdin)) != -1) {
		/* A last line without LF gets one, in the room of getline's NUL. */
		if (line[len - 1] != '\n')
			line[len++] = '\n';
		if (send_all(fd, line, (size_t)len) == -1) {
			rc = errno == EPIPE || errno == ECONNRESET ? 1 : -1;
			*failed = "send";
			if (rc == 1)
				rc = copy_reply(fd, &lb, failed) == -1 ? -1 : 1;
			break;
		}
		rc = copy_reply(fd, &lb, failed);
		if (rc == 0 && request_parse(line, (size_t)len, &req) == REQUEST_QUIT)
			break; /* the server said bye and closes */
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
	struct sockaddr_un addr;
	socklen_t len;
	const char *path, *failed = "";
	int fd, rc;

	if (getopt(argc, argv, "") != -1 || argc - optind != 1)
		usage();
	path = argv[optind];
	if (unix_addr_make(path, &addr, &len) == -1) {
		if (errno == EINVAL)
			usage(); /* empty: would name an abstract socket */
		if (errno == ENAMETOOLONG)
			errx(1, "%s: too long for a socket address", path);
		err(1, "%s", path);
	}
	if (ignore_sigpipe() == -1)
		err(1, "sigaction");
	fd = connect_to(&addr, len);
	if (fd == -1)
		err(1, "connect %s", path);
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
