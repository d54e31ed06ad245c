/*
 * net.c - send_all() and the line reader declared in net.h.
 */
#include "net.h"

#include <err.h>
#include <errno.h>
#include <stdbool.h>
#include <string.h>
#include <sys/socket.h>

/*
 * Says once per function, on stderr, that the function called name is still to
 * be written, and fails with ENOSYS ("Function not implemented"). Delete it
 * once no function calls it.
 */
static ssize_t not_implemented(const char *name, bool *warned)
{
	if (!*warned)
		warnx("%s() is not implemented yet", name);
	*warned = true;
	errno = ENOSYS;
	return -1;
}

ssize_t send_all(int fd, const void *buf, size_t len)
{
	static bool warned;

	/*
	 * TODO (step 1, "Short writes"): send the len bytes of buf to fd and
	 * return len. send(2) may take fewer bytes than you asked for (a short
	 * write) and returns how many it took: call it again for the rest, until
	 * none is left. If it fails with EINTR, a signal arrived before it sent
	 * anything: that is no error, call it again. On any other failure return
	 * -1 and leave errno as send(2) set it (EPIPE: the peer has closed).
	 * See send(2), and signal(7), "Interruption of system calls".
	 */
	(void)fd;
	(void)buf;
	(void)len;
	return not_implemented(__func__, &warned);
}

void line_reader_init(struct line_reader *lr, int fd)
{
	lr->fd = fd;
	lr->len = 0;
}

ssize_t line_reader_next(struct line_reader *lr, char *line, size_t cap)
{
	static bool warned;

	/*
	 * TODO (step 2, "Lines over a byte stream"): return the next line, as
	 * net.h describes. First, if cap < NET_LINE_MAX, fail with EINVAL.
	 * lr->buf holds lr->len bytes received earlier: look for a LF in them
	 * (memchr(3)).
	 * - Found: copy the line, LF included, to line; move the bytes after it
	 *   to the start of lr->buf (memmove(3)); return the line's length.
	 * - Not found and lr->buf is full: the line is too long; set errno to
	 *   EMSGSIZE and return -1.
	 * - Not found: recv(2) more bytes into the free end of lr->buf, then
	 *   look again. recv(2) returns 0 once the peer has closed: return the
	 *   bytes left in lr->buf as a last line without LF, or 0 if none is
	 *   left. If recv(2) fails, return -1, EINTR included: the server must
	 *   hear of signals. The bytes held stay in lr->buf for the next call.
	 * Call recv(2) only when lr->buf holds no whole line: the peer may have
	 * sent nothing more. See recv(2), memchr(3), memmove(3).
	 */
	(void)lr;
	(void)line;
	(void)cap;
	return not_implemented(__func__, &warned);
}
