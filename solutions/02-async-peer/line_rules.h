/*
 * line_rules.h - when bytes read on one side may go on to the other side.
 *
 * The peer reads stdin and the socket in pieces of any size. Before a piece
 * goes on, two rules decide how much of it may go now:
 * - stdin to the socket: complete lines at once, one at a time, so that the line
 *   "exit" can be told apart; a line without LF only when LINE_CHUNK_MAX of its
 *   bytes are there, or at the end of stdin;
 * - the socket to stdout: everything at once, except the start of a line while
 *   it may still turn out to be the line "exit", which is not printed.
 * Both are pure functions of the bytes held: no I/O, easy to test.
 */
#ifndef LINE_RULES_H
#define LINE_RULES_H

#include <stdbool.h>
#include <stddef.h>

#define LINE_CHUNK_MAX 4096 /* stdin bytes without LF that are sent anyway */

/*
 * The stdin rule. buf holds the len bytes read from stdin and not sent yet
 * (len <= LINE_CHUNK_MAX); at_end tells whether stdin has ended. Returns how many
 * bytes at the start of buf to send now:
 * - buf holds a LF: the first line, up to and with its first LF;
 * - else, len == LINE_CHUNK_MAX: all of them, a chunk of a long line;
 * - else, at_end: all of them, a last line without LF (0 if len is 0);
 * - else 0: wait for more bytes.
 * A NUL byte is a byte like any other.
 */
size_t chunk_to_send(const char *buf, size_t len, bool at_end);

/*
 * The receive rule. buf holds the len bytes received and not printed yet;
 * mid_line tells whether the bytes before them, already printed, did not end
 * with a LF (so buf does not start a line); at_end tells whether the other side
 * has ended its stream. Returns how many bytes at the start of buf to print now:
 * - !mid_line, !at_end, buf holds no LF and its bytes are the start of "exit\r"
 *   ("e", "ex", "exi", "exit" or "exit\r"): 0, hold them, the line may be exit;
 * - else, buf holds a LF: the first line, up to and with its first LF (the
 *   caller checks it with is_exit_line() before printing it);
 * - else: all len bytes.
 */
size_t chunk_to_print(const char *buf, size_t len, bool mid_line, bool at_end);

/* Tells whether the len bytes of line are the line "exit": "exit\n" or "exit\r\n". */
bool is_exit_line(const char *line, size_t len);

#endif /* LINE_RULES_H */
