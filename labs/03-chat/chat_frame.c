/*
 * chat_frame.c - encoding and decoding the chat's frames (chat_frame.h).
 */
#include "chat_frame.h"

#include <arpa/inet.h>
#include <err.h>
#include <errno.h>
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
	static bool warned;

	/*
	 * TODO (step 1, "The frame format"): check with check_room() that a
	 * type byte and len payload bytes fit in the protocol and in cap (it
	 * sets errno). Then write the length field, 1 + len, at out with
	 * put_u32() (big-endian), the type byte after it, and the payload after
	 * that (memcpy(3), only if len > 0: payload may be NULL). Return the
	 * frame's size, FRAME_HEADER_LEN + 1 + len. See byteorder(3).
	 */
	(void)type;
	(void)payload;
	(void)len;
	(void)out;
	(void)cap;
	(void)check_room; /* delete these two lines once you call them */
	(void)put_u32;
	not_implemented(__func__, &warned);
	return -1;
}

ssize_t frame_encode_msg(const void *name, size_t name_len, const void *text,
			 size_t text_len, void *out, size_t cap)
{
	static bool warned;

	/*
	 * TODO (step 1, "The frame format"): as frame_encode(), for a MSG whose
	 * payload is one byte holding name_len, then the name, then the text.
	 * Refuse a name_len over 255 (it does not fit in one byte) with errno
	 * EINVAL, and check the room for 1 + 1 + name_len + text_len bytes with
	 * check_room().
	 */
	(void)name;
	(void)name_len;
	(void)text;
	(void)text_len;
	(void)out;
	(void)cap;
	not_implemented(__func__, &warned);
	return -1;
}

int frame_split_msg(const struct frame *f, const uint8_t **name, size_t *name_len,
		    const uint8_t **text, size_t *text_len)
{
	static bool warned;

	/*
	 * TODO (step 1, "The frame format"): the first payload byte is the
	 * name's length; the name follows, then the text up to the end of the
	 * payload. Point *name and *text into f->payload and set the lengths.
	 * An empty payload, or a name length over f->len - 1, is -1 with errno
	 * EPROTO: never read past the payload.
	 */
	(void)f;
	(void)name;
	(void)name_len;
	(void)text;
	(void)text_len;
	not_implemented(__func__, &warned);
	return -1;
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
	static bool warned;

	/*
	 * TODO (step 2, "A streaming decoder"): false while d holds fewer than
	 * FRAME_HEADER_LEN bytes; then whether the length field (length_field())
	 * is 0 or over FRAME_LENGTH_MAX.
	 */
	(void)d;
	(void)length_field; /* delete this line once you call it */
	not_implemented(__func__, &warned);
	return true;
}

/*
 * How many more bytes d needs for what it is reading now: the rest of the
 * header, or once the header is in, the rest of the frame.
 */
static size_t bytes_wanted(const struct frame_decoder *d)
{
	static bool warned;

	/*
	 * TODO (step 2, "A streaming decoder"): before the header is whole, the
	 * bytes missing from it; after, the bytes missing from the frame: its
	 * FRAME_HEADER_LEN + length bytes, minus d->have.
	 */
	(void)d;
	not_implemented(__func__, &warned);
	return 0;
}

/*
 * Copies to d as many of the len bytes at in as the part of the frame it reads
 * now wants (the header, or the rest of the frame). Returns how many it took.
 */
static size_t take_bytes(struct frame_decoder *d, const uint8_t *in, size_t len)
{
	static bool warned;

	/*
	 * TODO (step 2, "A streaming decoder"): copy min(len, bytes_wanted(d))
	 * bytes of in to d->buf + d->have, add them to d->have and return how
	 * many. Taking no more than is wanted is what stops the decoder at the
	 * end of the header (to check the length) and at the end of a frame.
	 */
	(void)d;
	(void)in;
	(void)len;
	not_implemented(__func__, &warned);
	return 0;
}

int frame_decode(struct frame_decoder *d, const void *data, size_t len, size_t *used,
		 struct frame *f)
{
	static bool warned;

	/*
	 * TODO (step 2, "A streaming decoder"): if d->whole, the frame handed
	 * out last time is done with: start again with frame_decoder_init().
	 * Set *used to 0. Then loop:
	 * - bad_header(d): errno EPROTO, return -1 (before any payload byte);
	 * - d holds more than the header and bytes_wanted(d) is 0: a whole
	 *   frame. Fill *f (type, payload pointing into d->buf, len = length
	 *   field - 1), set d->whole and return 1;
	 * - *used == len: return 0, every byte is taken;
	 * - else add to *used what take_bytes() takes from data + *used.
	 */
	(void)d;
	(void)data;
	(void)len;
	(void)f;
	(void)take_bytes; /* delete these lines once you call them */
	(void)bad_header;
	(void)bytes_wanted;
	*used = 0;
	not_implemented(__func__, &warned);
	return -1;
}

bool chat_name_valid(const void *name, size_t len)
{
	static bool warned;

	/*
	 * TODO (step 3, "Names and texts"): true when len is 1..CHAT_NAME_MAX
	 * and every byte is 0x21..0x7E (printable, no space). Read the bytes as
	 * uint8_t: a plain char may be signed, and 0xc3 would be negative.
	 */
	(void)name;
	(void)len;
	not_implemented(__func__, &warned);
	return false;
}

bool chat_text_valid(const void *text, size_t len)
{
	static bool warned;

	/*
	 * TODO (step 3, "Names and texts"): true when len is 1..CHAT_TEXT_MAX
	 * and no byte is below 0x20 (bytes over 0x7E are fine: UTF-8).
	 */
	(void)text;
	(void)len;
	not_implemented(__func__, &warned);
	return false;
}
