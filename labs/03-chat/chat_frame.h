/*
 * chat_frame.h - the chat's frames: encoding one, and a streaming decoder that
 * takes bytes in pieces of any size and gives back whole frames.
 *
 * Every message on the wire is a frame (README.md, "The frame format"):
 *
 *     +-----------------------+-------------+---------------------------+
 *     | length: uint32, big-  | type: uint8 | payload: length - 1 bytes |
 *     | endian (network order)|             |                           |
 *     +-----------------------+-------------+---------------------------+
 *
 * length counts the type byte and the payload: 1 <= length <= FRAME_LENGTH_MAX.
 * TCP keeps no boundaries: a frame may arrive split at any byte, and several
 * may arrive in one recv(2). The decoder keeps the bytes of the frame it is
 * reassembling in a fixed buffer, so it never allocates, and it checks the
 * length as soon as its 4 bytes are in, before any byte of the payload.
 *
 * These functions do no I/O: the unit tests (tests/test_frame.c) call them on
 * bytes they make up.
 */
#ifndef CHAT_FRAME_H
#define CHAT_FRAME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define FRAME_HEADER_LEN  4    /* the length field */
#define FRAME_LENGTH_MAX  8192 /* largest valid length field: type + payload */
#define FRAME_PAYLOAD_MAX 8191 /* so the payload holds at most this */
#define FRAME_WIRE_MAX	  (FRAME_HEADER_LEN + FRAME_LENGTH_MAX) /* a whole frame */
#define CHAT_NAME_MAX	  32					/* bytes in a name */
#define CHAT_TEXT_MAX	  4096 /* bytes in a message's text */

/* The types of frame (README.md, "The frame format"). */
enum frame_type {
	FRAME_HELLO = 0x01,   /* c -> s: name */
	FRAME_WELCOME = 0x02, /* s -> c: empty */
	FRAME_SEND = 0x03,    /* c -> s: text */
	FRAME_MSG = 0x04,     /* s -> c: uint8 name length, name, text */
	FRAME_JOIN = 0x05,    /* s -> c: name */
	FRAME_LEAVE = 0x06,   /* s -> c: name */
	FRAME_ERROR = 0x07    /* s -> c: a reason in ASCII */
};

/* A decoded frame: its type and its payload (which it does not own). */
struct frame {
	uint8_t type;
	const uint8_t *payload; /* len bytes; valid until the decoder is fed again */
	size_t len;		/* bytes of payload: the length field minus 1 */
};

/* The state of one stream's decoder: the bytes of the frame not yet whole. */
struct frame_decoder {
	uint8_t buf[FRAME_WIRE_MAX]; /* the header, then the type and payload */
	size_t have;		     /* bytes of the current frame in buf */
	bool whole;		     /* buf holds a whole frame, handed out last time */
};

/*
 * Writes the frame (type, payload of len bytes) to out, which has room for cap
 * bytes. Returns the frame's size, FRAME_HEADER_LEN + 1 + len, or -1 with errno
 * set: EMSGSIZE when 1 + len > FRAME_LENGTH_MAX, ENOSPC when cap is too small.
 * payload may be NULL when len is 0.
 */
ssize_t frame_encode(uint8_t type, const void *payload, size_t len, void *out,
		     size_t cap);

/*
 * Writes a MSG frame to out (cap bytes): its payload is one byte holding
 * name_len, the name, then the text. Returns the frame's size or -1 with errno
 * set as frame_encode() does; EINVAL when name_len is over 255.
 */
ssize_t frame_encode_msg(const void *name, size_t name_len, const void *text,
			 size_t text_len, void *out, size_t cap);

/*
 * Splits the payload of a MSG frame f into its name (*name, *name_len bytes) and
 * its text (*text, *text_len bytes), pointing into f->payload. Returns 0, or -1
 * with errno set to EPROTO when the payload is empty or its name length byte
 * says more than the payload holds.
 */
int frame_split_msg(const struct frame *f, const uint8_t **name, size_t *name_len,
		    const uint8_t **text, size_t *text_len);

/* Makes d ready for the first byte of a stream. */
void frame_decoder_init(struct frame_decoder *d);

/*
 * Feeds the len bytes of data to d. d takes bytes up to the end of one frame
 * and stops there; *used says how many it took. Returns:
 *   1  a whole frame: *f describes it (f->payload points into d, valid until the
 *      next call); the bytes after *used are the start of the next frame;
 *   0  every byte taken (*used == len), no whole frame yet;
 *  -1  errno EPROTO: the length field is 0 or over FRAME_LENGTH_MAX. This is
 *      reported as soon as the 4 length bytes are in; the stream cannot be
 *      decoded further (its frame boundaries are lost).
 * Call it again with the rest of the bytes until it returns 0. Types are not
 * checked: what a type means is the program's business.
 */
int frame_decode(struct frame_decoder *d, const void *data, size_t len, size_t *used,
		 struct frame *f);

/* Tells whether the len bytes of name are a valid name: 1..32 bytes of 0x21..0x7E. */
bool chat_name_valid(const void *name, size_t len);

/*
 * Tells whether the len bytes of text are a valid message text: 1..4096 bytes,
 * each 0x20 or above (no LF, no control bytes; bytes over 0x7E are allowed).
 */
bool chat_text_valid(const void *text, size_t len);

#endif /* CHAT_FRAME_H */
