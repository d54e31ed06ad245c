/*
 * byte_queue.c - the ring buffer declared in byte_queue.h.
 */
#include "byte_queue.h"

#include <err.h>
#include <errno.h>
#include <stdbool.h>
#include <string.h>

/*
 * Says once per function, on stderr, that the function called name is still to
 * be written, and sets errno to ENOSYS ("Function not implemented"). Delete it
 * once no function calls it.
 */
static void not_implemented(const char *name, bool *warned)
{
	if (!*warned)
		warnx("%s() is not implemented yet", name);
	*warned = true;
	errno = ENOSYS;
}

void byte_queue_init(struct byte_queue *q)
{
	q->head = 0;
	q->len = 0;
}

size_t byte_queue_len(const struct byte_queue *q)
{
	return q->len;
}

size_t byte_queue_space(const struct byte_queue *q)
{
	return sizeof q->buf - q->len;
}

size_t byte_queue_push(struct byte_queue *q, const void *data, size_t len)
{
	static bool warned;

	/*
	 * TODO (step 1, "The byte queue"): copy as many bytes of data as fit,
	 * min(len, byte_queue_space(q)), after the bytes q holds, and return
	 * that count. The next byte goes at index (q->head + q->len) modulo the
	 * size of q->buf. The bytes may not fit before the end of q->buf: copy
	 * what fits up to the end, then the rest at q->buf[0] (two memcpy(3)
	 * calls, the second one maybe of 0 bytes). Add the count to q->len.
	 * See memcpy(3).
	 */
	(void)q;
	(void)data;
	(void)len;
	not_implemented(__func__, &warned);
	return 0;
}

size_t byte_queue_peek(const struct byte_queue *q, const char **data)
{
	static bool warned;

	/*
	 * TODO (step 1, "The byte queue"): point *data at the oldest byte,
	 * q->buf + q->head, and return how many bytes follow it in one piece:
	 * q->len, or fewer when the bytes held go round the end of q->buf (then
	 * only those up to the end of q->buf; the rest comes with the next peek,
	 * after byte_queue_consume()). Change nothing in q.
	 */
	(void)q;
	*data = NULL;
	not_implemented(__func__, &warned);
	return 0;
}

void byte_queue_consume(struct byte_queue *q, size_t n)
{
	static bool warned;

	/*
	 * TODO (step 1, "The byte queue"): drop the n oldest bytes: all of them
	 * if n > q->len. q->head moves forward by n, going round to 0 past the
	 * end of q->buf (modulo its size), and q->len goes down by n. Nothing is
	 * copied. When the queue becomes empty, you may set q->head back to 0:
	 * the next peek then sees all the bytes in one piece.
	 */
	(void)q;
	(void)n;
	not_implemented(__func__, &warned);
}
