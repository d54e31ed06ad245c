/*
 * request.c - request_parse(), declared in request.h.
 */
#include "request.h"

#include <err.h>
#include <stdbool.h>
#include <string.h>

/*
 * Tells whether the n bytes at s are word followed by a space or by nothing,
 * and sets *text and *text_len to what follows that space (empty if none).
 */
static bool command_with_text(const char *s, size_t n, const char *word,
			      const char **text, size_t *text_len)
{
	/*
	 * TODO (step 2, "Request lines"): return true when the n bytes at s are
	 * word alone, or word, one space and a text; then set *text to the first
	 * byte after that space (or to s + n when there is none) and *text_len to
	 * the text's length. "ECHOX" is not "ECHO": after word comes a space or
	 * nothing. The bytes are not NUL-terminated: compare with memcmp(3).
	 */
	(void)s;
	(void)n;
	(void)word;
	(void)text;
	(void)text_len;
	return false;
}

/* Tells whether the n bytes at s are exactly word. */
static bool command_alone(const char *s, size_t n, const char *word)
{
	/*
	 * TODO (step 2, "Request lines"): return true when the n bytes at s are
	 * exactly word (same length, same bytes: see memcmp(3)).
	 */
	(void)s;
	(void)n;
	(void)word;
	return false;
}

enum request_kind request_parse(const char *line, size_t len, struct request *req)
{
	static bool warned;

	/*
	 * TODO (step 2, "Request lines"): parse the line as request.h says. Drop
	 * its LF, then one CR before it. Then: WHOAMI and QUIT must be the whole
	 * line (command_alone()); ECHO and WRITEFD may be followed by a space and
	 * a text (command_with_text()), which req->text and req->text_len then
	 * hold. Anything else is REQUEST_UNKNOWN, with an empty text. Set
	 * req->kind and return it.
	 */
	(void)command_alone; /* remove these two lines once you call them */
	(void)command_with_text;
	if (!warned)
		warnx("request_parse() is not implemented yet");
	warned = true;
	(void)len;
	req->kind = REQUEST_UNKNOWN;
	req->text = line;
	req->text_len = 0;
	return req->kind;
}
