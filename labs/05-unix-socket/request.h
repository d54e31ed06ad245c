/*
 * request.h - the request lines of the local service.
 *
 * A request is one line. Its LF, and one CR just before the LF, are not part
 * of it. Commands are case-sensitive:
 *   WHOAMI            the credentials of the connecting process
 *   ECHO text         text back ("ECHO" and "ECHO " give an empty text)
 *   QUIT              "bye", then the server closes the connection
 *   WRITEFD text      (bonus) text and a LF written to the descriptor that
 *                     came with the line ("WRITEFD" alone: an empty text)
 * Anything else, an empty line included, is unknown.
 */
#ifndef REQUEST_H
#define REQUEST_H

#include <stddef.h>

enum request_kind {
	REQUEST_UNKNOWN,
	REQUEST_WHOAMI,
	REQUEST_ECHO,
	REQUEST_QUIT,
	REQUEST_WRITEFD,
};

struct request {
	enum request_kind kind;
	const char *text; /* ECHO and WRITEFD: the text, inside the line given */
	size_t text_len;  /* its length in bytes (0 for the other commands) */
};

/*
 * Parses the len bytes of line (which may end with LF or CR LF, or with
 * neither; they need not be NUL-terminated and may hold NUL bytes) into *req,
 * and returns req->kind. req->text points into line: it is valid as long as
 * line is. Never fails: what is not a command is REQUEST_UNKNOWN.
 */
enum request_kind request_parse(const char *line, size_t len, struct request *req);

#endif /* REQUEST_H */
