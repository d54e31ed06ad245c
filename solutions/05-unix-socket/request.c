/*
 * request.c - request_parse(), declared in request.h.
 */
#include "request.h"

#include <stdbool.h>
#include <string.h>

/*
 * Tells whether the n bytes at s are word followed by a space or by nothing,
 * and sets *text and *text_len to what follows that space (empty if none).
 */
static bool command_with_text(const char *s, size_t n, const char *word,
			      const char **text, size_t *text_len)
{
	size_t w = strlen(word);

	if (n < w || memcmp(s, word, w) != 0)
		return false;
	if (n > w && s[w] != ' ')
		return false; /* "ECHOX": another word */
	*text = n > w ? s + w + 1 : s + n;
	*text_len = n > w ? n - w - 1 : 0;
	return true;
}

/* Tells whether the n bytes at s are exactly word. */
static bool command_alone(const char *s, size_t n, const char *word)
{
	return n == strlen(word) && memcmp(s, word, n) == 0;
}

enum request_kind request_parse(const char *line, size_t len, struct request *req)
{
	if (len > 0 && line[len - 1] == '\n')
		len--;
	if (len > 0 && line[len - 1] == '\r')
		len--; /* one CR before the LF, as telnet and nc -C send */
	req->text = line + len;
	req->text_len = 0;
	if (command_alone(line, len, "WHOAMI"))
		req->kind = REQUEST_WHOAMI;
	else if (command_alone(line, len, "QUIT"))
		req->kind = REQUEST_QUIT;
	else if (command_with_text(line, len, "ECHO", &req->text, &req->text_len))
		req->kind = REQUEST_ECHO;
	else if (command_with_text(line, len, "WRITEFD", &req->text, &req->text_len))
		req->kind = REQUEST_WRITEFD;
	else
		req->kind = REQUEST_UNKNOWN;
	return req->kind;
}
