/*
 * rpc_request.c - parsing a request datagram and answering it (rpc_request.h).
 */
#include "rpc_request.h"

#include <err.h>
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#define SEQ_DIGITS_MAX 10 /* 4294967295 */
#define ARG_DIGITS_MAX 10 /* 2147483648 */

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

/* Tells whether c is a digit, without the locale that isdigit(3) consults. */
static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/*
 * Reads the n bytes of s as a SEQ: 1..10 digits, no leading zero, value
 * 1..UINT32_MAX. Returns it, or 0 if s is not a SEQ.
 */
static uint32_t parse_seq(const char *s, size_t n)
{
	static bool warned;

	/*
	 * TODO (step 1, "Parsing a request"): return 0 if n is 0 or over
	 * SEQ_DIGITS_MAX, if s starts with '0', or if a byte is not a digit
	 * (is_digit()). Else add the digits up in a uint64_t (ten digits fit
	 * there, not in 32 bits) and return the value if it is at most
	 * UINT32_MAX, else 0. Not strtoul(3): it takes spaces, signs and
	 * leading zeros, and reads past n bytes.
	 */
	(void)s;
	(void)n;
	(void)is_digit; /* delete this line once you call it */
	not_implemented(__func__, &warned);
	return 0;
}

/*
 * Reads the n bytes of s as an ARG: an optional '-' and 1..10 digits (leading
 * zeros allowed) whose value fits int32_t. Returns 0 and sets *arg, or -1.
 */
static int parse_arg(const char *s, size_t n, int32_t *arg)
{
	static bool warned;

	/*
	 * TODO (step 1, "Parsing a request"): skip one '-' if there is one; then 1 to
	 * ARG_DIGITS_MAX digits must follow, and nothing else. Add them up in an
	 * int64_t, negate it for the '-', and check that it lies within
	 * INT32_MIN..INT32_MAX before you store it in *arg.
	 */
	(void)s;
	(void)n;
	(void)arg;
	not_implemented(__func__, &warned);
	return -1;
}

/* Tells whether the n bytes of s are all printable ASCII, 0x20..0x7E. */
static bool is_printable(const char *s, size_t n)
{
	static bool warned;

	/*
	 * TODO (step 1, "Parsing a request"): check every byte. char may be signed:
	 * compare the byte as an unsigned char, or 0x80..0xFF look below 0x20.
	 */
	(void)s;
	(void)n;
	not_implemented(__func__, &warned);
	return false;
}

/*
 * Sets req's kind (and text or arg) from the n bytes after "SEQ ": COMMAND,
 * then for ECHO and INCR one space and the rest.
 */
static void parse_command(const char *s, size_t n, struct rpc_request *req)
{
	static bool warned;

	/*
	 * TODO (step 1, "Parsing a request"): COMMAND is the bytes up to the first
	 * space (memchr(3): the bytes are not a C string) or to the end. Compare
	 * it whole with memcmp(3) and its length: "ECHOX" is not ECHO.
	 * - ECHO: RPC_ECHO; text is everything after that space (none: empty);
	 * - INCR: a space and an ARG that parse_arg() takes: RPC_INCR with arg;
	 *   anything else (no space, a bad number): RPC_BAD_NUMBER;
	 * - GET with no space after it: RPC_GET;
	 * - anything else (GET with an argument too): RPC_UNKNOWN.
	 */
	(void)s;
	(void)n;
	(void)parse_arg; /* delete this line once you call it */
	req->kind = RPC_MALFORMED;
	not_implemented(__func__, &warned);
}

void rpc_parse_request(const char *buf, size_t len, struct rpc_request *req)
{
	static bool warned;

	memset(req, 0, sizeof *req);
	req->kind = RPC_MALFORMED;
	/*
	 * TODO (step 1, "Parsing a request"): fill *req as rpc_request.h says.
	 * - An empty datagram or one over RPC_DATAGRAM_MAX bytes: leave it
	 *   malformed with seq 0.
	 * - Drop one LF at the end.
	 * - SEQ is the bytes up to the first space (or the end): parse_seq().
	 *   If it returns 0, leave it malformed, seq 0.
	 * - With a SEQ: if is_printable() says no, malformed with that seq.
	 * - Else parse_command() on the bytes after the space; no space at all
	 *   is RPC_UNKNOWN (no command).
	 * Read only len bytes: buf has no NUL at the end, and may hold NULs.
	 */
	(void)buf;
	(void)len;
	(void)parse_seq; /* delete these three lines once you call them */
	(void)is_printable;
	(void)parse_command;
	not_implemented(__func__, &warned);
}

ssize_t rpc_format_reply(uint32_t seq, const char *result, size_t len, char *out,
			 size_t cap)
{
	static bool warned;

	/*
	 * TODO (step 2, "Answering a request"): write SEQ in decimal and a space
	 * (snprintf(3) into a small buffer, "%" PRIu32 " "), then the len bytes
	 * of result (memcpy(3): they may hold any byte). If the whole does not
	 * fit in cap bytes, write nothing, set errno to ENOSPC, return -1. Write
	 * no NUL and no LF: a datagram carries its own length.
	 */
	(void)seq;
	(void)result;
	(void)len;
	(void)out;
	(void)cap;
	not_implemented(__func__, &warned);
	return -1;
}

ssize_t rpc_answer(const struct rpc_request *req, int64_t *total, char *out, size_t cap)
{
	static bool warned;

	/*
	 * TODO (step 2, "Answering a request"): one case per kind (a switch), each
	 * ending in rpc_format_reply():
	 * - RPC_ECHO: the text;
	 * - RPC_INCR: add arg to *total, then as GET;
	 * - RPC_GET: *total in decimal (snprintf(3) with "%" PRId64);
	 * - the others: "ERR unknown command", "ERR bad number",
	 *   "ERR malformed request".
	 * *total cannot overflow: why? ("At most once" has the answer.)
	 */
	(void)req;
	(void)total;
	(void)out;
	(void)cap;
	not_implemented(__func__, &warned);
	return -1;
}
