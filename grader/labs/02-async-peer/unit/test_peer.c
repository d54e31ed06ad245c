/*
 * test_peer.c - unit tests of the byte queue (byte_queue.h) and of the two rules
 * that decide when bytes go on (line_rules.h), lab 02.
 *
 * These functions do no I/O: each test calls them on bytes it makes up and
 * checks what they return and what the queue holds.
 *
 * Run them all with `make check`, or list them and run one:
 *   ./build/test_peer --list
 *   ./build/test_peer --filter 'byte_queue/wraps_around_the_end'
 * This file is a copy of the grader's: editing it does not change your grade.
 */
#include <criterion/criterion.h>

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "byte_queue.h"
#include "line_rules.h"

TestSuite(byte_queue, .timeout = 2);
TestSuite(chunk_to_send, .timeout = 2);
TestSuite(chunk_to_print, .timeout = 2);

#define GUARD_LEN  64	     /* bytes watched after the queue, for writes past its end */
#define GUARD_BYTE 0x5a	     /* what they hold */
#define STREAM_LEN (1 << 20) /* 1 MiB through one queue */

/*
 * Helpers
 */

/* Byte i of the test data: a lost, repeated or reordered piece shows. */
static char pattern_byte(size_t i)
{
	/* 61 letters and digits: 61 is prime, no queue size is a multiple of it */
	static const char alphabet[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz012345678";

	return alphabet[i % (sizeof alphabet - 1)];
}

static char *make_pattern(size_t len)
{
	char *buf = malloc(len);

	cr_assert_not_null(buf, "test setup: malloc(%zu) failed", len);
	for (size_t i = 0; i < len; i++)
		buf[i] = pattern_byte(i);
	return buf;
}

/*
 * Writes the n bytes of s for a message, between single quotes, and returns one
 * of four static buffers (up to four can appear in one message). LF shows as
 * <LF>, CR as <CR>, and any other byte that is not a letter, a digit, a space or
 * plain punctuation as <0xNN>; only the first 60 bytes are shown. Double quotes
 * and backslashes are shown as <0xNN> too: report formats copy messages without
 * escaping them.
 */
static const char *show(const char *s, size_t n)
{
	static char bufs[4][512];
	static int next;
	char *out = bufs[next++ % 4];
	size_t used = 0;

	used += (size_t)snprintf(out, 8, "'");
	for (size_t i = 0; i < n && i < 60; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '\n')
			used += (size_t)snprintf(out + used, 8, "<LF>");
		else if (c == '\r')
			used += (size_t)snprintf(out + used, 8, "<CR>");
		else if (c < 0x20 || c > 0x7e || strchr("\"\\'<>", c) != NULL)
			used += (size_t)snprintf(out + used, 8, "<0x%02x>", c);
		else
			used += (size_t)snprintf(out + used, 8, "%c", c);
	}
	snprintf(out + used, 8, n > 60 ? "'..." : "'");
	return out;
}

static const char *yes_no(bool b)
{
	return b ? "true" : "false";
}

/* Returns the index of the first byte where a and b differ, or n. */
static size_t first_difference(const char *a, const char *b, size_t n)
{
	size_t i = 0;

	while (i < n && a[i] == b[i])
		i++;
	return i;
}

/*
 * byte_queue
 */

/* A queue with guard bytes after it: a write past the end of q.buf shows there. */
struct guarded_queue {
	struct byte_queue q;
	unsigned char guard[GUARD_LEN];
};

static struct guarded_queue *new_queue(void)
{
	struct guarded_queue *g = malloc(sizeof *g);

	cr_assert_not_null(g, "test setup: malloc failed");
	memset(g, GUARD_BYTE,
	       sizeof *g); /* the queue's own bytes too: no zeros for free */
	byte_queue_init(&g->q);
	return g;
}

/* Checks that nothing wrote past the end of g->q.buf. */
static void check_guard(const struct guarded_queue *g, const char *after)
{
	for (size_t i = 0; i < GUARD_LEN; i++)
		cr_assert_eq(
			g->guard[i], GUARD_BYTE,
			"after %s, the bytes just past the end of q->buf were changed: "
			"the queue wrote past its last byte instead of going on at "
			"q->buf[0]",
			after);
}

/* Checks that q holds want bytes: byte_queue_len() and byte_queue_space() agree. */
static void expect_len(const struct byte_queue *q, size_t want, const char *after)
{
	size_t len = byte_queue_len(q), space = byte_queue_space(q);

	cr_assert_eq(len, want, "after %s, byte_queue_len() returned %zu, expected %zu",
		     after, len, want);
	cr_assert_eq(space, BYTE_QUEUE_CAP - want,
		     "after %s, byte_queue_space() returned %zu, expected %zu (%d - %zu)",
		     after, space, BYTE_QUEUE_CAP - want, BYTE_QUEUE_CAP, want);
}

/* Pushes len bytes of data and checks that push returns want. */
static void expect_push(struct byte_queue *q, const char *data, size_t len, size_t want,
			const char *why)
{
	size_t n = byte_queue_push(q, data, len);

	cr_assert_eq(n, want,
		     "byte_queue_push(q, %s, %zu) returned %zu, expected %zu: %s",
		     show(data, len), len, n, want, why);
}

/*
 * Peeks and checks the piece: want_len bytes equal to want, starting at
 * q->buf + at (the index where the oldest byte must be).
 */
static void expect_peek(const struct byte_queue *q, const char *want, size_t want_len,
			size_t at, const char *after)
{
	const char *data = NULL;
	size_t n = byte_queue_peek(q, &data);
	size_t diff;

	cr_assert_eq(n, want_len,
		     "after %s, byte_queue_peek() returned %zu, expected %zu (the bytes "
		     "from the oldest one up to the end of q->buf, or to the newest one)",
		     after, n, want_len);
	if (want_len == 0)
		return;
	cr_assert(
		data == q->buf + at,
		"after %s, byte_queue_peek() pointed at q->buf + %td, expected q->buf + %zu "
		"(q->head, the oldest byte)",
		after, data - q->buf, at);
	diff = first_difference(data, want, want_len);
	cr_assert_eq(
		diff, want_len,
		"after %s, byte_queue_peek() gave other bytes than expected from byte "
		"%zu on: expected %s, got %s",
		after, diff, show(want + diff, want_len - diff),
		show(data + diff, want_len - diff));
}

Test(byte_queue, push_then_peek_gives_the_bytes_back)
{
	struct guarded_queue *g = new_queue();
	struct byte_queue *q = &g->q;

	expect_len(q, 0, "byte_queue_init()");
	expect_push(q, "hello", 5, 5, "an empty queue has room for them all");
	expect_len(q, 5, "pushing 'hello' into an empty queue");
	expect_peek(q, "hello", 5, 0, "pushing 'hello' into an empty queue");
	expect_push(q, " world", 6, 6, "there is room for them");
	expect_peek(q, "hello world", 11, 0, "pushing 'hello' then ' world'");
	byte_queue_consume(q, 11);
	expect_len(q, 0, "pushing 11 bytes and consuming 11");
	expect_peek(q, "", 0, 0,
		    "pushing 11 bytes and consuming 11 (the queue is empty)");
	check_guard(g, "these pushes");
	free(g);
}

Test(byte_queue, push_takes_only_what_fits)
{
	struct guarded_queue *g = new_queue();
	struct byte_queue *q = &g->q;
	char *fill = make_pattern(BYTE_QUEUE_CAP);

	memcpy(fill + BYTE_QUEUE_CAP - 3, "abc", 3); /* what the last 3 bytes must be */
	expect_push(q, fill, BYTE_QUEUE_CAP - 3, BYTE_QUEUE_CAP - 3,
		    "an empty queue has room for BYTE_QUEUE_CAP bytes");
	expect_len(q, BYTE_QUEUE_CAP - 3, "pushing BYTE_QUEUE_CAP - 3 bytes");
	expect_push(q, "abcdef", 6, 3,
		    "only 3 bytes were free: push copies as many as fit and returns how "
		    "many it took, so that the caller keeps the rest");
	expect_len(q, BYTE_QUEUE_CAP, "filling the queue to the last byte");
	expect_push(q, "x", 1, 0, "the queue is full");
	expect_peek(q, fill, BYTE_QUEUE_CAP, 0, "filling the queue to the last byte");
	check_guard(g, "filling the queue");
	free(fill);
	free(g);
}

Test(byte_queue, consume_keeps_the_rest_in_order)
{
	struct guarded_queue *g = new_queue();
	struct byte_queue *q = &g->q;

	expect_push(q, "abcdef", 6, 6, "an empty queue has room for them");
	byte_queue_consume(q, 2);
	expect_len(q, 4, "pushing 'abcdef' and consuming 2");
	expect_peek(q, "cdef", 4, 2,
		    "pushing 'abcdef' and consuming 2 (the 2 oldest bytes go, the rest "
		    "stays)");
	expect_push(q, "gh", 2, 2, "there is room for them");
	expect_peek(q, "cdefgh", 6, 2, "then pushing 'gh'");
	byte_queue_consume(q, 100);
	expect_len(q, 0, "consuming 100 bytes from a queue of 6 (all of them go)");
	check_guard(g, "these pushes");
	free(g);
}

Test(byte_queue, wraps_around_the_end)
{
	static const char news[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123"; /* 30 bytes */
	struct guarded_queue *g = new_queue();
	struct byte_queue *q = &g->q;
	char *fill = make_pattern(BYTE_QUEUE_CAP);
	char first[20];

	/* Leave 10 old bytes at the very end of q->buf: the oldest 20 from the end. */
	expect_push(q, fill, BYTE_QUEUE_CAP - 10, BYTE_QUEUE_CAP - 10,
		    "an empty queue has room for them");
	byte_queue_consume(q, BYTE_QUEUE_CAP - 20);
	expect_len(q, 10, "pushing BYTE_QUEUE_CAP - 10 bytes and consuming all but 10");
	/* 10 new bytes fit before the end of q->buf, the other 20 go to its start. */
	expect_push(q, news, 30, 30,
		    "the queue holds 10 bytes, so 30 more fit: 10 at the end of q->buf, "
		    "the other 20 at its start");
	check_guard(g, "pushing 30 bytes with 10 free before the end of q->buf");
	expect_len(q, 40, "pushing 30 bytes into a queue of 10");
	memcpy(first, fill + BYTE_QUEUE_CAP - 20, 10);
	memcpy(first + 10, news, 10);
	expect_peek(q, first, 20, BYTE_QUEUE_CAP - 20,
		    "pushing 30 bytes that go round the end of q->buf (peek gives the "
		    "piece up to the end of q->buf: 10 old bytes and 10 new ones)");
	/* The queue goes on after the bytes at the start of q->buf. */
	expect_push(q, "xyz!?", 5, 5, "the queue holds 40 bytes, so 5 more fit");
	check_guard(g, "pushing 5 bytes into a queue that goes round the end of q->buf");
	byte_queue_consume(q, 20);
	expect_peek(q, "KLMNOPQRSTUVWXYZ0123xyz!?", 25, 0,
		    "pushing 5 more bytes, then consuming the piece up to the end of "
		    "q->buf (the rest is at the start of q->buf, the 5 new bytes after "
		    "it)");
	byte_queue_consume(q, 25);
	expect_len(q, 0, "consuming every byte");
	free(fill);
	free(g);
}

/* A small deterministic generator of piece sizes, 1 to max. */
static size_t next_size(unsigned *seed, size_t max)
{
	*seed = *seed * 1103515245u + 12345u;
	return 1 + (*seed >> 8) % max;
}

Test(byte_queue, carries_a_megabyte_in_odd_pieces)
{
	struct guarded_queue *g = new_queue();
	struct byte_queue *q = &g->q;
	char *stream = make_pattern(STREAM_LEN);
	size_t pushed = 0, taken = 0;
	unsigned seed = 42;

	while (taken < STREAM_LEN) {
		size_t want = next_size(&seed, 6000);
		size_t room = byte_queue_space(q), left = STREAM_LEN - pushed;
		size_t expect = want < left ? want : left;
		const char *data = NULL;
		size_t n, take, diff;

		expect = expect < room ? expect : room;
		n = byte_queue_push(q, stream + pushed, want < left ? want : left);
		cr_assert_eq(n, expect,
			     "after %zu bytes pushed and %zu consumed, with %zu free, "
			     "byte_queue_push() of %zu bytes returned %zu, expected %zu",
			     pushed, taken, room, want < left ? want : left, n, expect);
		pushed += n;
		n = byte_queue_peek(q, &data);
		cr_assert(n > 0 && n <= pushed - taken,
			  "after %zu bytes pushed and %zu consumed, byte_queue_peek() "
			  "returned %zu, expected 1 to %zu",
			  pushed, taken, n, pushed - taken);
		cr_assert(
			data >= q->buf && data + n <= q->buf + BYTE_QUEUE_CAP,
			"after %zu bytes pushed and %zu consumed, byte_queue_peek() gave "
			"a piece of %zu bytes at q->buf + %td: it goes past the end of "
			"q->buf",
			pushed, taken, n, data - q->buf);
		take = next_size(&seed, 6000);
		n = n < take ? n : take;
		diff = first_difference(data, stream + taken, n);
		cr_assert_eq(diff, n,
			     "after %zu bytes pushed and %zu consumed, byte_queue_peek() "
			     "gave other bytes than those pushed, from byte %zu of the "
			     "stream on: bytes were lost, repeated or reordered",
			     pushed, taken, taken + diff);
		byte_queue_consume(q, n);
		taken += n;
		check_guard(g, "pushing and consuming pieces of many sizes");
	}
	expect_len(q, 0, "1 MiB pushed and consumed in pieces of many sizes");
	free(stream);
	free(g);
}

/*
 * chunk_to_send
 */

/* Calls chunk_to_send() and checks that it returns want. */
static void expect_send(const char *buf, size_t len, bool at_end, size_t want,
			const char *why)
{
	size_t n = chunk_to_send(buf, len, at_end);

	cr_assert_eq(n, want,
		     "chunk_to_send(%s, %zu, at_end %s) returned %zu, expected %zu: %s",
		     show(buf, len), len, yes_no(at_end), n, want, why);
}

/* Returns len bytes of 'a' followed by tail (a malloc'd buffer of len + strlen(tail)). */
static char *long_line(size_t len, const char *tail)
{
	char *buf = malloc(len + strlen(tail) + 1);

	cr_assert_not_null(buf, "test setup: malloc failed");
	memset(buf, 'a', len);
	strcpy(buf + len, tail);
	return buf;
}

Test(chunk_to_send, releases_a_whole_line)
{
	expect_send("hello\n", 6, false, 6,
		    "a complete line is sent as soon as it is read");
	expect_send("\n", 1, false, 1, "an empty line is a line too");
	expect_send("hi\r\n", 4, false, 4, "a CR is a byte like any other");
}

Test(chunk_to_send, releases_one_line_at_a_time)
{
	expect_send("one\ntwo\n", 8, false, 4,
		    "the first line only: each line is checked for exit before it goes");
	expect_send("one\ntw", 6, false, 4,
		    "the first line goes; the bytes after its LF wait for theirs");
	expect_send("one\ntwo\n", 8, true, 4,
		    "one line at a time, at the end of stdin too");
}

Test(chunk_to_send, holds_a_partial_line)
{
	char *buf = long_line(LINE_CHUNK_MAX - 1, "");

	expect_send("hello\n", 6, false, 6,
		    "a complete line is sent as soon as it is read");
	expect_send("hello", 5, false, 0,
		    "without its LF the line is not complete: wait for more bytes");
	expect_send(buf, LINE_CHUNK_MAX - 1, false, 0,
		    "4095 bytes without LF are fewer than LINE_CHUNK_MAX: wait for more");
	free(buf);
}

Test(chunk_to_send, releases_4096_bytes_without_lf)
{
	char *buf = long_line(LINE_CHUNK_MAX, "");
	char *line = long_line(LINE_CHUNK_MAX - 1, "\n");

	expect_send(buf, LINE_CHUNK_MAX, false, LINE_CHUNK_MAX,
		    "LINE_CHUNK_MAX (4096) bytes without LF fill the buffer: send them "
		    "all, the rest of the line follows later");
	expect_send(line, LINE_CHUNK_MAX, false, LINE_CHUNK_MAX,
		    "4095 bytes and a LF: a complete line of 4096 bytes");
	expect_send(buf, LINE_CHUNK_MAX - 1, false, 0,
		    "4095 bytes without LF are fewer than LINE_CHUNK_MAX: wait for more");
	free(buf);
	free(line);
}

Test(chunk_to_send, releases_the_rest_at_end_of_stdin)
{
	expect_send(
		"tail", 4, true, 4,
		"stdin has ended: no LF will come, and the last bytes must not be lost");
	expect_send("a\nb", 3, true, 2, "the line first, then the rest");
	expect_send("b", 1, true, 1, "stdin has ended: the last byte goes");
	expect_send("", 0, true, 0, "nothing is left to send");
}

Test(chunk_to_send, finds_lf_after_nul_bytes)
{
	expect_send(
		"a\0b\nc", 5, false, 4,
		"a NUL is a byte like any other: the line ends at the LF (memchr, not "
		"strchr or strlen)");
	expect_send("\0\0\n", 3, false, 3, "a line of two NUL bytes and a LF");
}

/*
 * chunk_to_print
 */

/* Calls chunk_to_print() and checks that it returns want. */
static void expect_print(const char *buf, size_t len, bool mid_line, bool at_end,
			 size_t want, const char *why)
{
	size_t n = chunk_to_print(buf, len, mid_line, at_end);

	cr_assert_eq(n, want,
		     "chunk_to_print(%s, %zu, mid_line %s, at_end %s) returned %zu, "
		     "expected %zu: %s",
		     show(buf, len), len, yes_no(mid_line), yes_no(at_end), n, want, why);
}

Test(chunk_to_print, releases_bytes_at_once)
{
	expect_print("hello", 5, false, false, 5,
		     "received bytes are printed as soon as they arrive, LF or not");
	expect_print("hello\nwor", 9, false, false, 6,
		     "the first line, up to its LF: the next line may be exit");
	expect_print("wor", 3, true, false, 3, "the rest of a line: print it at once");
	expect_print("ld\nexit\n", 8, true, false, 3,
		     "the rest of a line, up to its LF: the next line may be exit");
	expect_print("x", 1, false, false, 1, "a line that starts with x cannot be exit");
}

Test(chunk_to_print, holds_what_may_become_exit)
{
	static const char *const starts[] = { "e", "ex", "exi", "exit", "exit\r" };

	for (size_t i = 0; i < sizeof starts / sizeof starts[0]; i++)
		expect_print(starts[i], strlen(starts[i]), false, false, 0,
			     "at the start of a line these bytes may still become the "
			     "line exit, which is not printed: hold them");
	expect_print("exits", 5, false, false, 5,
		     "a line that starts with exits cannot be exit: print it");
	expect_print("ex", 2, true, false, 2,
		     "in the middle of a line (mid_line) the bytes cannot start exit");
	expect_print("exit", 4, false, true, 4,
		     "the stream has ended: no LF will come, print what is held");
	expect_print("eggs", 4, false, false, 4, "eggs is not the start of exit");
}

Test(chunk_to_print, releases_the_exit_line_whole)
{
	expect_print("exit\nmore", 9, false, false, 5,
		     "the line exit, LF included, in one piece: the caller checks it "
		     "with is_exit_line()");
	expect_print("exit\r\n", 6, false, false, 6, "exit, CR, LF is the exit line too");
	expect_print("exit\n", 5, true, false, 5,
		     "in the middle of a line, up to the LF as usual");
}
