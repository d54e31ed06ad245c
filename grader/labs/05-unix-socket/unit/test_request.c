/*
 * test_request.c - unit tests of request_parse() (request.h), lab 05.
 *
 * Run them all with `make check`, or list them and run one:
 *   ./build/unit-tests --list
 *   ./build/unit-tests --filter 'request/parses_echo_with_text'
 * This file is a copy of the grader's: editing it does not change your grade.
 */
#include <criterion/criterion.h>

#include <string.h>

#include "request.h"

TestSuite(request, .timeout = 2);

static const char *kind_name(enum request_kind kind)
{
	switch (kind) {
	case REQUEST_WHOAMI:
		return "REQUEST_WHOAMI";
	case REQUEST_ECHO:
		return "REQUEST_ECHO";
	case REQUEST_QUIT:
		return "REQUEST_QUIT";
	case REQUEST_WRITEFD:
		return "REQUEST_WRITEFD";
	case REQUEST_UNKNOWN:
		return "REQUEST_UNKNOWN";
	}
	return "(not a request_kind)";
}

/*
 * Parses the len bytes of line (a copy in a buffer of its own, so that a
 * parser reading past len reads junk, not a NUL) and checks the kind, the
 * returned value and, for want_text != NULL, the text.
 */
static void expect_parse(const char *line, size_t len, enum request_kind want,
			 const char *want_text)
{
	char buf[256];
	struct request req;
	enum request_kind got;

	memset(buf, '#', sizeof buf);
	memcpy(buf, line, len);
	memset(&req, 0, sizeof req);
	got = request_parse(buf, len, &req);
	cr_expect_eq(req.kind, want, "request_parse(\"%.*s\") should set kind %s, set %s",
		     (int)len, line, kind_name(want), kind_name(req.kind));
	cr_expect_eq(got, req.kind,
		     "request_parse(\"%.*s\") should return req->kind (%s), "
		     "returned %s",
		     (int)len, line, kind_name(req.kind), kind_name(got));
	if (want_text == NULL || req.kind != want)
		return;
	cr_expect(
		req.text_len == strlen(want_text) && req.text != NULL &&
			memcmp(req.text, want_text, req.text_len) == 0,
		"request_parse(\"%.*s\"): the text should be \"%s\" (%zu bytes), is \"%.*s\" "
		"(%zu bytes)",
		(int)len, line, want_text, strlen(want_text),
		req.text ? (int)req.text_len : 0, req.text ? req.text : "", req.text_len);
	cr_expect(req.text == NULL || (req.text >= buf && req.text <= buf + len),
		  "req->text should point into the line given");
}

#define PARSE(s, want, text) expect_parse(s, sizeof(s) - 1, want, text)

Test(request, parses_whoami_and_quit)
{
	PARSE("WHOAMI\n", REQUEST_WHOAMI, NULL);
	PARSE("QUIT\n", REQUEST_QUIT, NULL);
}

Test(request, parses_echo_with_text)
{
	PARSE("ECHO some text\n", REQUEST_ECHO, "some text");
	PARSE("ECHO  two spaces \n", REQUEST_ECHO, " two spaces ");
	PARSE("ECHO ECHO\n", REQUEST_ECHO, "ECHO");
}

Test(request, echo_without_text_is_empty)
{
	PARSE("ECHO\n", REQUEST_ECHO, "");
	PARSE("ECHO \n", REQUEST_ECHO, "");
}

Test(request, removes_lf_and_one_cr)
{
	PARSE("WHOAMI\r\n", REQUEST_WHOAMI, NULL);
	PARSE("QUIT\r\n", REQUEST_QUIT, NULL);
	PARSE("ECHO hi\r\n", REQUEST_ECHO, "hi");
	PARSE("ECHO hi\r\r\n", REQUEST_ECHO, "hi\r"); /* one CR only */
}

Test(request, parses_line_without_lf)
{
	PARSE("QUIT", REQUEST_QUIT, NULL);
	PARSE("ECHO last", REQUEST_ECHO, "last");
}

Test(request, commands_are_exact_and_case_sensitive)
{
	PARSE("whoami\n", REQUEST_UNKNOWN, NULL);
	PARSE("Quit\n", REQUEST_UNKNOWN, NULL);
	PARSE("echo hi\n", REQUEST_UNKNOWN, NULL);
	PARSE("ECHOX hi\n", REQUEST_UNKNOWN, NULL);
	PARSE("WHOAMI now\n", REQUEST_UNKNOWN, NULL);
	PARSE("QUIT \n", REQUEST_UNKNOWN, NULL);
	PARSE(" QUIT\n", REQUEST_UNKNOWN, NULL);
	PARSE("WHO\n", REQUEST_UNKNOWN, NULL);
}

Test(request, empty_line_is_unknown)
{
	PARSE("\n", REQUEST_UNKNOWN, NULL);
	PARSE("\r\n", REQUEST_UNKNOWN, NULL);
	PARSE("", REQUEST_UNKNOWN, NULL);
}

Test(request, parses_writefd_text)
{
	PARSE("WRITEFD into the pipe\n", REQUEST_WRITEFD, "into the pipe");
	PARSE("WRITEFD\n", REQUEST_WRITEFD, "");
	PARSE("writefd x\n", REQUEST_UNKNOWN, NULL);
}
