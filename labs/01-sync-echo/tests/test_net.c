/*
 * test_net.c - unit tests of send_all() and the line reader (net.h), lab 01.
 *
 * Each test talks to the function under test through a socketpair(2): two
 * connected stream sockets, no network and no ports. Where a test needs a slow
 * or sleepy peer, a child process plays it.
 *
 * Run them all with `make check`, or list them and run one:
 *   ./build/test_net --list
 *   ./build/test_net --filter 'line_reader/reads_one_line'
 * This file is a copy of the grader's: editing it does not change your grade.
 */
#include <criterion/criterion.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include "net.h"

TestSuite(send_all, .timeout = 2);
TestSuite(line_reader, .timeout = 2);

#define SMALL_SNDBUF	4096	  /* the kernel doubles it; still a few KiB */
#define BIG_LEN		(1 << 20) /* 1 MiB: a hundred buffers' worth */
#define RECV_TIMEOUT_MS 500	  /* a reader waiting longer waits for nothing */

/*
 * Helpers
 */

/* Byte i of the data the send_all tests send: a lost or repeated chunk shows. */
static char pattern_byte(size_t i)
{
	return (char)(i % 251); /* 251 is prime: no buffer size is a multiple of it */
}

static char *make_pattern(size_t len)
{
	char *buf = malloc(len);

	cr_assert_not_null(buf, "test setup: malloc(%zu) failed", len);
	for (size_t i = 0; i < len; i++)
		buf[i] = pattern_byte(i);
	return buf;
}

/* Returns the text of errno value e, or "no error" for 0. */
static const char *errno_text(int e)
{
	return e == 0 ? "no error" : strerror(e);
}

/*
 * Writes the n bytes of s for a message, between single quotes, and returns
 * one of four static buffers (up to four can appear in one message). LF shows
 * as <LF>, CR as <CR>, and any other byte that is not a letter, a digit, a
 * space or plain punctuation as <0xNN>; only the first 60 bytes are shown.
 * Double quotes and backslashes are shown as <0xNN> too: Criterion copies
 * messages into its JSON report without escaping them.
 */
static const char *show(const char *s, ssize_t n)
{
	static char bufs[4][512];
	static int next;
	char *out = bufs[next++ % 4];
	size_t used = 0;

	used += (size_t)snprintf(out, 8, "'");
	for (ssize_t i = 0; i < n && i < 60; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '\n')
			used += (size_t)snprintf(out + used, 8, "<LF>");
		else if (c == '\r')
			used += (size_t)snprintf(out + used, 8, "<CR>");
		else if (c < 0x20 || c > 0x7e || strchr("\"\\'<>", c) != NULL)
			used += (size_t)snprintf(out + used, 8, "<0x%02x>", c);
		else
			used += (size_t)snprintf(out + used, 8, "%c", c);
	}
	snprintf(out + used, 8, n > 60 ? "'..." : "'");
	return out;
}

/* Returns the index of the first byte where a and b differ, or n. */
static size_t first_difference(const char *a, const char *b, size_t n)
{
	size_t i = 0;

	while (i < n && a[i] == b[i])
		i++;
	return i;
}

/* Creates a connected pair of stream sockets. */
static void make_pair(int sv[2])
{
	cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0,
		     "test setup: socketpair: %s", strerror(errno));
}

/* Makes the send buffer of fd small, so that a large send(2) must wait. */
static void shrink_send_buffer(int fd)
{
	int size = SMALL_SNDBUF;

	cr_assert_eq(setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof size), 0,
		     "test setup: setsockopt SO_SNDBUF: %s", strerror(errno));
}

/*
 * Bounds every recv(2) on fd to RECV_TIMEOUT_MS: a line reader that waits for
 * bytes the test will never send gets EAGAIN instead of hanging the test.
 */
static void bound_recv_wait(int fd)
{
	struct timeval tv = { .tv_sec = 0, .tv_usec = RECV_TIMEOUT_MS * 1000 };

	cr_assert_eq(setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv), 0,
		     "test setup: setsockopt SO_RCVTIMEO: %s", strerror(errno));
}

/* Writes all of s to fd (the test's own writes: a socketpair takes them whole). */
static void write_text(int fd, const char *s, size_t len)
{
	cr_assert_eq(write(fd, s, len), (ssize_t)len, "test setup: write: %s",
		     strerror(errno));
}

/* Reads fd until end of stream or cap bytes; returns how many came. */
static size_t read_all(int fd, char *buf, size_t cap)
{
	size_t got = 0;
	ssize_t n;

	while (got < cap && (n = read(fd, buf + got, cap - got)) > 0)
		got += (size_t)n;
	return got;
}

/* A child that exits when the test process ends, however it ends. */
static pid_t start_child(void)
{
	pid_t pid = fork();

	cr_assert_neq(pid, -1, "test setup: fork: %s", strerror(errno));
	if (pid == 0)
		prctl(PR_SET_PDEATHSIG, SIGKILL);
	return pid;
}

/*
 * The slow peer of the send_all tests.
 */

/* What the reading child saw, sent back to the test through a pipe. */
struct peer_report {
	size_t received;       /* bytes read until end of stream */
	size_t first_mismatch; /* the first byte unlike the pattern, or received */
};

/*
 * Adds the n bytes of chunk, which came after report->received others, to
 * report, comparing them with the len bytes of want.
 */
static void check_chunk(struct peer_report *report, const char *chunk, size_t n,
			const char *want, size_t len)
{
	size_t at = report->received;
	size_t same = 0; /* how many of these bytes want holds */

	if (at < len)
		same = n < len - at ? n : len - at;
	report->received += n;
	if (report->first_mismatch != at)
		return; /* a difference was found before */
	if (memcmp(chunk, want + at, same) == 0)
		report->first_mismatch = at + same; /* bytes beyond len differ */
	else
		report->first_mismatch = at + first_difference(chunk, want + at, same);
}

/*
 * Starts a child that reads sv[1] until end of stream, sleeping initial_us
 * before its first read and pause_us after each read, and compares the bytes
 * with the len bytes of want. Closes sv[1] in the test. Returns the child's
 * pid; its report comes through *report_fd.
 */
static pid_t start_slow_reader(int sv[2], const char *want, size_t len,
			       unsigned initial_us, unsigned pause_us, int *report_fd)
{
	struct peer_report report = { 0, 0 };
	int pipefd[2];
	char buf[16384];
	ssize_t n;
	pid_t pid;

	cr_assert_eq(pipe(pipefd), 0, "test setup: pipe: %s", strerror(errno));
	pid = start_child();
	if (pid > 0) {
		close(pipefd[1]);
		close(sv[1]);
		*report_fd = pipefd[0];
		return pid;
	}
	close(pipefd[0]);
	close(sv[0]); /* else the stream would never end */
	usleep(initial_us);
	while ((n = read(sv[1], buf, sizeof buf)) > 0) {
		check_chunk(&report, buf, (size_t)n, want, len);
		usleep(pause_us);
	}
	if (write(pipefd[1], &report, sizeof report) != sizeof report)
		_exit(1);
	_exit(0);
}

/* Collects the report of the reading child (after the test closed its socket). */
static struct peer_report finish_slow_reader(pid_t pid, int report_fd)
{
	struct peer_report report;
	ssize_t n = read(report_fd, &report, sizeof report);

	close(report_fd);
	waitpid(pid, NULL, 0);
	cr_assert_eq(n, (ssize_t)sizeof report,
		     "test setup: the reading child sent no report");
	return report;
}

/*
 * SIGALRM, to interrupt send_all() while it waits.
 */

static volatile sig_atomic_t alarms; /* SIGALRM deliveries so far */

static void count_alarm(int signo)
{
	(void)signo;
	alarms++;
}

/*
 * Makes SIGALRM call count_alarm (with sa_flags, 0 or SA_RESTART) and arms the
 * timer: first after first_us, then every every_us (0: only once).
 */
static void start_alarms(int sa_flags, long first_us, long every_us)
{
	struct sigaction sa;
	struct itimerval it = { { 0, every_us }, { 0, first_us } };

	memset(&sa, 0, sizeof sa);
	sigemptyset(&sa.sa_mask);
	sa.sa_handler = count_alarm;
	sa.sa_flags = sa_flags;
	cr_assert_eq(sigaction(SIGALRM, &sa, NULL), 0, "test setup: sigaction");
	cr_assert_eq(setitimer(ITIMER_REAL, &it, NULL), 0, "test setup: setitimer");
}

static void stop_alarms(void)
{
	struct itimerval off = { { 0, 0 }, { 0, 0 } };

	cr_assert_eq(setitimer(ITIMER_REAL, &off, NULL), 0, "test setup: setitimer");
}

/*
 * send_all
 */

#define SHORT_WRITE_HINT                                                              \
	" The socket buffer holds a few KiB and the peer reads slowly, so send(2) "   \
	"takes a part of the buffer at a time and returns how many bytes it took (a " \
	"short write): send the rest, until none is left."
#define EINTR_HINT                                                                   \
	" A signal arrived while send(2) waited for room in the socket buffer, and " \
	"send(2) failed with EINTR before sending anything: that is no error, call " \
	"send(2) again. See signal(7), Interruption of system calls."

Test(send_all, writes_whole_buffer)
{
	char got[1001];
	char *sent = make_pattern(1000);
	int sv[2];
	ssize_t n;
	size_t got_len, at;

	make_pair(sv);
	errno = 0;
	n = send_all(sv[0], sent, 1000);
	cr_assert_eq(n, 1000,
		     "send_all(fd, buf, 1000) returned %zd (errno: %s), expected 1000", n,
		     errno_text(errno));
	close(sv[0]);
	got_len = read_all(sv[1], got, sizeof got);
	cr_assert_eq(got_len, 1000,
		     "send_all() returned 1000 but the peer received %zu bytes", got_len);
	at = first_difference(got, sent, 1000);
	cr_assert_eq(at, 1000,
		     "the peer received other bytes than those given to send_all(), "
		     "from byte %zu on: expected %s, got %s",
		     at, show(sent + at, (ssize_t)(1000 - at)),
		     show(got + at, (ssize_t)(1000 - at)));
	free(sent);
}

Test(send_all, loops_over_short_writes)
{
	char *buf = make_pattern(BIG_LEN);
	struct peer_report report;
	int sv[2], report_fd, saved_errno;
	pid_t reader;
	ssize_t n;

	make_pair(sv);
	shrink_send_buffer(sv[0]);
	reader = start_slow_reader(sv, buf, BIG_LEN, 0, 100, &report_fd);
	/* With SA_RESTART a signal never makes send(2) fail with EINTR, but one that
	 * arrives after some bytes went makes it return early: a short write. */
	alarms = 0;
	start_alarms(SA_RESTART, 1000, 1000);
	errno = 0;
	n = send_all(sv[0], buf, BIG_LEN);
	saved_errno = errno;
	stop_alarms();
	close(sv[0]);
	report = finish_slow_reader(reader, report_fd);
	free(buf);

	cr_assert_eq(n, BIG_LEN,
		     "send_all(fd, buf, %d) returned %zd (errno: %s), expected %d.%s",
		     BIG_LEN, n, errno_text(saved_errno), BIG_LEN,
		     n >= 0 && n < BIG_LEN ? SHORT_WRITE_HINT : "");
	cr_assert_gt(alarms, 0, "test setup: no SIGALRM came while send_all() ran");
	cr_assert_eq(report.received, (size_t)BIG_LEN,
		     "send_all() returned %d but the peer received %zu bytes", BIG_LEN,
		     report.received);
	cr_assert_eq(report.first_mismatch, report.received,
		     "the peer received the right number of bytes, but they differ "
		     "from those given to send_all() from byte %zu on: after a short "
		     "write, go on from the first byte that was not sent",
		     report.first_mismatch);
}

Test(send_all, retries_after_eintr)
{
	const size_t len = 256 * 1024;
	char *buf = make_pattern(len);
	struct peer_report report;
	int sv[2], report_fd, saved_errno;
	size_t before = 0;
	pid_t reader;
	ssize_t n;

	make_pair(sv);
	shrink_send_buffer(sv[0]);
	/* The peer reads nothing for 300 ms, then everything. */
	reader = start_slow_reader(sv, buf, len, 300 * 1000, 0, &report_fd);
	/* Fill the socket buffer, so that send_all() waits before its first byte. */
	while ((n = send(sv[0], buf + before, len - before, MSG_DONTWAIT)) > 0)
		before += (size_t)n;
	cr_assert(n == -1 && errno == EAGAIN,
		  "test setup: could not fill the socket buffer");
	/* Without SA_RESTART, a signal makes the waiting send(2) fail with EINTR. */
	alarms = 0;
	start_alarms(0, 50 * 1000, 0);
	errno = 0;
	n = send_all(sv[0], buf + before, len - before);
	saved_errno = errno;
	stop_alarms();
	close(sv[0]);
	report = finish_slow_reader(reader, report_fd);
	free(buf);

	cr_assert_eq(n, (ssize_t)(len - before),
		     "send_all(fd, buf, %zu) returned %zd (errno: %s), expected %zu.%s",
		     len - before, n, errno_text(saved_errno), len - before,
		     n == -1 && saved_errno == EINTR ? EINTR_HINT : "");
	cr_assert_eq(alarms, 1,
		     "test setup: SIGALRM did not come while send_all() waited");
	cr_assert_eq(report.received, len,
		     "send_all() returned the right count but the peer received %zu of "
		     "the %zu bytes",
		     report.received, len);
	cr_assert_eq(report.first_mismatch, report.received,
		     "the peer received other bytes than those sent, from byte %zu on",
		     report.first_mismatch);
}

Test(send_all, reports_epipe_when_peer_closed)
{
	struct sigaction sa;
	int sv[2];
	ssize_t n;

	/* As the echo server does: without this, SIGPIPE would end the test. */
	memset(&sa, 0, sizeof sa);
	sigemptyset(&sa.sa_mask);
	sa.sa_handler = SIG_IGN;
	cr_assert_eq(sigaction(SIGPIPE, &sa, NULL), 0, "test setup: sigaction");
	make_pair(sv);
	close(sv[1]);
	errno = 0;
	n = send_all(sv[0], "hello\n", 6);
	cr_assert_eq(n, -1,
		     "send_all() to a peer that has closed returned %zd, expected -1 "
		     "with errno EPIPE",
		     n);
	cr_assert_eq(errno, EPIPE,
		     "send_all() to a peer that has closed returned -1 with errno %d "
		     "(%s), expected EPIPE (%s): return -1 as soon as send(2) fails, "
		     "with the errno it set",
		     errno, errno_text(errno), strerror(EPIPE));
	close(sv[0]);
}

/*
 * line_reader
 */

/*
 * Creates the socket pair of a line reader test: the reader reads sv[0] (with
 * bounded waits), the test writes to sv[1].
 */
static void make_reader_pair(int sv[2], struct line_reader *lr)
{
	make_pair(sv);
	bound_recv_wait(sv[0]);
	line_reader_init(lr, sv[0]);
}

/* Describes what line_reader_next() returned, for a failure message. */
static const char *describe(ssize_t n, const char *line, int saved_errno)
{
	static char text[600];

	if (n > 0)
		snprintf(text, sizeof text, "%zd: %s", n, show(line, n));
	else if (n == -1 && saved_errno == EAGAIN)
		snprintf(text, sizeof text,
			 "-1 with errno EAGAIN: recv(2) waited %d ms for bytes and none "
			 "came, although the peer had sent the line",
			 RECV_TIMEOUT_MS);
	else if (n == -1)
		snprintf(text, sizeof text, "-1 with errno %s", errno_text(saved_errno));
	else
		snprintf(text, sizeof text, "%zd", n);
	return text;
}

/*
 * Calls line_reader_next() and checks that it returns the line want. what says
 * which call this is, for the message.
 */
static void expect_line(struct line_reader *lr, const char *want, const char *what)
{
	char line[NET_LINE_MAX];
	size_t want_len = strlen(want);
	ssize_t n;

	errno = 0;
	n = line_reader_next(lr, line, sizeof line);
	cr_assert(n == (ssize_t)want_len && memcmp(line, want, want_len) == 0,
		  "%s: line_reader_next() returned %s, expected %zu: %s", what,
		  describe(n, line, errno), want_len, show(want, (ssize_t)want_len));
}

/* Calls line_reader_next() and checks that it reports the end of the stream. */
static void expect_end(struct line_reader *lr, const char *what)
{
	char line[NET_LINE_MAX];
	ssize_t n;

	errno = 0;
	n = line_reader_next(lr, line, sizeof line);
	cr_assert_eq(n, 0,
		     "%s: line_reader_next() returned %s, expected 0 (end of stream)",
		     what, describe(n, line, errno));
}

Test(line_reader, reads_one_line)
{
	struct line_reader lr;
	int sv[2];

	make_reader_pair(sv, &lr);
	write_text(sv[1], "hello\n", 6);
	expect_line(&lr, "hello\n", "the peer wrote 'hello<LF>'");
	close(sv[1]);
	expect_end(&lr, "the peer wrote 'hello<LF>' and closed; call 2");
	close(sv[0]);
}

Test(line_reader, splits_several_lines_in_one_segment)
{
	struct line_reader lr;
	int sv[2];

	make_reader_pair(sv, &lr);
	/* One write, the peer stays open: lines 2 and 3 must come from lr->buf. */
	write_text(sv[1], "one\ntwo\nthree\n", 14);
	expect_line(&lr, "one\n",
		    "the peer wrote 'one<LF>two<LF>three<LF>' at once; call 1");
	expect_line(&lr, "two\n",
		    "call 2: the second line arrived with the first and must have been "
		    "kept in lr->buf");
	expect_line(&lr, "three\n", "call 3: the third line, also kept in lr->buf");
	close(sv[1]);
	expect_end(&lr, "call 4, after the peer closed");
	close(sv[0]);
}

Test(line_reader, joins_line_arriving_byte_by_byte)
{
	static const char text[] = "hello, world\nagain\n";
	struct line_reader lr;
	int sv[2];
	pid_t writer;

	make_reader_pair(sv, &lr);
	writer = start_child();
	if (writer == 0) {
		close(sv[0]);
		for (size_t i = 0; i < sizeof text - 1; i++) {
			if (write(sv[1], &text[i], 1) != 1)
				_exit(1);
			usleep(5000); /* each byte arrives alone: recv(2) gets 1 byte */
		}
		_exit(0);
	}
	close(sv[1]);
	expect_line(&lr, "hello, world\n",
		    "the peer wrote 'hello, world<LF>again<LF>' one byte at a time, 5 ms "
		    "apart; call 1 must wait for the LF");
	expect_line(&lr, "again\n", "call 2");
	expect_end(&lr, "call 3, after the peer closed");
	close(sv[0]);
	waitpid(writer, NULL, 0);
}

Test(line_reader, accepts_line_of_exactly_4096_bytes)
{
	char *text = malloc(NET_LINE_MAX + 5);
	char line[NET_LINE_MAX];
	struct line_reader lr;
	int sv[2];
	ssize_t n;

	cr_assert_not_null(text, "test setup: malloc");
	memset(text, 'a', NET_LINE_MAX - 1);
	memcpy(text + NET_LINE_MAX - 1, "\nnext\n", 6); /* 4095 'a', LF, "next\n" */
	make_reader_pair(sv, &lr);
	write_text(sv[1], text, NET_LINE_MAX + 5);
	close(sv[1]);
	errno = 0;
	n = line_reader_next(&lr, line, sizeof line);
	cr_assert_eq(n, NET_LINE_MAX,
		     "the peer wrote 4095 'a' and a LF (4096 bytes, the longest line "
		     "allowed), then 'next<LF>': line_reader_next() returned %s, "
		     "expected 4096. A line of NET_LINE_MAX bytes, its LF included, "
		     "fits exactly in lr->buf.",
		     describe(n, line, errno));
	cr_assert(memcmp(line, text, NET_LINE_MAX) == 0,
		  "line_reader_next() returned 4096, but the bytes are not the 4095 'a' "
		  "and the LF the peer wrote");
	free(text);
	expect_line(&lr, "next\n", "the line after the 4096-byte one");
	expect_end(&lr, "after 'next<LF>', the peer closed");
	close(sv[0]);
}

Test(line_reader, rejects_line_longer_than_4096_bytes)
{
	char text[NET_LINE_MAX + 1];
	char line[NET_LINE_MAX];
	struct line_reader lr;
	int sv[2], saved_errno;
	ssize_t n;

	memset(text, 'a', NET_LINE_MAX);
	text[NET_LINE_MAX] = '\n'; /* 4096 'a' and a LF: 4097 bytes */
	make_reader_pair(sv, &lr);
	write_text(sv[1], text, sizeof text);
	close(sv[1]);
	errno = 0;
	n = line_reader_next(&lr, line, sizeof line);
	saved_errno = errno;
	cr_assert(n == -1 && saved_errno == EMSGSIZE,
		  "the peer wrote 4096 'a' and a LF (4097 bytes, one more than "
		  "NET_LINE_MAX): line_reader_next() returned %s, expected -1 with errno "
		  "EMSGSIZE (%s). When lr->buf is full and holds no LF, the line is too "
		  "long.",
		  describe(n, line, saved_errno), strerror(EMSGSIZE));
	close(sv[0]);
}

Test(line_reader, returns_last_line_without_lf)
{
	struct line_reader lr;
	int sv[2];

	make_reader_pair(sv, &lr);
	write_text(sv[1], "first\nlast", 10);
	close(sv[1]);
	expect_line(&lr, "first\n", "the peer wrote 'first<LF>last' and closed; call 1");
	expect_line(&lr, "last",
		    "call 2: the peer closed after 'last', without a LF; those bytes "
		    "are the last line");
	expect_end(&lr, "call 3: nothing is left");
	close(sv[0]);
}
