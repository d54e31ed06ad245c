/*
 * test_frame.c - unit tests of the chat's frames (chat_frame.h), lab 03:
 * encoding, the streaming decoder, and the checks of names and texts.
 *
 * These functions do no I/O: each test calls them on bytes it makes up. The
 * decoder is fed the same frames cut in every way a TCP stream may cut them:
 * all at once, one byte at a time, in two pieces at every byte, and in random
 * pieces (the seed is printed in the message of a failure: run the test again
 * with SEED=that number in the environment to replay it).
 *
 * Run them all with `make check`, or list them and run one:
 *   ./build/test_frame --list
 *   ./build/test_frame --filter 'frame_decode/one_byte_at_a_time'
 * This file is a copy of the grader's: editing it does not change your grade.
 */
#include <criterion/criterion.h>

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "chat_frame.h"

TestSuite(frame_encode, .timeout = 5);
TestSuite(frame_decode, .timeout = 10);
TestSuite(frame_split_msg, .timeout = 5);
TestSuite(chat_name_valid, .timeout = 5);
TestSuite(chat_text_valid, .timeout = 5);

#define MAX_FRAMES    16    /* frames in one test stream, at most */
#define STREAM_CAP    40000 /* bytes in one test stream, at most */
#define RANDOM_ROUNDS 200   /* random cuttings of one stream */

/*
 * Helpers
 */

/*
 * Writes the n bytes of s for a message as hex pairs ("00 00 00 06 01 61"),
 * the first 24 of them, and returns one of four static buffers.
 */
static const char *hex(const void *s, size_t n)
{
	static char bufs[4][128];
	static int next;
	char *out = bufs[next++ % 4];
	const uint8_t *p = s;
	size_t used = 0;

	out[0] = '\0';
	for (size_t i = 0; i < n && i < 24; i++)
		used += (size_t)snprintf(out + used, 8, "%s%02x", i ? " " : "", p[i]);
	if (n > 24)
		snprintf(out + used, 8, " ...");
	return out;
}

/* Returns the 4 bytes of a big-endian length field for length. */
static void put_length(uint8_t *out, uint32_t length)
{
	out[0] = (uint8_t)(length >> 24);
	out[1] = (uint8_t)(length >> 16);
	out[2] = (uint8_t)(length >> 8);
	out[3] = (uint8_t)length;
}

/* One frame as the tests know it. */
struct test_frame {
	uint8_t type;
	size_t len;	  /* payload bytes */
	uint8_t *payload; /* malloc'ed (NULL when len is 0) */
};

/* A stream of frames, and its bytes on the wire. */
struct stream {
	struct test_frame frames[MAX_FRAMES];
	size_t count;
	uint8_t bytes[STREAM_CAP];
	size_t len;
};

/* Appends a frame (type, payload of len bytes: pattern from seed) to st. */
static void add_frame(struct stream *st, uint8_t type, size_t len, unsigned seed)
{
	struct test_frame *f = &st->frames[st->count++];

	cr_assert(st->count <= MAX_FRAMES && st->len + 5 + len <= STREAM_CAP,
		  "test setup: stream too long");
	f->type = type;
	f->len = len;
	f->payload = len ? malloc(len) : NULL;
	for (size_t i = 0; i < len; i++)
		f->payload[i] = (uint8_t)(0x20 + (i * 7 + seed) % 95);
	put_length(st->bytes + st->len, (uint32_t)(len + 1));
	st->bytes[st->len + 4] = type;
	if (len)
		memcpy(st->bytes + st->len + 5, f->payload, len);
	st->len += 5 + len;
}

/* The stream the split tests use: every size that matters, several types. */
static void make_stream(struct stream *st)
{
	st->count = 0;
	st->len = 0;
	add_frame(st, FRAME_WELCOME, 0, 1); /* length 1: no payload at all */
	add_frame(st, FRAME_HELLO, 5, 2);
	add_frame(st, FRAME_SEND, 1, 3);
	add_frame(st, FRAME_MSG, FRAME_LENGTH_MAX - 1, 4); /* length 8192 */
	add_frame(st, FRAME_JOIN, 300, 5);		   /* a length byte over 255 */
	add_frame(st, FRAME_ERROR, 14, 6);
	add_frame(st, FRAME_SEND, FRAME_LENGTH_MAX - 1, 7);
	add_frame(st, FRAME_LEAVE, 3, 8);
}

static void free_stream(struct stream *st)
{
	for (size_t i = 0; i < st->count; i++)
		free(st->frames[i].payload);
}

/* What the decoder gave back from a stream. */
struct decoded {
	struct test_frame frames[MAX_FRAMES];
	size_t count;
};

static void free_decoded(struct decoded *out)
{
	for (size_t i = 0; i < out->count; i++)
		free(out->frames[i].payload);
	out->count = 0;
}

/*
 * Feeds one piece of len bytes to d, as a program does with what one recv(2)
 * returned: calls frame_decode() until it has taken every byte, keeping a copy
 * of each frame in out. `how` says in a failure how the stream was cut.
 */
static void feed(struct frame_decoder *d, const uint8_t *piece, size_t len,
		 struct decoded *out, const char *how)
{
	size_t off = 0, used;
	struct frame f;
	int rc;
	int calls = 0;

	do {
		used = 12345;
		rc = frame_decode(d, piece + off, len - off, &used, &f);
		cr_assert(rc == 0 || rc == 1,
			  "%s: frame_decode() returned %d on a valid stream (errno %d), "
			  "expected 1 (a frame) or 0 (need more)",
			  how, rc, errno);
		cr_assert(used <= len - off,
			  "%s: frame_decode() said it used %zu bytes of a piece of %zu",
			  how, used, len - off);
		cr_assert(
			rc == 1 || used == len - off,
			"%s: frame_decode() returned 0 (need more bytes) but used only %zu "
			"of the %zu bytes it was given",
			how, used, len - off);
		off += used;
		if (rc == 1) {
			struct test_frame *t = &out->frames[out->count];

			cr_assert(out->count < MAX_FRAMES,
				  "%s: the decoder gave more frames than were sent", how);
			t->type = f.type;
			t->len = f.len;
			t->payload = f.len ? malloc(f.len) : NULL;
			if (f.len)
				memcpy(t->payload, f.payload, f.len);
			out->count++;
		}
		cr_assert(++calls < 100000, "%s: frame_decode() never finished the piece",
			  how);
	} while (off < len);
}

/* Checks that the decoder gave back exactly the frames of st, in order. */
static void expect_frames(const struct stream *st, const struct decoded *got,
			  const char *how)
{
	cr_assert_eq(
		got->count, st->count,
		"%s: the decoder gave %zu frames, expected %zu (lengths 1, 6, 2, 8192, "
		"301, 15, 8192, 4)",
		how, got->count, st->count);
	for (size_t i = 0; i < st->count; i++) {
		const struct test_frame *w = &st->frames[i], *g = &got->frames[i];

		cr_assert_eq(g->type, w->type,
			     "%s: frame %zu has type 0x%02x, expected 0x%02x", how, i + 1,
			     g->type, w->type);
		cr_assert_eq(g->len, w->len,
			     "%s: frame %zu (type 0x%02x) has a payload of %zu bytes, "
			     "expected %zu (the length field minus the type byte)",
			     how, i + 1, w->type, g->len, w->len);
		cr_assert(w->len == 0 || memcmp(g->payload, w->payload, w->len) == 0,
			  "%s: frame %zu (type 0x%02x, %zu bytes): the payload differs: "
			  "expected %s, got %s",
			  how, i + 1, w->type, w->len, hex(w->payload, w->len),
			  hex(g->payload, g->len));
	}
}

/* The seed of the random tests: SEED from the environment, or a fresh one. */
static unsigned test_seed(void)
{
	const char *env = getenv("SEED");

	if (env != NULL)
		return (unsigned)strtoul(env, NULL, 10);
	return (unsigned)time(NULL) ^ (unsigned)getpid();
}

/*
 * frame_encode and frame_encode_msg
 */

/* Encodes and checks the bytes against want (want_len of them). */
static void expect_encoding(uint8_t type, const void *payload, size_t len,
			    const uint8_t *want, size_t want_len, const char *what)
{
	uint8_t out[64];
	ssize_t n;

	memset(out, 0xee, sizeof out);
	n = frame_encode(type, payload, len, out, sizeof out);
	cr_assert_eq(n, (ssize_t)want_len,
		     "frame_encode(%s) returned %zd, expected %zu (4 length bytes, the "
		     "type, the payload)",
		     what, n, want_len);
	cr_assert(memcmp(out, want, want_len) == 0,
		  "frame_encode(%s) wrote %s, expected %s", what, hex(out, want_len),
		  hex(want, want_len));
}

Test(frame_encode, hello_with_a_big_endian_length)
{
	static const uint8_t want[] = { 0, 0, 0, 6, 0x01, 'a', 'l', 'i', 'c', 'e' };

	expect_encoding(FRAME_HELLO, "alice", 5, want, sizeof want,
			"HELLO \"alice\": length 6 = type + 5 bytes, most significant "
			"byte first");
}

Test(frame_encode, an_empty_payload_has_length_1)
{
	static const uint8_t want[] = { 0, 0, 0, 1, 0x02 };

	expect_encoding(FRAME_WELCOME, NULL, 0, want, sizeof want,
			"WELCOME, no payload: the length counts the type byte");
}

Test(frame_encode, a_length_over_255_takes_two_bytes)
{
	uint8_t payload[300], out[400];
	ssize_t n;

	memset(payload, 'x', sizeof payload);
	n = frame_encode(FRAME_SEND, payload, sizeof payload, out, sizeof out);
	cr_assert_eq(n, 305, "frame_encode(SEND, 300 bytes) returned %zd, expected 305",
		     n);
	cr_assert(out[0] == 0 && out[1] == 0 && out[2] == 0x01 && out[3] == 0x2d,
		  "frame_encode(SEND, 300 bytes) wrote the length as %s, expected "
		  "00 00 01 2d (301, big-endian: see htonl(3))",
		  hex(out, 4));
	cr_assert_eq(out[4], FRAME_SEND, "the type byte is 0x%02x, expected 0x03",
		     out[4]);
}

Test(frame_encode, refuses_a_payload_over_8191_bytes)
{
	static uint8_t payload[FRAME_LENGTH_MAX], out[FRAME_WIRE_MAX + 16];
	ssize_t n;

	n = frame_encode(FRAME_SEND, payload, FRAME_LENGTH_MAX - 1, out, sizeof out);
	cr_assert_eq(n, FRAME_WIRE_MAX,
		     "frame_encode() of 8191 payload bytes (length 8192, the largest "
		     "valid) returned %zd, expected %d",
		     n, FRAME_WIRE_MAX);
	errno = 0;
	n = frame_encode(FRAME_SEND, payload, FRAME_LENGTH_MAX, out, sizeof out);
	cr_assert(n == -1 && errno == EMSGSIZE,
		  "frame_encode() of 8192 payload bytes (length 8193) returned %zd with "
		  "errno %d, expected -1 with EMSGSIZE (%d)",
		  n, errno, EMSGSIZE);
}

Test(frame_encode, refuses_a_buffer_too_small)
{
	uint8_t out[8];
	ssize_t n;

	memset(out, 0xee, sizeof out);
	errno = 0;
	n = frame_encode(FRAME_HELLO, "alice", 5, out, 9);
	cr_assert(n == -1 && errno == ENOSPC,
		  "frame_encode(HELLO \"alice\") into 9 bytes (10 needed) returned %zd "
		  "with errno %d, expected -1 with ENOSPC (%d)",
		  n, errno, ENOSPC);
	n = frame_encode(FRAME_WELCOME, NULL, 0, out, 5);
	cr_assert_eq(n, 5, "frame_encode(WELCOME) into exactly 5 bytes returned %zd", n);
}

Test(frame_encode, msg_carries_the_name_length_then_name_then_text)
{
	static const uint8_t want[] = { 0,   0,	  0,   9,   0x04, 5,  'a',
					'l', 'i', 'c', 'e', 'h',  'i' };
	uint8_t out[64];
	ssize_t n = frame_encode_msg("alice", 5, "hi", 2, out, sizeof out);

	cr_assert_eq(n, (ssize_t)sizeof want,
		     "frame_encode_msg(\"alice\", \"hi\") returned %zd, expected %zu", n,
		     sizeof want);
	cr_assert(memcmp(out, want, sizeof want) == 0,
		  "frame_encode_msg(\"alice\", \"hi\") wrote %s, expected %s",
		  hex(out, sizeof want), hex(want, sizeof want));
}

/*
 * frame_split_msg
 */

Test(frame_split_msg, gives_the_name_and_the_text)
{
	static const uint8_t payload[] = { 3, 'b', 'o', 'b', 'y', 'o' };
	struct frame f = { FRAME_MSG, payload, sizeof payload };
	const uint8_t *name = NULL, *text = NULL;
	size_t name_len = 99, text_len = 99;
	int rc = frame_split_msg(&f, &name, &name_len, &text, &text_len);

	cr_assert_eq(rc, 0, "frame_split_msg() of a valid MSG returned %d", rc);
	cr_assert(name == payload + 1 && name_len == 3,
		  "the name should be the 3 bytes after the length byte");
	cr_assert(text == payload + 4 && text_len == 2,
		  "the text should be the 2 bytes after the name (got %zu bytes)",
		  text_len);
}

Test(frame_split_msg, refuses_a_name_longer_than_the_payload)
{
	static const uint8_t payload[] = { 9, 'b', 'o', 'b' };
	struct frame f = { FRAME_MSG, payload, sizeof payload };
	struct frame empty = { FRAME_MSG, payload, 0 };
	const uint8_t *name, *text;
	size_t name_len, text_len;

	errno = 0;
	cr_assert(frame_split_msg(&f, &name, &name_len, &text, &text_len) == -1 &&
			  errno == EPROTO,
		  "a MSG whose name length (9) is more than the 3 bytes after it must "
		  "give -1 with EPROTO: reading 9 bytes would read past the payload");
	errno = 0;
	cr_assert(frame_split_msg(&empty, &name, &name_len, &text, &text_len) == -1 &&
			  errno == EPROTO,
		  "an empty MSG payload (no name length byte) must give -1 with EPROTO");
}

/*
 * frame_decode
 */

Test(frame_decode, all_at_once)
{
	static struct stream st;
	static struct frame_decoder d;
	struct decoded got = { .count = 0 };

	make_stream(&st);
	frame_decoder_init(&d);
	feed(&d, st.bytes, st.len, &got, "the whole stream in one piece");
	expect_frames(&st, &got, "the whole stream in one piece");
	free_decoded(&got);
	free_stream(&st);
}

Test(frame_decode, one_byte_at_a_time)
{
	static struct stream st;
	static struct frame_decoder d;
	struct decoded got = { .count = 0 };

	make_stream(&st);
	frame_decoder_init(&d);
	for (size_t i = 0; i < st.len; i++)
		feed(&d, st.bytes + i, 1, &got, "the stream one byte at a time");
	expect_frames(&st, &got, "the stream one byte at a time");
	free_decoded(&got);
	free_stream(&st);
}

Test(frame_decode, two_pieces_cut_at_every_byte)
{
	static struct stream st;
	static struct frame_decoder d;
	struct decoded got = { .count = 0 };
	char how[96];

	st.count = 0;
	st.len = 0;
	add_frame(&st, FRAME_WELCOME, 0, 1);
	add_frame(&st, FRAME_HELLO, 5, 2);
	add_frame(&st, FRAME_MSG, 40, 3);
	add_frame(&st, FRAME_SEND, 1, 4);
	for (size_t cut = 0; cut <= st.len; cut++) {
		snprintf(how, sizeof how, "the stream cut in two after byte %zu of %zu",
			 cut, st.len);
		frame_decoder_init(&d);
		feed(&d, st.bytes, cut, &got, how);
		feed(&d, st.bytes + cut, st.len - cut, &got, how);
		expect_frames(&st, &got, how);
		free_decoded(&got);
	}
	free_stream(&st);
}

Test(frame_decode, random_pieces)
{
	static struct stream st;
	static struct frame_decoder d;
	struct decoded got = { .count = 0 };
	unsigned seed = test_seed();
	char how[128];

	make_stream(&st);
	srand(seed);
	for (int round = 0; round < RANDOM_ROUNDS; round++) {
		size_t off = 0, piece;

		snprintf(how, sizeof how,
			 "random pieces (SEED=%u, round %d: rerun with SEED=%u)", seed,
			 round, seed);
		frame_decoder_init(&d);
		while (off < st.len) {
			/* mostly small pieces, sometimes up to 10,000 bytes */
			piece = (size_t)rand() % (rand() % 4 ? 16 : 10000) + 1;
			if (piece > st.len - off)
				piece = st.len - off;
			feed(&d, st.bytes + off, piece, &got, how);
			off += piece;
		}
		expect_frames(&st, &got, how);
		free_decoded(&got);
	}
	free_stream(&st);
}

Test(frame_decode, stops_at_the_end_of_each_frame)
{
	static const uint8_t two[] = { 0, 0, 0, 3, 0x05, 'a', 'b', 0, 0, 0, 1, 0x02 };
	static struct frame_decoder d;
	struct frame f;
	size_t used = 0;
	int rc;

	frame_decoder_init(&d);
	rc = frame_decode(&d, two, sizeof two, &used, &f);
	cr_assert(rc == 1 && used == 7,
		  "two frames (7 and 5 bytes) in one piece: the first call returned %d "
		  "having used %zu bytes, expected 1 having used 7 (the decoder stops at "
		  "the end of a frame; the caller calls again with the rest)",
		  rc, used);
	cr_assert(f.type == FRAME_JOIN && f.len == 2 && memcmp(f.payload, "ab", 2) == 0,
		  "the first frame should be JOIN \"ab\"");
	rc = frame_decode(&d, two + 7, sizeof two - 7, &used, &f);
	cr_assert(rc == 1 && used == 5 && f.type == FRAME_WELCOME && f.len == 0,
		  "the second call, on the 5 bytes left, returned %d having used %zu: "
		  "expected 1 (WELCOME, empty) having used 5",
		  rc, used);
	rc = frame_decode(&d, two, 0, &used, &f);
	cr_assert(rc == 0 && used == 0,
		  "a call with no bytes returned %d (used %zu), expected 0", rc, used);
}

/* Feeds a header with this length field byte by byte: -1 EPROTO at byte 4. */
static void expect_bad_length(uint32_t length)
{
	static struct frame_decoder d;
	uint8_t header[4];
	struct frame f;
	size_t used;
	int rc;

	put_length(header, length);
	frame_decoder_init(&d);
	for (int i = 0; i < 3; i++) {
		rc = frame_decode(&d, header + i, 1, &used, &f);
		cr_assert(
			rc == 0 && used == 1,
			"length %u: after byte %d of the header, frame_decode() returned "
			"%d (used %zu), expected 0 (3 length bytes say nothing yet)",
			length, i + 1, rc, used);
	}
	errno = 0;
	rc = frame_decode(&d, header + 3, 1, &used, &f);
	cr_assert(rc == -1 && errno == EPROTO,
		  "length %u (header %s): once the 4 length bytes were in, "
		  "frame_decode() returned %d with errno %d, expected -1 with EPROTO: a "
		  "bad length is reported from the header alone, before any payload "
		  "arrives (a server must not wait for, or allocate, %u bytes)",
		  length, hex(header, 4), rc, errno, length);
}

Test(frame_decode, length_0_is_refused_from_the_header)
{
	expect_bad_length(0);
}

Test(frame_decode, length_8193_is_refused_from_the_header)
{
	expect_bad_length(FRAME_LENGTH_MAX + 1);
}

Test(frame_decode, a_huge_length_is_refused_from_the_header)
{
	expect_bad_length(0xffffffffu); /* 4 + length overflows 32 bits */
	expect_bad_length(0x00010000u); /* 64 KiB; read little-endian: 256 */
	expect_bad_length(0x00200000u); /* 2 MiB; read little-endian: 8192 */
}

Test(frame_decode, lengths_1_and_8192_are_valid)
{
	static uint8_t bytes[FRAME_WIRE_MAX];
	static struct frame_decoder d;
	struct frame f;
	size_t used;
	int rc;

	put_length(bytes, 1);
	bytes[4] = FRAME_WELCOME;
	frame_decoder_init(&d);
	rc = frame_decode(&d, bytes, 5, &used, &f);
	cr_assert(rc == 1 && used == 5 && f.len == 0,
		  "length 1 (a type, no payload) returned %d (used %zu, payload %zu "
		  "bytes), expected 1, 5 bytes used, an empty payload",
		  rc, used, rc == 1 ? f.len : 0);
	put_length(bytes, FRAME_LENGTH_MAX);
	bytes[4] = FRAME_SEND;
	memset(bytes + 5, 'z', FRAME_LENGTH_MAX - 1);
	rc = frame_decode(&d, bytes, FRAME_WIRE_MAX, &used, &f);
	cr_assert(rc == 1 && used == FRAME_WIRE_MAX && f.len == FRAME_LENGTH_MAX - 1,
		  "length 8192 (the largest valid) returned %d (used %zu), expected 1 "
		  "with a payload of 8191 bytes",
		  rc, used);
	cr_assert(f.payload[0] == 'z' && f.payload[FRAME_LENGTH_MAX - 2] == 'z',
		  "the payload of the 8192 frame is not the bytes sent");
}

Test(frame_decode, unknown_types_are_passed_on)
{
	static const uint8_t bytes[] = { 0, 0, 0, 1, 0x00, 0, 0, 0, 2, 0xff, 'q' };
	static struct frame_decoder d;
	struct frame f;
	size_t used;
	int rc;

	frame_decoder_init(&d);
	rc = frame_decode(&d, bytes, sizeof bytes, &used, &f);
	cr_assert(rc == 1 && f.type == 0x00 && used == 5,
		  "a frame of type 0x00 returned %d: the decoder hands out every frame "
		  "whose length is valid; the program decides what its type means",
		  rc);
	rc = frame_decode(&d, bytes + 5, sizeof bytes - 5, &used, &f);
	cr_assert(rc == 1 && f.type == 0xff && f.len == 1 && f.payload[0] == 'q',
		  "a frame of type 0xff with payload \"q\" was not handed out as it was");
}

/*
 * chat_name_valid and chat_text_valid
 */

Test(chat_name_valid, accepts_1_to_32_printable_bytes)
{
	static const char all[] = "!\"#$%&'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRS"
				  "TUVWXYZ[\\]^_`abcdefghijklmnopqrstuvwxyz{|}~";

	cr_assert(chat_name_valid("a", 1), "\"a\" (1 byte) is a valid name");
	cr_assert(chat_name_valid("abcdefghijklmnopqrstuvwxyz012345", 32),
		  "a name of 32 bytes is valid");
	for (size_t i = 0; i + 1 < sizeof all; i++)
		cr_assert(chat_name_valid(all + i, 1),
			  "the name of the one byte 0x%02x is valid (0x21..0x7E)",
			  (unsigned char)all[i]);
}

Test(chat_name_valid, refuses_empty_long_and_other_bytes)
{
	static const uint8_t bad[] = { ' ', '\t', '\n', 0x00, 0x7f, 0x80, 0xc3, 0xff };

	cr_assert(!chat_name_valid("", 0), "an empty name is not valid");
	cr_assert(!chat_name_valid("abcdefghijklmnopqrstuvwxyz0123456", 33),
		  "a name of 33 bytes is not valid");
	for (size_t i = 0; i < sizeof bad; i++) {
		uint8_t name[3] = { 'a', bad[i], 'b' };

		cr_assert(!chat_name_valid(name, 3),
			  "a name holding the byte 0x%02x is not valid (only 0x21..0x7E)",
			  bad[i]);
	}
}

Test(chat_text_valid, accepts_spaces_and_bytes_over_0x7e)
{
	static const uint8_t utf8[] = { 'c', 'a', 'f', 0xc3, 0xa9, ' ', 0x7f };
	static char longest[CHAT_TEXT_MAX];

	memset(longest, 'y', sizeof longest);
	cr_assert(chat_text_valid(" ", 1), "a text of one space is valid");
	cr_assert(chat_text_valid(utf8, sizeof utf8),
		  "bytes over 0x7E are valid in a text (UTF-8: \"café\")");
	cr_assert(chat_text_valid(longest, CHAT_TEXT_MAX),
		  "a text of 4096 bytes is valid");
}

Test(chat_text_valid, refuses_empty_long_and_control_bytes)
{
	static char too_long[CHAT_TEXT_MAX + 1];

	memset(too_long, 'y', sizeof too_long);
	cr_assert(!chat_text_valid("", 0), "an empty text is not valid");
	cr_assert(!chat_text_valid(too_long, sizeof too_long),
		  "a text of 4097 bytes is not valid");
	for (unsigned b = 0; b < 0x20; b++) {
		char text[3] = { 'h', (char)b, 'i' };

		cr_assert(!chat_text_valid(text, 3),
			  "a text holding the byte 0x%02x (a control byte) is not valid",
			  b);
	}
}
