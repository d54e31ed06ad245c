/*
 * net.c - send_all() and the line reader declared in net.h.
 */
#include "net.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>

ssize_t send_all(int fd, const void *buf, size_t len)
{
	const char *next = buf; /* the first byte not sent yet */
	size_t left = len;

	while (left > 0) {
		/* A closed peer raises SIGPIPE: the programs ignore it. */
		ssize_t n = send(fd, next, left, 0);

		if (n == -1 && errno == EINTR)
			continue; /* a signal came before any byte left: just try again */
		if (n == -1)
			return -1; /* errno from send(2): EPIPE, ECONNRESET, ... */
		/* After a short write, the rest goes in the next round. */
		next += n;
		left -= (size_t)n;
	}
	return (ssize_t)len;
}

void line_reader_init(struct line_reader *lr, int fd)
{
	lr->fd = fd;
	lr->len = 0;
}

ssize_t line_reader_next(struct line_reader *lr, char *line, size_t cap)
{
	size_t scanned = 0; /* bytes at the start of lr->buf known to hold no LF */
	char *lf;
	size_t n;
	ssize_t got;

	if (cap < NET_LINE_MAX) {
		errno = EINVAL;
		return -1;
	}
	while ((lf = memchr(lr->buf + scanned, '\n', lr->len - scanned)) == NULL) {
		if (lr->len == sizeof lr->buf) {
			errno = EMSGSIZE; /* NET_LINE_MAX bytes and still no LF */
			return -1;
		}
		scanned = lr->len;
		got = recv(lr->fd, lr->buf + lr->len, sizeof lr->buf - lr->len, 0);
		if (got == -1)
			return -1; /* EINTR too: the caller may have a flag to test */
		if (got == 0)
			break; /* the peer closed: what is left is a last line, no LF */
		lr->len += (size_t)got;
	}
	n = lf != NULL ? (size_t)(lf - lr->buf) + 1 : lr->len; /* 0: end of stream */
	memcpy(line, lr->buf, n);
	lr->len -= n;
	memmove(lr->buf, lr->buf + n, lr->len); /* the next line now starts at buf[0] */
	return (ssize_t)n;
}
