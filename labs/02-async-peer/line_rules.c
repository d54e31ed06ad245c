/*
 * line_rules.c - the stdin rule and the receive rule declared in line_rules.h.
 */
#include "line_rules.h"

#include <err.h>
#include <errno.h>
#include <string.h>

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

/* Returns the length of the first line of buf, its LF included, or 0 without LF. */
static size_t first_line_len(const char *buf, size_t len)
{
	const char *lf = memchr(buf, '\n', len); /* memchr, not strchr: NULs are data */

	return lf != NULL ? (size_t)(lf - buf) + 1 : 0;
}

size_t chunk_to_send(const char *buf, size_t len, bool at_end)
{
	static bool warned;

	/*
	 * TODO (step 2, "What to send now"): return how many bytes at the start
	 * of buf to send now, as line_rules.h says:
	 * - buf holds a LF: the first line, LF included (first_line_len() finds
	 *   it);
	 * - else, LINE_CHUNK_MAX bytes are there, or stdin has ended (at_end):
	 *   all len of them;
	 * - else 0: the line is not complete, wait for more.
	 */
	(void)buf;
	(void)len;
	(void)at_end;
	(void)first_line_len; /* delete this line once you call it */
	not_implemented(__func__, &warned);
	return 0;
}

size_t chunk_to_print(const char *buf, size_t len, bool mid_line, bool at_end)
{
	static bool warned;

	/*
	 * TODO (step 3, "Holding back a possible exit"): return how many bytes
	 * at the start of buf to print now, as line_rules.h says:
	 * - buf holds a LF: the first line, LF included;
	 * - else, if buf starts a line (!mid_line), the stream goes on
	 *   (!at_end), and its len bytes are the first len bytes of "exit\r"
	 *   (len at most 5; memcmp(3)): 0, the line may still be exit;
	 * - else all len bytes: they cannot be the exit line.
	 */
	(void)buf;
	(void)len;
	(void)mid_line;
	(void)at_end;
	not_implemented(__func__, &warned);
	return 0;
}

bool is_exit_line(const char *line, size_t len)
{
	return (len == 5 && memcmp(line, "exit\n", 5) == 0) ||
	       (len == 6 && memcmp(line, "exit\r\n", 6) == 0);
}
