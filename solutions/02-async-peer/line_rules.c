/*
 * line_rules.c - the stdin rule and the receive rule declared in line_rules.h.
 */
#include "line_rules.h"

#include <string.h>

/* Returns the length of the first line of buf, its LF included, or 0 without LF. */
static size_t first_line_len(const char *buf, size_t len)
{
	const char *lf = memchr(buf, '\n', len); /* memchr, not strchr: NULs are data */

	return lf != NULL ? (size_t)(lf - buf) + 1 : 0;
}

size_t chunk_to_send(const char *buf, size_t len, bool at_end)
{
	size_t line = first_line_len(buf, len);

	if (line > 0)
		return line;
	if (len >= LINE_CHUNK_MAX || at_end)
		return len; /* no LF will come in time: send what there is */
	return 0;
}

size_t chunk_to_print(const char *buf, size_t len, bool mid_line, bool at_end)
{
	static const char exit_start[] = "exit\r"; /* "exit\r\n" before its LF */
	size_t line = first_line_len(buf, len);

	if (line > 0)
		return line;
	if (!mid_line && !at_end && len < sizeof exit_start &&
	    memcmp(buf, exit_start, len) == 0)
		return 0; /* "e", "ex", ... : wait for the byte that decides */
	return len;
}

bool is_exit_line(const char *line, size_t len)
{
	return (len == 5 && memcmp(line, "exit\n", 5) == 0) ||
	       (len == 6 && memcmp(line, "exit\r\n", 6) == 0);
}
