/*
 * fuzz_request_line.c - libFuzzer harness for lab 05's request line
 * (labs/05-unix-socket/request.h), built with the reference's request.c.
 *
 * The input is one line as the server's line reader hands it over (any bytes,
 * NULs too, with or without its LF), in a buffer of exactly its size
 * (libFuzzer's), so that reading past it is an AddressSanitizer error.
 * request_parse() must keep its contract:
 *   - it returns the kind it stores in req->kind, one of the five;
 *   - the kind is the one the handout's table gives for the line without its
 *     LF and one CR before it (model_kind: exact, case-sensitive words);
 *   - ECHO's and WRITEFD's text lies inside the line and is what follows the
 *     word and its space; the other kinds have an empty text;
 *   - a line it accepts round-trips: written again as "WORD TEXT\r\n" (or
 *     "WORD\n") it parses to the same kind and text.
 * A broken rule prints what it is and aborts: libFuzzer saves the input.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "request.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Stops the run with the rule that broke (libFuzzer keeps the input). */
#define CHECK(cond, what)                                                              \
	do {                                                                           \
		if (!(cond)) {                                                         \
			fprintf(stderr, "fuzz_request_line: broken rule: %s\n", what); \
			abort();                                                       \
		}                                                                      \
	} while (0)

/* The words of the commands, by kind. */
static const char *const words[] = {
	[REQUEST_WHOAMI] = "WHOAMI",
	[REQUEST_ECHO] = "ECHO",
	[REQUEST_QUIT] = "QUIT",
	[REQUEST_WRITEFD] = "WRITEFD",
};

/* Tells whether kind is a command that carries a text. */
static bool has_text(enum request_kind kind)
{
	return kind == REQUEST_ECHO || kind == REQUEST_WRITEFD;
}

/* Tells whether the n bytes at s are word, or word, a space and a text when with_text. */
static bool starts_command(const char *s, size_t n, const char *word, bool with_text)
{
	size_t w = strlen(word);

	if (n < w || memcmp(s, word, w) != 0)
		return false;
	return n == w || (with_text && s[w] == ' ');
}

/* The kind of the n bytes at s (the line without its end), from the handout's table. */
static enum request_kind model_kind(const char *s, size_t n)
{
	for (int k = REQUEST_WHOAMI; k <= REQUEST_WRITEFD; k++) {
		if (starts_command(s, n, words[k], has_text((enum request_kind)k)))
			return (enum request_kind)k;
	}
	return REQUEST_UNKNOWN;
}

/* Checks the text of req (ECHO or WRITEFD): what follows "WORD " in the len bytes of line. */
static void check_text(const struct request *req, const char *line, size_t len)
{
	size_t at = strlen(words[req->kind]) + 1; /* where the text starts, if any */
	size_t want = at <= len ? len - at : 0;

	CHECK(req->text_len == want, "the text is everything after the word's space");
	if (want > 0)
		CHECK(req->text == line + at, "the text points into the line");
}

/* Writes req again as a line, parses that, and checks it is the same request. */
static void check_round_trip(const struct request *req)
{
	size_t w = strlen(words[req->kind]);
	size_t n = has_text(req->kind) ? w + 1 + req->text_len + 2 : w + 1;
	char *line = malloc(n); /* its own size: reading past it is caught */
	struct request again;

	CHECK(line != NULL, "malloc in the harness");
	memcpy(line, words[req->kind], w);
	if (has_text(req->kind)) {
		line[w] = ' ';
		if (req->text_len > 0)
			memcpy(line + w + 1, req->text, req->text_len);
		memcpy(line + n - 2, "\r\n", 2);
	} else {
		line[w] = '\n';
	}
	CHECK(request_parse(line, n, &again) == req->kind,
	      "an accepted line written again parses to the same kind");
	CHECK(again.text_len == req->text_len &&
		      (req->text_len == 0 ||
		       memcmp(again.text, req->text, req->text_len) == 0),
	      "an accepted line written again parses to the same text");
	free(line);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *line = (const char *)data;
	size_t len = size;
	struct request req;
	enum request_kind kind;

	if (len > 0 && line[len - 1] == '\n')
		len--;
	if (len > 0 && line[len - 1] == '\r')
		len--; /* as the reference: also when the line has no LF (see README) */
	memset(&req, 0xa5, sizeof req); /* junk: the parser must set every field */
	kind = request_parse(line, size, &req);
	CHECK(kind == req.kind, "request_parse() returns req->kind");
	CHECK(kind >= REQUEST_UNKNOWN && kind <= REQUEST_WRITEFD,
	      "the kind is one of five");
	CHECK(kind == model_kind(line, len), "the kind is the handout's for the line");
	if (!has_text(kind)) {
		CHECK(req.text_len == 0, "only ECHO and WRITEFD have a text");
		if (kind != REQUEST_UNKNOWN)
			check_round_trip(&req);
		return 0;
	}
	check_text(&req, line, len);
	check_round_trip(&req);
	return 0;
}
