/*
 * byte_queue.h - a bounded first-in, first-out queue of bytes: a ring buffer.
 *
 * The peer keeps one for each direction: the bytes waiting to be sent on the
 * socket, and the bytes waiting to be written to stdout. The queue never grows:
 * when it is full, the peer stops reading the side that fills it, and that is
 * what keeps the peer's memory bounded however fast the other side sends.
 *
 * The bytes held are buf[head], buf[head + 1], ... len of them, going round
 * from the last byte of buf to the first. With a capacity of 12:
 *
 *     index:  0   1   2   3   4   5   6   7   8   9  10  11
 *     buf:  | d | e | f | . | . | . | . | . | . | a | b | c |
 *                         ^ the next byte goes here: (head + len) % 12 = 3
 *                                                 ^ head = 9, len = 6: "abcdef"
 */
#ifndef BYTE_QUEUE_H
#define BYTE_QUEUE_H

#include <stddef.h>

#define BYTE_QUEUE_CAP 16384 /* bytes a queue holds at most */

struct byte_queue {
	size_t head;		  /* index in buf of the oldest byte */
	size_t len;		  /* bytes held, at most BYTE_QUEUE_CAP */
	char buf[BYTE_QUEUE_CAP]; /* the bytes, from head on, wrapping round */
};

/* Makes q empty. */
void byte_queue_init(struct byte_queue *q);

/* Returns how many bytes q holds. */
size_t byte_queue_len(const struct byte_queue *q);

/* Returns how many more bytes q can take: BYTE_QUEUE_CAP - byte_queue_len(q). */
size_t byte_queue_space(const struct byte_queue *q);

/*
 * Adds the first bytes of data (len of them) after those q holds, as many as
 * fit: min(len, byte_queue_space(q)). Returns how many it added. The bytes may
 * go round the end of q->buf to its start.
 */
size_t byte_queue_push(struct byte_queue *q, const void *data, size_t len);

/*
 * Points *data at the oldest byte of q and returns how many bytes follow it in
 * one piece, without going round the end of q->buf: at most byte_queue_len(q),
 * fewer when the bytes held go round. Returns 0 (and *data is undefined) when q
 * is empty. The queue does not change: pass the bytes to send(2) or write(2),
 * then drop those that went with byte_queue_consume().
 */
size_t byte_queue_peek(const struct byte_queue *q, const char **data);

/* Drops the n oldest bytes of q (all of them if n > byte_queue_len(q)). */
void byte_queue_consume(struct byte_queue *q, size_t n);

#endif /* BYTE_QUEUE_H */
