/*
 * byte_queue.c - the ring buffer declared in byte_queue.h.
 */
#include "byte_queue.h"

#include <string.h>

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
	size_t tail = (q->head + q->len) % sizeof q->buf; /* where the next byte goes */
	size_t n = len < byte_queue_space(q) ? len : byte_queue_space(q);
	size_t first = n < sizeof q->buf - tail ? n : sizeof q->buf - tail;

	/* Up to the end of buf, then the rest (if any) at its start. */
	memcpy(q->buf + tail, data, first);
	memcpy(q->buf, (const char *)data + first, n - first);
	q->len += n;
	return n;
}

size_t byte_queue_peek(const struct byte_queue *q, const char **data)
{
	size_t to_end = sizeof q->buf - q->head; /* bytes from head to the end of buf */

	*data = q->buf + q->head;
	return q->len < to_end ? q->len : to_end;
}

void byte_queue_consume(struct byte_queue *q, size_t n)
{
	if (n > q->len)
		n = q->len;
	q->head = (q->head + n) % sizeof q->buf;
	q->len -= n;
	if (q->len == 0)
		q->head = 0; /* start again at buf[0]: peek then sees one piece */
}
