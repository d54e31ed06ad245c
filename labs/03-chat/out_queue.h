/*
 * out_queue.h - a first-in, first-out queue of bytes that grows as needed: the
 * bytes a program has accepted for one socket and send(2) has not taken yet.
 *
 * Lab 02's byte queue had a fixed size, and the peer stopped reading when it
 * was full. A chat server cannot stop reading alice because bob is slow, so
 * each client's queue grows; the server itself decides how far (README.md,
 * "Slow readers: the 1 MiB rule"), with out_queue_len() before each push.
 *
 * The bytes held are buf[head], ..., buf[head + len - 1]: always in one piece.
 * A push that does not fit after them first moves them to buf[0], then, if
 * needed, makes buf larger with realloc(3).
 *
 * Given whole: read it, use it, do not change it.
 */
#ifndef OUT_QUEUE_H
#define OUT_QUEUE_H

#include <stddef.h>

struct out_queue {
	char *buf;   /* the bytes, or NULL while nothing was ever pushed */
	size_t head; /* index in buf of the oldest byte */
	size_t len;  /* bytes held */
	size_t cap;  /* bytes buf has room for */
};

/* Makes q empty, holding no memory. */
void out_queue_init(struct out_queue *q);

/* Returns how many bytes q holds. */
size_t out_queue_len(const struct out_queue *q);

/*
 * Adds the len bytes of data after those q holds, growing q as needed.
 * Returns 0, or -1 with errno ENOMEM (q is then unchanged).
 */
int out_queue_push(struct out_queue *q, const void *data, size_t len);

/*
 * Points *data at the oldest byte of q and returns how many bytes q holds, all
 * in one piece after it (0 when q is empty). Pass them to send(2), then drop
 * those it took with out_queue_consume().
 */
size_t out_queue_peek(const struct out_queue *q, const char **data);

/* Drops the n oldest bytes of q (all of them if n > out_queue_len(q)). */
void out_queue_consume(struct out_queue *q, size_t n);

/* Drops every byte of q and frees its memory; q is then empty and usable. */
void out_queue_free(struct out_queue *q);

#endif /* OUT_QUEUE_H */
