/*
 * rpc_request.h - the lab's protocol: reading a request datagram, and
 * executing it into a reply datagram (handout, "The protocol").
 *
 * A request is "SEQ COMMAND" or "SEQ COMMAND ARG" in printable ASCII; a reply
 * is "SEQ RESULT". These functions do no I/O: they turn bytes into a struct
 * and a struct into bytes, so they can be tested without a network.
 */
#ifndef RPC_REQUEST_H
#define RPC_REQUEST_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define RPC_DATAGRAM_MAX 1400 /* longest request or reply, in bytes */

/* What a request asks for, once parsed. */
enum rpc_kind {
	RPC_MALFORMED,	/* not a request: see rpc_parse_request() */
	RPC_ECHO,	/* "SEQ ECHO" or "SEQ ECHO TEXT": TEXT back */
	RPC_INCR,	/* "SEQ INCR ARG": add ARG to the client's total */
	RPC_GET,	/* "SEQ GET": the client's total */
	RPC_UNKNOWN,	/* SEQ and printable bytes, but no command we know */
	RPC_BAD_NUMBER, /* INCR whose ARG is missing or not an int32 */
};

struct rpc_request {
	uint32_t seq;	    /* 1..4294967295; 0 when SEQ did not parse */
	enum rpc_kind kind; /* what to do */
	const char *text;   /* RPC_ECHO: the text, inside the parsed datagram */
	size_t text_len;    /* RPC_ECHO: its length (0 for "SEQ ECHO") */
	int32_t arg;	    /* RPC_INCR: the number to add */
};

/*
 * Parses the len bytes of buf, one datagram as received (not NUL-terminated;
 * len may exceed RPC_DATAGRAM_MAX), into *req. It never fails: what is wrong
 * with a datagram is a kind of request, answered by rpc_answer().
 * - One LF at the end is ignored.
 * - An empty datagram, one over RPC_DATAGRAM_MAX bytes, or one whose SEQ does
 *   not parse (not 1..10 digits followed by a space or the end, a leading zero,
 *   0, or over 4294967295): RPC_MALFORMED with seq 0.
 * - SEQ parses but another byte is outside 0x20..0x7E: RPC_MALFORMED with
 *   that seq.
 * - Otherwise seq is set and COMMAND (the bytes after SEQ's space, up to the
 *   next space or the end) decides: ECHO, INCR with ARG (an optional '-' and
 *   1..10 digits within int32, and nothing after it; else RPC_BAD_NUMBER),
 *   GET with nothing after it, or RPC_UNKNOWN for anything else.
 * req->text points into buf: it is valid as long as buf is.
 */
void rpc_parse_request(const char *buf, size_t len, struct rpc_request *req);

/*
 * Executes req on *total (the client's total: RPC_INCR adds to it) and writes
 * the reply datagram "SEQ RESULT" to out (cap bytes; no LF, no NUL added).
 * RESULT is ECHO's text, the total in decimal, or "ERR unknown command",
 * "ERR bad number", "ERR malformed request".
 * Returns the reply's length, or -1 with errno ENOSPC if it does not fit in
 * cap bytes (RPC_DATAGRAM_MAX bytes always fit the reply to a valid request).
 */
ssize_t rpc_answer(const struct rpc_request *req, int64_t *total, char *out, size_t cap);

/*
 * Writes "SEQ RESULT" to out (cap bytes; no LF, no NUL added), where RESULT
 * is the len bytes of result. Returns the reply's length, or -1 with errno
 * ENOSPC if it does not fit.
 */
ssize_t rpc_format_reply(uint32_t seq, const char *result, size_t len, char *out,
			 size_t cap);

#endif /* RPC_REQUEST_H */
