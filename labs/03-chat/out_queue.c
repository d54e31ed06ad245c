/*
 * out_queue.c - the growing queue declared in out_queue.h (given whole).
 */
#include "out_queue.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define OUT_QUEUE_FIRST_CAP 4096  /* the first allocation */
#define OUT_QUEUE_KEEP_CAP  16384 /* an empty queue keeps a buffer up to this */

void out_queue_init(struct out_queue *q)
{
	q->buf = NULL;
	q->head = 0;
	q->len = 0;
	q->cap = 0;
}

size_t out_queue_len(const struct out_queue *q)
{
	return q->len;
}

/*
 * Makes room in q for len more bytes after those it holds: moves them to
 * buf[0], and grows buf to twice what it must hold, so that moves and
 * reallocations stay rare. Returns 0, or -1 with errno ENOMEM.
 */
static int make_room(struct out_queue *q, size_t len)
{
	size_t need = q->len + len;
	size_t cap = q->cap > 0 ? q->cap : OUT_QUEUE_FIRST_CAP;
	char *bigger;

	if (q->head > 0) {
		memmove(q->buf, q->buf + q->head, q->len);
		q->head = 0;
	}
	if (2 * need <= q->cap)
		return 0; /* at least half of buf is free: the next move is far off */
	while (cap < 2 * need)
		cap *= 2;
	bigger = realloc(q->buf, cap);
	if (bigger == NULL)
		return -1; /* realloc set errno to ENOMEM; q->buf is still valid */
	q->buf = bigger;
	q->cap = cap;
	return 0;
}

int out_queue_push(struct out_queue *q, const void *data, size_t len)
{
	if (len == 0)
		return 0;
	if (q->head + q->len + len > q->cap && make_room(q, len) == -1)
		return -1;
	memcpy(q->buf + q->head + q->len, data, len);
	q->len += len;
	return 0;
}

size_t out_queue_peek(const struct out_queue *q, const char **data)
{
	*data = q->buf == NULL ? NULL : q->buf + q->head;
	return q->len;
}

void out_queue_consume(struct out_queue *q, size_t n)
{
	if (n > q->len)
		n = q->len;
	q->head += n;
	q->len -= n;
	if (q->len > 0)
		return;
	q->head = 0; /* empty: the next push starts at buf[0] */
	if (q->cap > OUT_QUEUE_KEEP_CAP)
		out_queue_free(q); /* a burst is over: give its memory back */
}

void out_queue_free(struct out_queue *q)
{
	free(q->buf);
	out_queue_init(q);
}
