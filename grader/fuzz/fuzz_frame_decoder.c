/*
 * fuzz_frame_decoder.c - libFuzzer harness for lab 03's frame decoder
 * (labs/03-chat/chat_frame.h), built with the reference's chat_frame.c.
 *
 * The input's first byte seeds how the stream is cut; the rest is the stream,
 * as a client may send it. The stream is decoded three times: in one piece, one
 * byte at a time, and in pieces of random sizes (each piece in a buffer of its
 * own size, so that reading past it is an AddressSanitizer error). Each time the
 * decoder must give exactly the frames, and the error, that a plain reading of
 * the whole stream gives (model_*), and keep its contract:
 *   - it never takes more bytes than it is given; when it returns 0 it took all;
 *   - it stops at the end of each frame: a frame comes out when the bytes taken
 *     so far end exactly where that frame ends in the stream;
 *   - a frame's length field is 1..8192, so its payload has at most 8191 bytes,
 *     and the payload lies inside the decoder's buffer;
 *   - it refuses a length of 0 or over 8192 with EPROTO as soon as the 4 bytes
 *     of the length are in, before any byte of the payload;
 * and frame_encode() gives back the frame's bytes in exactly their room (ENOSPC
 * with a byte less); frame_split_msg() on a MSG frame keeps the name and the
 * text inside the payload (and frame_encode_msg() gives the frame back from
 * them); the name and text checks agree with the handout.
 * A broken rule prints what it is and aborts: libFuzzer saves the input.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chat_frame.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Stops the run with the rule that broke (libFuzzer keeps the input). */
#define CHECK(cond, what)                                                               \
	do {                                                                            \
		if (!(cond)) {                                                          \
			fprintf(stderr, "fuzz_frame_decoder: broken rule: %s\n", what); \
			abort();                                                        \
		}                                                                       \
	} while (0)

/* Where a frame lies in the stream, as the model reads it. */
struct model_frame {
	size_t start; /* offset of its length field */
	size_t end;   /* offset just past its last byte */
};

/* What the model reads in a whole stream. */
struct model {
	struct model_frame *frames;
	size_t count;
	bool refused;	   /* a bad length field ends the stream */
	size_t refused_at; /* offset just past that length field */
};

/* The big-endian number in the 4 bytes at p. */
static uint32_t get_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* Reads the n bytes of s as whole frames, the simplest way (README, "The frame format"). */
static void model_read(const uint8_t *s, size_t n, struct model *m)
{
	size_t at = 0;

	m->frames = malloc((n / 5 + 1) * sizeof *m->frames);
	CHECK(m->frames != NULL, "malloc in the harness");
	m->count = 0;
	m->refused = false;
	while (n - at >= FRAME_HEADER_LEN) {
		uint32_t length = get_be32(s + at);

		if (length < 1 || length > FRAME_LENGTH_MAX) {
			m->refused = true;
			m->refused_at = at + FRAME_HEADER_LEN;
			return;
		}
		if (n - at - FRAME_HEADER_LEN < length)
			return; /* the last frame is not whole */
		m->frames[m->count].start = at;
		m->frames[m->count].end = at + FRAME_HEADER_LEN + length;
		at = m->frames[m->count++].end;
	}
}

/* Tells whether the n bytes at p are a name: 1..32 bytes of 0x21..0x7E. */
static bool model_name_valid(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (p[i] < 0x21 || p[i] > 0x7e)
			return false;
	}
	return n >= 1 && n <= CHAT_NAME_MAX;
}

/* Tells whether the n bytes at p are a text: 1..4096 bytes of 0x20 or above. */
static bool model_text_valid(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (p[i] < 0x20)
			return false;
	}
	return n >= 1 && n <= CHAT_TEXT_MAX;
}

/*
 * Encodes f again into exactly the n bytes it came from (wire), then into one
 * byte less: the first must give those bytes back, the second ENOSPC.
 */
static void check_encode(const struct frame *f, const uint8_t *wire, size_t n)
{
	uint8_t *room = malloc(n); /* its own size: writing past it is caught */

	CHECK(room != NULL, "malloc in the harness");
	CHECK(frame_encode(f->type, f->payload, f->len, room, n) == (ssize_t)n &&
		      memcmp(room, wire, n) == 0,
	      "frame_encode() gives back the bytes of a decoded frame");
	errno = 0;
	CHECK(frame_encode(f->type, f->payload, f->len, room, n - 1) == -1 &&
		      errno == ENOSPC,
	      "frame_encode() fails with ENOSPC when one byte of room is missing");
	free(room);
}

/* Checks frame f, which the decoder gave, against the stream bytes it came from. */
static void check_frame(const struct frame_decoder *d, const struct frame *f,
			const uint8_t *s, const struct model_frame *want)
{
	uint8_t wire[FRAME_WIRE_MAX];
	const uint8_t *name, *text;
	size_t name_len, text_len;

	CHECK(f->len <= FRAME_PAYLOAD_MAX, "a frame's payload is at most 8191 bytes");
	CHECK(f->len == want->end - want->start - FRAME_HEADER_LEN - 1,
	      "the payload's length is the length field minus 1");
	CHECK(f->payload >= d->buf && f->payload + f->len <= d->buf + sizeof d->buf,
	      "the payload lies inside the decoder's buffer");
	CHECK(f->type == s[want->start + FRAME_HEADER_LEN], "the type is the 5th byte");
	CHECK(memcmp(f->payload, s + want->start + FRAME_HEADER_LEN + 1, f->len) == 0,
	      "the payload is the bytes after the type");
	check_encode(f, s + want->start, want->end - want->start);
	CHECK(chat_name_valid(f->payload, f->len) == model_name_valid(f->payload, f->len),
	      "a name is 1..32 bytes of 0x21..0x7E");
	CHECK(chat_text_valid(f->payload, f->len) == model_text_valid(f->payload, f->len),
	      "a text is 1..4096 bytes of 0x20 or above");
	if (f->type != FRAME_MSG)
		return;
	if (frame_split_msg(f, &name, &name_len, &text, &text_len) == -1) {
		CHECK(errno == EPROTO && (f->len == 0 || f->payload[0] > f->len - 1),
		      "frame_split_msg() refuses only a name longer than the payload");
		return;
	}
	CHECK(f->len >= 1 && name_len == f->payload[0] && name == f->payload + 1 &&
		      text == name + name_len && 1 + name_len + text_len == f->len,
	      "frame_split_msg() gives the name, then the text, inside the payload");
	CHECK(frame_encode_msg(name, name_len, text, text_len, wire, sizeof wire) ==
			      (ssize_t)(want->end - want->start) &&
		      memcmp(wire, s + want->start, want->end - want->start) == 0,
	      "frame_encode_msg() gives back the bytes of a MSG frame it split");
}

/* One way of cutting the stream: the size of the next piece. */
typedef size_t (*cutter)(uint32_t *state, size_t left);

static size_t cut_whole(uint32_t *state, size_t left)
{
	(void)state;
	return left;
}

static size_t cut_bytes(uint32_t *state, size_t left)
{
	(void)state;
	return left > 0 ? 1 : 0;
}

/* Pieces of 1..2 * FRAME_WIRE_MAX bytes, mostly small, from a xorshift32 generator. */
static size_t cut_random(uint32_t *state, size_t left)
{
	static const size_t sizes[] = {
		1, 2, 3, 4, 5, 7, 16, 100, FRAME_WIRE_MAX, 2 * FRAME_WIRE_MAX
	};
	size_t n;

	*state ^= *state << 13;
	*state ^= *state >> 17;
	*state ^= *state << 5;
	n = 1 + *state % sizes[(*state >> 8) % (sizeof sizes / sizeof sizes[0])];
	return n < left ? n : left;
}

/* What the pieces of one stream have given so far. */
struct progress {
	size_t taken;  /* bytes of the stream in the pieces fed before this one */
	size_t frames; /* frames given */
};

/*
 * Feeds the len bytes of piece (the stream's bytes from p->taken on) to d until
 * it has taken them all, checking every answer against m. Returns false when
 * the decoder refused the stream.
 */
static bool feed_piece(struct frame_decoder *d, const uint8_t *piece, size_t len,
		       const uint8_t *s, const struct model *m, struct progress *p)
{
	for (size_t at = 0; at < len;) {
		struct frame f;
		size_t used = (size_t)-1;
		int rc = frame_decode(d, piece + at, len - at, &used, &f);

		CHECK(rc >= -1 && rc <= 1, "frame_decode() returns 1, 0 or -1");
		CHECK(used <= len - at, "frame_decode() takes at most the bytes given");
		at += used;
		if (rc == -1) {
			CHECK(errno == EPROTO, "a bad length field sets errno to EPROTO");
			CHECK(m->refused && p->frames == m->count &&
				      p->taken + at <= m->refused_at,
			      "a length is refused only when it is 0 or over 8192, before any "
			      "byte of its payload");
			return false;
		}
		if (rc == 0) {
			CHECK(at == len, "frame_decode() returning 0 took every byte");
			CHECK(!m->refused || p->taken + at < m->refused_at,
			      "a bad length is refused as soon as its 4 bytes are in");
			break;
		}
		CHECK(p->frames < m->count,
		      "a frame is whole only when all its bytes are in");
		CHECK(p->taken + at == m->frames[p->frames].end,
		      "frame_decode() stops at the end of each frame");
		check_frame(d, &f, s, &m->frames[p->frames++]);
	}
	p->taken += len;
	return true;
}

/* Decodes the n bytes of s cut by cut, and checks every answer against m. */
static void decode_cut(const uint8_t *s, size_t n, const struct model *m, cutter cut,
		       uint32_t seed, struct frame_decoder *d)
{
	struct progress p = { 0, 0 };
	uint8_t *piece = NULL;
	size_t piece_size = 0;

	frame_decoder_init(d);
	while (p.taken < n) {
		size_t len = cut(&seed, n - p.taken);

		if (len != piece_size) { /* exactly its size: reading past it is caught */
			free(piece);
			piece = malloc(len);
			piece_size = len;
			CHECK(piece != NULL, "malloc in the harness");
		}
		memcpy(piece, s + p.taken, len);
		if (!feed_piece(d, piece, len, s, m, &p)) {
			free(piece);
			return;
		}
	}
	free(piece);
	CHECK(p.frames == m->count, "every whole frame comes out");
	CHECK(!m->refused, "a length field of 0 or over 8192 is refused");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct frame_decoder *d;
	struct model m;

	if (size < 1)
		return 0;
	d = malloc(sizeof *d);
	CHECK(d != NULL, "malloc in the harness");
	model_read(data + 1, size - 1, &m);
	decode_cut(data + 1, size - 1, &m, cut_whole, 0, d);
	decode_cut(data + 1, size - 1, &m, cut_bytes, 0, d);
	decode_cut(data + 1, size - 1, &m, cut_random, 0x9e3779b9u ^ data[0], d);
	free(m.frames);
	free(d);
	return 0;
}
