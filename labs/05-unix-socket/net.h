/*
 * net.h - writing a whole buffer, and cutting a byte stream into lines.
 *
 * A stream socket, AF_UNIX as much as TCP, delivers bytes, not messages:
 * send(2) may take only part of a buffer, and recv(2) returns whatever has
 * arrived, half a line or three lines at once.
 *
 * Unlike lab 01's reader, the line buffer does not read by itself: the
 * program receives into it (with recv(2), or recvmsg(2) when descriptors may
 * come along with the bytes) and then takes whole lines out of it. This is
 * what a poll(2) loop needs: it reads only when poll says bytes are there.
 */
#ifndef NET_H
#define NET_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#define NET_LINE_MAX 4096 /* longest line, its LF included */

/*
 * Writes all len bytes of buf to the socket fd, looping over short writes
 * and retrying after EINTR. Never raises SIGPIPE (MSG_NOSIGNAL). Returns len,
 * or -1 with errno set (EPIPE if the peer closed).
 */
ssize_t send_all(int fd, const void *buf, size_t len);

struct line_buffer {
	size_t len;		/* bytes held in buf */
	char buf[NET_LINE_MAX]; /* bytes received but not yet taken as lines */
};

/* Empties lb. */
void line_buffer_init(struct line_buffer *lb);

/*
 * Returns how many more bytes lb can hold (0 when full), and sets *where to
 * the first free byte: receive at most that many bytes there, then call
 * line_buffer_added().
 */
size_t line_buffer_room(struct line_buffer *lb, char **where);

/* Records that n bytes were written at the place line_buffer_room() gave. */
void line_buffer_added(struct line_buffer *lb, size_t n);

/* Tells whether lb holds a whole line (a LF). */
bool line_buffer_has_line(const struct line_buffer *lb);

/*
 * Moves the first whole line, LF included, from lb to line (cap bytes, at
 * least NET_LINE_MAX) and returns its length. With at_end true (the peer has
 * closed), bytes left without LF are taken as a last line.
 * Returns:
 *   n > 0  a line of n bytes (line[n-1] == '\n', except for a last line);
 *   0      no whole line yet (or, at_end, nothing left);
 *   -1     errno EMSGSIZE: lb is full and holds no LF (a line over
 *          NET_LINE_MAX bytes); errno EINVAL: cap < NET_LINE_MAX.
 */
ssize_t line_buffer_take(struct line_buffer *lb, char *line, size_t cap, bool at_end);

#endif /* NET_H */
