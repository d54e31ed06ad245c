/*
 * net.c - send_all() and the line buffer declared in net.h.
 *
 * Given whole: you wrote the same in lab 01. Read it before you use it.
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
		ssize_t n = send(fd, next, left, MSG_NOSIGNAL);

		if (n == -1 && errno == EINTR)
			continue; /* a signal came before any byte left: just try again */
		if (n == -1)
			return -1; /* errno from send(2): EPIPE, ECONNRESET, ... */
		next += n; /* after a short write, the rest goes in the next round */
		left -= (size_t)n;
	}
	return (ssize_t)len;
}

void line_buffer_init(struct line_buffer *lb)
{
	lb->len = 0;
}

size_t line_buffer_room(struct line_buffer *lb, char **where)
{
	*where = lb->buf + lb->len;
	return sizeof lb->buf - lb->len;
}

void line_buffer_added(struct line_buffer *lb, size_t n)
{
	lb->len += n;
}

bool line_buffer_has_line(const struct line_buffer *lb)
{
	return memchr(lb->buf, '\n', lb->len) != NULL;
}

ssize_t line_buffer_take(struct line_buffer *lb, char *line, size_t cap, bool at_end)
{
	char *lf = memchr(lb->buf, '\n', lb->len);
	size_t n;

	if (cap < NET_LINE_MAX) {
		errno = EINVAL;
		return -1;
	}
	if (lf == NULL && lb->len == sizeof lb->buf) {
		errno = EMSGSIZE; /* NET_LINE_MAX bytes and still no LF */
		return -1;
	}
	if (lf == NULL && !at_end)
		return 0; /* the rest of the line has not arrived yet */
	n = lf != NULL ? (size_t)(lf - lb->buf) + 1 : lb->len;
	memcpy(line, lb->buf, n);
	lb->len -= n;
	memmove(lb->buf, lb->buf + n, lb->len); /* the next line now starts at buf[0] */
	return (ssize_t)n;
}
