/*
 * fuzz_rpc_request.c - libFuzzer harness for lab 04's request parser
 * (labs/04-udp-rpc/rpc_request.h), built with the reference's rpc_request.c.
 *
 * The input is one datagram, in a buffer of exactly its size (libFuzzer's), so
 * that reading past it is an AddressSanitizer error. rpc_parse_request() must
 * keep its contract:
 *   - a datagram that is empty or over 1400 bytes is malformed, with seq 0;
 *   - otherwise the seq is the datagram's first word when that is 1..10 digits
 *     without a leading zero and at most 4294967295 (model_seq), else 0: a
 *     seq is never 0, never over 4294967295;
 *   - it is malformed exactly when it has no seq, or a byte outside 0x20..0x7E
 *     (one LF at the end aside);
 *   - the command is the handout's (model_kind): ECHO, INCR with an ARG that is
 *     an optional '-' and 1..10 digits within int32 (else a bad number), GET
 *     alone, anything else unknown;
 *   - ECHO's text is what follows "SEQ ECHO ", inside the datagram;
 *   - an accepted request, written again in its plain form ("SEQ ECHO TEXT",
 *     "SEQ INCR ARG", "SEQ GET"), parses to the same request (round trip);
 * and rpc_answer() fits every reply in RPC_DATAGRAM_MAX bytes, starting with the
 * request's seq, and gives ECHO's text or the 64-bit total (changed by INCR only);
 * it writes nothing past the reply, fills a buffer of exactly the reply's size,
 * and fails with ENOSPC when one byte is missing.
 * A broken rule prints what it is and aborts: libFuzzer saves the input.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rpc_request.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Stops the run with the rule that broke (libFuzzer keeps the input). */
#define CHECK(cond, what)                                                             \
	do {                                                                          \
		if (!(cond)) {                                                        \
			fprintf(stderr, "fuzz_rpc_request: broken rule: %s\n", what); \
			abort();                                                      \
		}                                                                     \
	} while (0)

/* A client's total before the request: over 32 bits, as after many INCRs. */
#define TOTAL_BEFORE ((int64_t)-5000000000)

/* Tells whether the n bytes at s are all printable ASCII, 0x20..0x7E. */
static bool all_printable(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] > 0x7e)
			return false;
	}
	return true;
}

/*
 * The SEQ in the n bytes at s: 1..10 digits, no leading zero, at most
 * 4294967295 (for 10 digits, compared as text); else 0.
 */
static uint32_t model_seq(const char *s, size_t n)
{
	uint32_t value = 0;

	if (n < 1 || n > 10 || s[0] == '0' ||
	    (n == 10 && memcmp(s, "4294967295", 10) > 0))
		return 0;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return 0;
		value = value * 10u + (uint32_t)(s[i] - '0');
	}
	return value;
}

/* Tells whether the n bytes at s are seq in decimal, as "%" PRIu32 writes it. */
static bool is_seq_text(const char *s, size_t n, uint32_t seq)
{
	char want[sizeof "4294967295"];
	int w = snprintf(want, sizeof want, "%" PRIu32, seq);

	return w > 0 && (size_t)w == n && memcmp(s, want, n) == 0;
}

/*
 * Tells whether the n bytes at s are an ARG (an optional '-' and 1..10 digits,
 * leading zeros allowed, within int32) and sets *arg to its value if so.
 */
static bool model_arg(const char *s, size_t n, int32_t *arg)
{
	size_t digits = n > 0 && s[0] == '-' ? n - 1 : n;
	int64_t value = 0;

	if (digits < 1 || digits > 10)
		return false;
	for (size_t i = n - digits; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		value = value * 10 + (s[i] - '0');
	}
	value = digits < n ? -value : value;
	if (value < INT32_MIN || value > INT32_MAX)
		return false;
	*arg = (int32_t)value;
	return true;
}

/*
 * The kind of a request whose SEQ parsed and whose bytes are printable, from
 * the n bytes after "SEQ " (the handout's table); sets *arg for INCR.
 */
static enum rpc_kind model_kind(const char *s, size_t n, int32_t *arg)
{
	const char *space = memchr(s, ' ', n);
	size_t word = space ? (size_t)(space - s) : n;

	if (word == 4 && memcmp(s, "ECHO", 4) == 0)
		return RPC_ECHO;
	if (word == 4 && memcmp(s, "INCR", 4) == 0)
		return space && model_arg(space + 1, n - word - 1, arg) ? RPC_INCR
									: RPC_BAD_NUMBER;
	if (word == 3 && memcmp(s, "GET", 3) == 0 && !space)
		return RPC_GET;
	return RPC_UNKNOWN;
}

/* Checks ECHO's text: what follows "SEQ ECHO " in the len bytes of buf. */
static void check_echo_text(const struct rpc_request *req, const char *buf, size_t len,
			    size_t seq_len)
{
	size_t at = seq_len + sizeof " ECHO " - 1; /* where the text starts, if any */
	size_t want = at <= len ? len - at : 0;

	CHECK(seq_len + 5 <= len && memcmp(buf + seq_len, " ECHO", 5) == 0,
	      "ECHO is the word after the seq");
	CHECK(req->text_len == want, "ECHO's text is everything after \"SEQ ECHO \"");
	if (want > 0)
		CHECK(req->text == buf + at, "ECHO's text points into the datagram");
}

/* Writes req in its plain form to out (cap bytes); returns its length. */
static size_t plain_form(const struct rpc_request *req, char *out, size_t cap)
{
	int n = 0;

	switch (req->kind) {
	case RPC_ECHO:
		n = snprintf(out, cap, "%" PRIu32 " ECHO %.*s", req->seq,
			     (int)req->text_len, req->text ? req->text : "");
		break;
	case RPC_INCR:
		n = snprintf(out, cap, "%" PRIu32 " INCR %" PRId32, req->seq, req->arg);
		break;
	case RPC_GET:
		n = snprintf(out, cap, "%" PRIu32 " GET", req->seq);
		break;
	default:
		break;
	}
	CHECK(n >= 0 && (size_t)n < cap, "the plain form fits the harness's buffer");
	return (size_t)n;
}

/* Parses req's plain form again and checks that it is the same request. */
static void check_round_trip(const struct rpc_request *req)
{
	char buf[RPC_DATAGRAM_MAX + 1];
	char *copy;
	size_t n = plain_form(req, buf, sizeof buf);
	struct rpc_request again;

	copy = malloc(n); /* its own size: reading past it is caught */
	CHECK(copy != NULL, "malloc in the harness");
	memcpy(copy, buf, n);
	rpc_parse_request(copy, n, &again);
	CHECK(again.kind == req->kind && again.seq == req->seq,
	      "an accepted request written again parses to the same kind and seq");
	if (req->kind == RPC_ECHO)
		CHECK(again.text_len == req->text_len &&
			      (req->text_len == 0 ||
			       memcmp(again.text, req->text, req->text_len) == 0),
		      "ECHO's text written again parses to the same text");
	if (req->kind == RPC_INCR)
		CHECK(again.arg == req->arg,
		      "INCR's number written again parses the same");
	free(copy);
}

/*
 * Answers req again into exactly the n bytes its reply (reply) takes, then
 * into one byte less: the first must give the same reply, the second ENOSPC.
 */
static void check_exact_room(const struct rpc_request *req, const char *reply, size_t n)
{
	char *room = malloc(n); /* its own size: writing past it is caught */
	int64_t total = TOTAL_BEFORE;

	CHECK(room != NULL, "malloc in the harness");
	CHECK(rpc_answer(req, &total, room, n) == (ssize_t)n &&
		      memcmp(room, reply, n) == 0,
	      "a reply fits in exactly its own length");
	total = TOTAL_BEFORE;
	errno = 0;
	CHECK(rpc_answer(req, &total, room, n - 1) == -1 && errno == ENOSPC,
	      "a reply one byte too long for cap fails with ENOSPC");
	free(room);
}

/* Checks the reply to req: it fits, starts with "SEQ ", and gives the right result. */
static void check_answer(const struct rpc_request *req)
{
	char out[RPC_DATAGRAM_MAX + 1], want[sizeof "-9223372036854775808"];
	int64_t total = TOTAL_BEFORE;
	ssize_t n;

	memset(out, 0xee, sizeof out);
	n = rpc_answer(req, &total, out, RPC_DATAGRAM_MAX);
	const char *space, *result;
	size_t seq_len, result_len;

	CHECK(n > 0 && (size_t)n <= RPC_DATAGRAM_MAX, "every reply fits in 1400 bytes");
	CHECK((unsigned char)out[n] == 0xee,
	      "rpc_answer() writes only the reply's bytes");
	check_exact_room(req, out, (size_t)n);
	space = memchr(out, ' ', (size_t)n);
	CHECK(space != NULL, "a reply is SEQ, a space, and the result");
	seq_len = (size_t)(space - out);
	CHECK(is_seq_text(out, seq_len, req->seq),
	      "a reply starts with the request's seq");
	result = space + 1;
	result_len = (size_t)n - seq_len - 1;
	CHECK(total == TOTAL_BEFORE + (req->kind == RPC_INCR ? req->arg : 0),
	      "INCR adds its number to the total; nothing else changes it");
	if (req->kind == RPC_ECHO)
		CHECK(result_len == req->text_len &&
			      (result_len == 0 ||
			       memcmp(result, req->text, result_len) == 0),
		      "ECHO's reply is the text");
	if (req->kind == RPC_INCR || req->kind == RPC_GET) {
		snprintf(want, sizeof want, "%" PRId64, total);
		CHECK(result_len == strlen(want) && memcmp(result, want, result_len) == 0,
		      "INCR's and GET's reply is the total in decimal");
	}
}

/* Checks req's seq, kind and ARG against the handout's rules (model_*). */
static void check_kind(const struct rpc_request *req, const char *buf, size_t len)
{
	const char *space = memchr(buf, ' ', len);
	size_t seq_len = space ? (size_t)(space - buf) : len;
	int32_t arg = 0;
	enum rpc_kind want;

	CHECK(req->seq == model_seq(buf, seq_len),
	      "the seq is the first word when that is 1..4294967295 without a leading zero");
	if (req->seq == 0 || !all_printable(buf, len))
		want = RPC_MALFORMED;
	else if (space == NULL)
		want = RPC_UNKNOWN; /* "SEQ" alone */
	else
		want = model_kind(space + 1, len - seq_len - 1, &arg);
	CHECK(req->kind != RPC_MALFORMED || want == RPC_MALFORMED,
	      "malformed is only a datagram without SEQ or with a byte outside 0x20..0x7E");
	CHECK(req->kind == want, "the kind is the handout's for the request");
	CHECK(want != RPC_INCR || req->arg == arg, "INCR's number is its ARG");
	if (want == RPC_ECHO)
		check_echo_text(req, buf, len, seq_len);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *buf = (const char *)data;
	struct rpc_request req;

	rpc_parse_request(buf, size, &req);
	if (size == 0 || size > RPC_DATAGRAM_MAX)
		CHECK(req.kind == RPC_MALFORMED && req.seq == 0,
		      "an empty datagram, or one over 1400 bytes, is malformed without seq");
	else /* one LF at the end is not part of the request */
		check_kind(&req, buf, buf[size - 1] == '\n' ? size - 1 : size);
	if (req.kind == RPC_ECHO || req.kind == RPC_INCR || req.kind == RPC_GET)
		check_round_trip(&req);
	check_answer(&req);
	return 0;
}
