/*
 * net.h - the two helpers every stream-socket program needs: writing a whole
 * buffer, and reading a stream of bytes back as lines.
 *
 * TCP delivers a stream of bytes, not messages: send(2) may take only part of
 * a buffer, and recv(2) returns whatever has arrived, half a line or three
 * lines at once. These functions hide both facts from the programs.
 */
#ifndef NET_H
#define NET_H

#include <stddef.h>
#include <sys/types.h>

#define NET_LINE_MAX 4096 /* longest line, its LF included */

/*
 * Writes all len bytes of buf to fd, looping over short writes and retrying
 * after EINTR. Returns len, or -1 with errno set (EPIPE if the peer closed).
 */
ssize_t send_all(int fd, const void *buf, size_t len);

struct line_reader {
	int fd;			/* the socket it reads from */
	size_t len;		/* bytes held in buf */
	char buf[NET_LINE_MAX]; /* bytes read but not yet returned */
};

/* Prepares lr to read lines from fd. */
void line_reader_init(struct line_reader *lr, int fd);

/*
 * Copies the next line, LF included, into line (cap bytes; cap must be at least
 * NET_LINE_MAX, else -1/EINVAL) and returns its length. Bytes after the line
 * stay in lr for the next call. recv(2) is called only when lr holds no whole
 * line.
 * Returns:
 *   n > 0  a line of n bytes; line[n-1] == '\n', except for a last line that the
 *          peer ended without LF before closing: then its n bytes, no LF.
 *   0      end of stream, nothing left.
 *   -1     errno EMSGSIZE: NET_LINE_MAX bytes arrived without a LF (line too long);
 *          errno EINTR: a signal interrupted recv(2); the bytes held stay in lr,
 *          and the next call goes on from there;
 *          any other errno: recv(2) failed (ECONNRESET, ...).
 */
ssize_t line_reader_next(struct line_reader *lr, char *line, size_t cap);

#endif /* NET_H */
