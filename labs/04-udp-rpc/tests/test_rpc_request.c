/*
 * test_rpc_request.c - unit tests of the request parser and the replies
 * (rpc_request.h), lab 04.
 *
 * These functions do no I/O: each test hands them datagrams it makes up and
 * checks the struct or the reply bytes they give back.
 *
 * Run them all with `make check`, or list them and run one:
 *   ./build/unit-tests --list
 *   ./build/unit-tests --filter 'parse/seq_bounds'
 * This file is a copy of the grader's: editing it does not change your grade.
 */
#include <criterion/criterion.h>

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rpc_request.h"

TestSuite(parse, .timeout = 2);
TestSuite(answer, .timeout = 2);
TestSuite(format, .timeout = 2);

/*
 * Helpers
 */

static const char *kind_name(enum rpc_kind kind)
{
	switch (kind) {
	case RPC_MALFORMED:
		return "RPC_MALFORMED";
	case RPC_ECHO:
		return "RPC_ECHO";
	case RPC_INCR:
		return "RPC_INCR";
	case RPC_GET:
		return "RPC_GET";
	case RPC_UNKNOWN:
		return "RPC_UNKNOWN";
	case RPC_BAD_NUMBER:
		return "RPC_BAD_NUMBER";
	}
	return "(not a kind)";
}

/*
 * Shows the n bytes of s for a message in one of four static buffers: bytes
 * outside letters, digits, space and plain punctuation as <0xNN> (quotes and
 * backslashes too: report formats copy messages without escaping them); at
 * most 60 bytes shown.
 */
static const char *show(const char *s, size_t n)
{
	static char bufs[4][60 * 6 + 16];
	static int next;
	char *out = bufs[next++ % 4];
	size_t o = 0;

	for (size_t i = 0; i < n && i < 60; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\' && c != '\'')
			out[o++] = (char)c;
		else
			o += (size_t)sprintf(out + o, "<0x%02x>", c);
	}
	if (n > 60)
		o += (size_t)sprintf(out + o, "...(%zu bytes)", n);
	out[o] = '\0';
	return out;
}

/*
 * Parses the len bytes of datagram into a request, and checks its kind and
 * seq. The datagram is copied into a buffer of exactly len bytes, so that
 * reading past its end shows under Valgrind or ASan.
 */
static struct rpc_request parse_bytes(const char *datagram, size_t len,
				      enum rpc_kind kind, uint32_t seq)
{
	struct rpc_request req;
	char *copy = malloc(len ? len : 1);

	cr_assert_not_null(copy, "test setup: malloc failed");
	memcpy(copy, datagram, len);
	memset(&req, 0x5a, sizeof req);
	rpc_parse_request(copy, len, &req);
	cr_expect_eq(req.kind, kind, "datagram [%s]: kind %s expected, got %s",
		     show(datagram, len), kind_name(kind), kind_name(req.kind));
	cr_expect_eq(req.seq, seq, "datagram [%s]: seq %lu expected, got %lu",
		     show(datagram, len), (unsigned long)seq, (unsigned long)req.seq);
	if (req.kind == RPC_ECHO) { /* point the text into the caller's bytes */
		cr_assert(req.text >= copy && req.text + req.text_len <= copy + len,
			  "datagram [%s]: text does not point inside the datagram",
			  show(datagram, len));
		req.text = datagram + (req.text - copy);
	}
	free(copy);
	return req;
}

/* parse_bytes() for a datagram written as a C string. */
static struct rpc_request parse(const char *datagram, enum rpc_kind kind, uint32_t seq)
{
	return parse_bytes(datagram, strlen(datagram), kind, seq);
}

static void expect_text(const struct rpc_request *req, const char *datagram,
			const char *text)
{
	size_t n = strlen(text);

	cr_expect(req->text_len == n && memcmp(req->text, text, n) == 0,
		  "datagram [%s]: ECHO text [%s] expected, got [%s]",
		  show(datagram, strlen(datagram)), show(text, n),
		  show(req->text, req->text_len));
}

static void expect_arg(const char *datagram, int32_t arg)
{
	struct rpc_request req = parse(datagram, RPC_INCR, 8);

	cr_expect_eq(req.arg, arg, "datagram [%s]: ARG %ld expected, got %ld",
		     show(datagram, strlen(datagram)), (long)arg, (long)req.arg);
}

/*
 * Parses request, answers it on *total, and checks the reply's bytes.
 */
static void expect_answer(const char *request, int64_t *total, const char *reply)
{
	struct rpc_request req;
	char out[RPC_DATAGRAM_MAX + 8];
	ssize_t n;

	memset(out, '#', sizeof out);
	rpc_parse_request(request, strlen(request), &req);
	n = rpc_answer(&req, total, out, RPC_DATAGRAM_MAX);
	cr_assert(n >= 0, "request [%s]: rpc_answer() returned %zd",
		  show(request, strlen(request)), n);
	cr_expect((size_t)n == strlen(reply) && memcmp(out, reply, (size_t)n) == 0,
		  "request [%s]: reply [%s] expected, got [%s]",
		  show(request, strlen(request)), show(reply, strlen(reply)),
		  show(out, (size_t)n));
	cr_expect_eq(out[n], '#', "request [%s]: a byte written after the reply (a NUL?)",
		     show(request, strlen(request)));
}

/*
 * parse: one row of the contract's table each, and the edges of each rule
 */

Test(parse, echo_with_text)
{
	struct rpc_request req = parse("7 ECHO hi there", RPC_ECHO, 7);

	expect_text(&req, "7 ECHO hi there", "hi there");
}

Test(parse, echo_without_text)
{
	struct rpc_request a = parse("7 ECHO", RPC_ECHO, 7);
	struct rpc_request b = parse("7 ECHO ", RPC_ECHO, 7);

	cr_expect_eq(a.text_len, 0, "datagram [7 ECHO]: empty text expected");
	cr_expect_eq(b.text_len, 0, "datagram [7 ECHO ]: empty text expected");
}

Test(parse, echo_keeps_every_space_of_its_text)
{
	struct rpc_request req = parse("7 ECHO  two  spaces ", RPC_ECHO, 7);

	expect_text(&req, "7 ECHO  two  spaces ", " two  spaces ");
}

Test(parse, incr_with_a_number)
{
	expect_arg("8 INCR -5", -5);
	expect_arg("8 INCR 42", 42);
	expect_arg("8 INCR 0", 0);
	expect_arg("8 INCR -0", 0);
	expect_arg("8 INCR 0000000007", 7); /* 10 digits, leading zeros allowed */
}

Test(parse, incr_argument_within_int32)
{
	expect_arg("8 INCR 2147483647", INT32_MAX);
	expect_arg("8 INCR -2147483648", INT32_MIN);
	parse("8 INCR 2147483648", RPC_BAD_NUMBER, 8);
	parse("8 INCR -2147483649", RPC_BAD_NUMBER, 8);
	parse("8 INCR 9999999999", RPC_BAD_NUMBER, 8);
	parse("8 INCR 12345678901", RPC_BAD_NUMBER, 8); /* 11 digits */
	parse("8 INCR 00000000007", RPC_BAD_NUMBER, 8);
}

Test(parse, incr_bad_number)
{
	parse("11 INCR x", RPC_BAD_NUMBER, 11);
	parse("11 INCR", RPC_BAD_NUMBER, 11);
	parse("11 INCR ", RPC_BAD_NUMBER, 11);
	parse("11 INCR -", RPC_BAD_NUMBER, 11);
	parse("11 INCR +5", RPC_BAD_NUMBER, 11);
	parse("11 INCR 5x", RPC_BAD_NUMBER, 11);
	parse("11 INCR  5", RPC_BAD_NUMBER, 11);
	parse("11 INCR --5", RPC_BAD_NUMBER, 11);
}

Test(parse, incr_rejects_trailing_garbage)
{
	parse("11 INCR 5 6", RPC_BAD_NUMBER, 11);
	parse("11 INCR 5 ", RPC_BAD_NUMBER, 11);
}

Test(parse, get)
{
	parse("9 GET", RPC_GET, 9);
}

Test(parse, unknown_command)
{
	parse("10 FOO", RPC_UNKNOWN, 10);
	parse("10 get", RPC_UNKNOWN, 10); /* commands are case-sensitive */
	parse("10 ECHOX hi", RPC_UNKNOWN, 10);
	parse("10 GETX", RPC_UNKNOWN, 10);
	parse("10 INC 5", RPC_UNKNOWN, 10);
}

Test(parse, get_with_an_argument_is_unknown)
{
	parse("10 GET 1", RPC_UNKNOWN, 10);
	parse("10 GET ", RPC_UNKNOWN, 10);
}

Test(parse, seq_bounds)
{
	parse("1 GET", RPC_GET, 1);
	parse("4294967295 GET", RPC_GET, 4294967295u);
	parse("4294967296 GET", RPC_MALFORMED, 0);
	parse("9999999999 GET", RPC_MALFORMED, 0);
	parse("10000000000 GET", RPC_MALFORMED, 0); /* 11 digits */
	parse("0 GET", RPC_MALFORMED, 0);
}

Test(parse, seq_without_sign_or_leading_zero)
{
	parse("07 GET", RPC_MALFORMED, 0);
	parse("00 GET", RPC_MALFORMED, 0);
	parse("-7 GET", RPC_MALFORMED, 0);
	parse("+7 GET", RPC_MALFORMED, 0);
	parse("7x GET", RPC_MALFORMED, 0);
	parse(" 7 GET", RPC_MALFORMED, 0);
}

Test(parse, garbage_is_malformed_without_seq)
{
	parse("garbage", RPC_MALFORMED, 0);
	parse("GET", RPC_MALFORMED, 0);
	parse_bytes("", 0, RPC_MALFORMED, 0);
	parse_bytes("\xff\xfe 7 GET", 9, RPC_MALFORMED, 0);
}

Test(parse, unprintable_byte_after_seq_is_malformed_with_seq)
{
	parse("12 ECHO a\tb", RPC_MALFORMED, 12);
	parse("12 ECHO a\rb", RPC_MALFORMED, 12);
	parse("12 ECHO \x7f", RPC_MALFORMED, 12);
	parse("12 ECHO caf\xc3\xa9", RPC_MALFORMED, 12);
	parse_bytes("12 ECHO a\0b", 11, RPC_MALFORMED, 12); /* a NUL is a byte too */
	parse("12 GET\r\n", RPC_MALFORMED, 12);
}

Test(parse, one_trailing_lf_is_ignored)
{
	struct rpc_request req = parse("7 ECHO hi\n", RPC_ECHO, 7);

	expect_text(&req, "7 ECHO hi\n", "hi");
	parse("9 GET\n", RPC_GET, 9);
	parse("8 INCR 5\n", RPC_INCR, 8);
	parse("7 ECHO hi\n\n", RPC_MALFORMED, 7); /* only one */
}

Test(parse, reads_only_len_bytes)
{
	/* The bytes after len are there, but not part of the datagram: a parser that
	   takes the datagram for a C string (strlen, strchr, sscanf) reads them. */
	struct rpc_request req;

	rpc_parse_request("9 GETX", 5, &req);
	cr_expect(req.kind == RPC_GET && req.seq == 9,
		  "[9 GETX] with len 5 is [9 GET]: kind %s expected, got %s",
		  kind_name(RPC_GET), kind_name(req.kind));
	rpc_parse_request("8 INCR 12", 8, &req);
	cr_expect(
		req.kind == RPC_INCR && req.arg == 1,
		"[8 INCR 12] with len 8 is [8 INCR 1]: ARG 1 expected, got %s with ARG %ld",
		kind_name(req.kind), (long)req.arg);
	rpc_parse_request("7 ECHO hello", 9, &req);
	cr_expect(
		req.kind == RPC_ECHO && req.text_len == 2,
		"[7 ECHO hello] with len 9 is [7 ECHO he]: text of 2 bytes expected, got %s "
		"with %zu bytes",
		kind_name(req.kind), req.text_len);
}

Test(parse, datagram_of_1400_bytes_is_a_request)
{
	char buf[RPC_DATAGRAM_MAX];
	struct rpc_request req;

	memset(buf, 'a', sizeof buf);
	memcpy(buf, "7 ECHO ", 7);
	req = parse_bytes(buf, sizeof buf, RPC_ECHO, 7);
	cr_expect_eq(req.text_len, RPC_DATAGRAM_MAX - 7,
		     "text of %d bytes expected, got %zu", RPC_DATAGRAM_MAX - 7,
		     req.text_len);
}

Test(parse, datagram_over_1400_bytes_is_malformed)
{
	char buf[RPC_DATAGRAM_MAX + 100];

	memset(buf, 'a', sizeof buf);
	memcpy(buf, "7 ECHO ", 7);
	parse_bytes(buf, RPC_DATAGRAM_MAX + 1, RPC_MALFORMED, 0);
	parse_bytes(buf, sizeof buf, RPC_MALFORMED, 0);
	buf[RPC_DATAGRAM_MAX] = '\n'; /* 1401 bytes with the LF: still too long */
	parse_bytes(buf, RPC_DATAGRAM_MAX + 1, RPC_MALFORMED, 0);
}

/*
 * answer: executing a request on a total, and its reply
 */

Test(answer, echo_gives_the_text_back)
{
	int64_t total = 0;

	expect_answer("7 ECHO hi there", &total, "7 hi there");
	expect_answer("7 ECHO", &total, "7 ");
	expect_answer("7 ECHO ", &total, "7 ");
	cr_expect_eq(total, 0, "ECHO changed the total to %lld", (long long)total);
}

Test(answer, incr_adds_and_returns_the_new_total)
{
	int64_t total = 42;

	expect_answer("8 INCR -5", &total, "8 37");
	cr_expect_eq(total, 37, "total 37 expected, got %lld", (long long)total);
	expect_answer("9 INCR 5", &total, "9 42");
	total = 0;
	expect_answer("10 INCR -7", &total, "10 -7"); /* a signed total */
}

Test(answer, get_returns_the_total_unchanged)
{
	int64_t total = 37;

	expect_answer("9 GET", &total, "9 37");
	cr_expect_eq(total, 37, "GET changed the total to %lld", (long long)total);
	total = -12;
	expect_answer("9 GET", &total, "9 -12");
}

Test(answer, total_is_64_bit)
{
	int64_t total = 0;

	expect_answer("1 INCR 2147483647", &total, "1 2147483647");
	expect_answer("2 INCR 2147483647", &total, "2 4294967294");
	expect_answer("3 INCR 2147483647", &total, "3 6442450941");
	total = INT64_MAX - 1;
	expect_answer("4 INCR 1", &total, "4 9223372036854775807");
	total = INT64_MIN + 5;
	expect_answer("5 INCR -5", &total, "5 -9223372036854775808");
}

Test(answer, errors_leave_the_total_alone)
{
	int64_t total = 37;

	expect_answer("10 FOO", &total, "10 ERR unknown command");
	expect_answer("10 GET 1", &total, "10 ERR unknown command");
	expect_answer("11 INCR x", &total, "11 ERR bad number");
	expect_answer("11 INCR", &total, "11 ERR bad number");
	expect_answer("11 INCR 2147483648", &total, "11 ERR bad number");
	expect_answer("12 ECHO a\tb", &total, "12 ERR malformed request");
	expect_answer("garbage", &total, "0 ERR malformed request");
	expect_answer("", &total, "0 ERR malformed request");
	cr_expect_eq(total, 37, "an error changed the total to %lld", (long long)total);
}

Test(answer, largest_seq_and_echo_fit_in_1400_bytes)
{
	char request[RPC_DATAGRAM_MAX + 1];
	char expected[RPC_DATAGRAM_MAX + 1];
	int64_t total = 0;
	size_t text = RPC_DATAGRAM_MAX - strlen("4294967295 ECHO ");

	snprintf(request, sizeof request, "4294967295 ECHO %0*d", (int)text, 0);
	snprintf(expected, sizeof expected, "4294967295 %0*d", (int)text, 0);
	expect_answer(request, &total, expected);
}

/*
 * format: rpc_format_reply()
 */

Test(format, writes_seq_space_result)
{
	char out[32];
	ssize_t n;

	memset(out, '#', sizeof out);
	n = rpc_format_reply(4294967295u, "ok", 2, out, sizeof out);
	cr_assert_eq(n, 13, "length 13 expected, got %zd", n);
	cr_expect(memcmp(out, "4294967295 ok", 13) == 0,
		  "[4294967295 ok] expected, got [%s]", show(out, 13));
	cr_expect_eq(out[13], '#', "a byte written after the reply (a NUL?)");
	n = rpc_format_reply(1, "", 0, out, sizeof out);
	cr_expect(n == 2 && memcmp(out, "1 ", 2) == 0, "[1 ] expected, got [%s]",
		  show(out, n < 0 ? 0 : (size_t)n));
}

Test(format, copies_result_bytes_whatever_they_are)
{
	char out[16];
	ssize_t n = rpc_format_reply(5, "a\0b", 3, out, sizeof out);

	cr_expect(n == 5 && memcmp(out, "5 a\0b", 5) == 0,
		  "[5 a<0x00>b] expected, got [%s]", show(out, n < 0 ? 0 : (size_t)n));
}

Test(format, fails_with_enospc_when_it_does_not_fit)
{
	char out[16];
	ssize_t n;

	memset(out, '#', sizeof out);
	n = rpc_format_reply(7, "abcd", 4, out, 6); /* "7 abcd" is exactly 6 */
	cr_expect_eq(n, 6, "6 bytes fit in 6: length 6 expected, got %zd", n);
	errno = 0;
	n = rpc_format_reply(7, "abcde", 5, out, 6);
	cr_expect(n == -1 && errno == ENOSPC,
		  "-1 with ENOSPC expected, got %zd (errno %d)", n, errno);
	cr_expect_eq(out[6], '#', "a byte was written past cap");
}
