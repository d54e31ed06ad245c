/*
 * chat_frame.c - encoding and decoding the chat's frames (chat_frame.h).
 */
#include "chat_frame.h"

#include <arpa/inet.h>
#include <errno.h>
#include <string.h>

/* Writes v to out as 4 bytes, most significant first (network byte order). */
static void put_u32(uint8_t *out, uint32_t v)
{
	uint32_t be = htonl(v);

	memcpy(out, &be, sizeof be); /* memcpy: out need not be aligned */
}

/* Reads the 4 bytes at in as a big-endian (network order) number. */
static uint32_t get_u32(const uint8_t *in)
{
	uint32_t be;

	memcpy(&be, in, sizeof be);
	return ntohl(be);
}

/*
 * Checks that a frame whose type and payload take body bytes fits the protocol
 * and cap bytes of room. Returns 0, or -1 with errno EMSGSIZE or ENOSPC.
 */
static int check_room(size_t body, size_t cap)
{
	if (body > FRAME_LENGTH_MAX) {
		errno = EMSGSIZE;
		return -1;
	}
	if (FRAME_HEADER_LEN + body > cap) {
		errno = ENOSPC;
		return -1;
	}
	return 0;
}

ssize_t frame_encode(uint8_t type, const void *payload, size_t len, void *out, size_t cap)
{
	uint8_t *p = out;

	if (check_room(1 + len, cap) == -1)
		return -1;
	put_u32(p, (uint32_t)(1 + len));
	p[FRAME_HEADER_LEN] = type;
	if (len > 0)
		memcpy(p + FRAME_HEADER_LEN + 1, payload, len);
	return (ssize_t)(FRAME_HEADER_LEN + 1 + len);
}

ssize_t frame_encode_msg(const void *name, size_t name_len, const void *text,
			 size_t text_len, void *out, size_t cap)
{
	uint8_t *p = out;
	size_t body = 1 + 1 + name_len + text_len; /* type, name length, name, text */

	if (name_len > UINT8_MAX) {
		errno = EINVAL;
		return -1;
	}
	if (check_room(body, cap) == -1)
		return -1;
	put_u32(p, (uint32_t)body);
	p[FRAME_HEADER_LEN] = FRAME_MSG;
	p[FRAME_HEADER_LEN + 1] = (uint8_t)name_len;
	memcpy(p + FRAME_HEADER_LEN + 2, name, name_len);
	if (text_len > 0)
		memcpy(p + FRAME_HEADER_LEN + 2 + name_len, text, text_len);
	return (ssize_t)(FRAME_HEADER_LEN + body);
}

int frame_split_msg(const struct frame *f, const uint8_t **name, size_t *name_len,
		    const uint8_t **text, size_t *text_len)
{
	if (f->len < 1 || f->payload[0] > f->len - 1) {
		errno = EPROTO;
		return -1;
	}
	*name_len = f->payload[0];
	*name = f->payload + 1;
	*text = f->payload + 1 + *name_len;
	*text_len = f->len - 1 - *name_len;
	return 0;
}

void frame_decoder_init(struct frame_decoder *d)
{
	d->have = 0;
	d->whole = false;
}

/* The length field of the frame in d; d holds at least its 4 bytes. */
static size_t length_field(const struct frame_decoder *d)
{
	return get_u32(d->buf);
}

/* Tells whether d holds a header whose length no valid frame has. */
static bool bad_header(const struct frame_decoder *d)
{
	size_t length;

	if (d->have < FRAME_HEADER_LEN)
		return false;
	length = length_field(d);
	return length < 1 || length > FRAME_LENGTH_MAX;
}

/*
 * How many more bytes d needs for what it is reading now: the rest of the
 * header, or once the header is in, the rest of the frame.
 */
static size_t bytes_wanted(const struct frame_decoder *d)
{
	if (d->have < FRAME_HEADER_LEN)
		return FRAME_HEADER_LEN - d->have;
	return FRAME_HEADER_LEN + length_field(d) - d->have;
}

/*
 * Copies to d as many of the len bytes at in as the part of the frame it reads
 * now wants (the header, or the rest of the frame). Returns how many it took.
 */
static size_t take_bytes(struct frame_decoder *d, const uint8_t *in, size_t len)
{
	size_t n = bytes_wanted(d);

	if (n > len)
		n = len;
	memcpy(d->buf + d->have, in, n);
	d->have += n;
	return n;
}

int frame_decode(struct frame_decoder *d, const void *data, size_t len, size_t *used,
		 struct frame *f)
{
	if (d->whole) /* the frame handed out last time is done with */
		frame_decoder_init(d);
	*used = 0;
	for (;;) {
		if (bad_header(d)) {
			errno = EPROTO; /* from the header alone: no payload read */
			return -1;
		}
		if (d->have > FRAME_HEADER_LEN && bytes_wanted(d) == 0) {
			f->type = d->buf[FRAME_HEADER_LEN];
			f->payload = d->buf + FRAME_HEADER_LEN + 1;
			f->len = length_field(d) - 1;
			d->whole = true;
			return 1;
		}
		if (*used == len)
			return 0;
		*used += take_bytes(d, (const uint8_t *)data + *used, len - *used);
	}
}

bool chat_name_valid(const void *name, size_t len)
{
	const uint8_t *p = name;

	if (len < 1 || len > CHAT_NAME_MAX)
		return false;
	for (size_t i = 0; i < len; i++) {
		if (p[i] < 0x21 || p[i] > 0x7e)
			return false;
	}
	return true;
}

bool chat_text_valid(const void *text, size_t len)
{
	const uint8_t *p = text;

	if (len < 1 || len > CHAT_TEXT_MAX)
		return false;
	for (size_t i = 0; i < len; i++) {
		if (p[i] < 0x20)
			return false;
	}
	return true;
}
