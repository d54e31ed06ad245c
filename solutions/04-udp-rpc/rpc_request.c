/*
 * rpc_request.c - parsing a request datagram and answering it (rpc_request.h).
 */
#include "rpc_request.h"

#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#define SEQ_DIGITS_MAX 10 /* 4294967295 */
#define ARG_DIGITS_MAX 10 /* 2147483648 */

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
	uint64_t value = 0;

	if (n == 0 || n > SEQ_DIGITS_MAX || s[0] == '0')
		return 0;
	for (size_t i = 0; i < n; i++) {
		if (!is_digit(s[i]))
			return 0;
		value = value * 10 + (uint64_t)(s[i] - '0'); /* 10 digits fit 64 bits */
	}
	return value <= UINT32_MAX ? (uint32_t)value : 0;
}

/*
 * Reads the n bytes of s as an ARG: an optional '-' and 1..10 digits (leading
 * zeros allowed) whose value fits int32_t. Returns 0 and sets *arg, or -1.
 */
static int parse_arg(const char *s, size_t n, int32_t *arg)
{
	bool negative = n > 0 && s[0] == '-';
	int64_t value = 0;

	if (negative) {
		s++;
		n--;
	}
	if (n == 0 || n > ARG_DIGITS_MAX)
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (!is_digit(s[i]))
			return -1;
		value = value * 10 + (s[i] - '0');
	}
	if (negative)
		value = -value;
	if (value < INT32_MIN || value > INT32_MAX)
		return -1;
	*arg = (int32_t)value;
	return 0;
}

/* Tells whether the n bytes of s are all printable ASCII, 0x20..0x7E. */
static bool is_printable(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i]; /* char may be signed */

		if (c < 0x20 || c > 0x7E)
			return false;
	}
	return true;
}

/*
 * Sets req's kind (and text or arg) from the n bytes after "SEQ ": COMMAND,
 * then for ECHO and INCR one space and the rest.
 */
static void parse_command(const char *s, size_t n, struct rpc_request *req)
{
	const char *space = memchr(s, ' ', n);
	size_t cmd_len = space ? (size_t)(space - s) : n;
	const char *rest = space ? space + 1 : s + n;
	size_t rest_len = space ? n - cmd_len - 1 : 0;

	if (cmd_len == 4 && memcmp(s, "ECHO", 4) == 0) {
		req->kind = RPC_ECHO;
		req->text = rest;
		req->text_len = rest_len;
	} else if (cmd_len == 4 && memcmp(s, "INCR", 4) == 0) {
		bool ok = space && parse_arg(rest, rest_len, &req->arg) == 0;

		req->kind = ok ? RPC_INCR : RPC_BAD_NUMBER;
	} else if (cmd_len == 3 && memcmp(s, "GET", 3) == 0 && !space) {
		req->kind = RPC_GET;
	} else {
		req->kind = RPC_UNKNOWN; /* GET with an argument too */
	}
}

void rpc_parse_request(const char *buf, size_t len, struct rpc_request *req)
{
	const char *space;
	size_t seq_len;

	memset(req, 0, sizeof *req);
	req->kind = RPC_MALFORMED;
	if (len == 0 || len > RPC_DATAGRAM_MAX)
		return;
	if (buf[len - 1] == '\n')
		len--; /* one trailing LF is ignored */
	space = memchr(buf, ' ', len);
	seq_len = space ? (size_t)(space - buf) : len;
	req->seq = parse_seq(buf, seq_len);
	if (req->seq == 0 || !is_printable(buf, len))
		return; /* malformed; with its SEQ if that parsed */
	if (space)
		parse_command(space + 1, len - seq_len - 1, req);
	else
		req->kind = RPC_UNKNOWN; /* "SEQ" alone: no command */
}

ssize_t rpc_format_reply(uint32_t seq, const char *result, size_t len, char *out,
			 size_t cap)
{
	char head[sizeof "4294967295 "];
	int n = snprintf(head, sizeof head, "%" PRIu32 " ", seq);

	if (n < 0 || (size_t)n + len > cap) {
		errno = ENOSPC;
		return -1;
	}
	memcpy(out, head, (size_t)n);
	memcpy(out + n, result, len);
	return (ssize_t)((size_t)n + len);
}

ssize_t rpc_answer(const struct rpc_request *req, int64_t *total, char *out, size_t cap)
{
	char number[sizeof "-9223372036854775808"];
	const char *err = NULL;
	int n;

	switch (req->kind) {
	case RPC_ECHO:
		return rpc_format_reply(req->seq, req->text, req->text_len, out, cap);
	case RPC_INCR:
		/* Cannot overflow: each SEQ adds at most 2^31, and SEQs are < 2^32. */
		*total += req->arg;
		/* fall through */
	case RPC_GET:
		n = snprintf(number, sizeof number, "%" PRId64, *total);
		return rpc_format_reply(req->seq, number, (size_t)n, out, cap);
	case RPC_UNKNOWN:
		err = "ERR unknown command";
		break;
	case RPC_BAD_NUMBER:
		err = "ERR bad number";
		break;
	case RPC_MALFORMED:
	default:
		err = "ERR malformed request";
		break;
	}
	return rpc_format_reply(req->seq, err, strlen(err), out, cap);
}
