/*
 * chat_client.c - a chat client: what you type goes to the server, what the
 * others say comes to your screen, both at the same time.
 *
 *   usage: chat-client HOST PORT NAME
 *
 * It sends HELLO(NAME), then one poll(2) loop watches stdin and the socket, as
 * lab 02's peer did. Each stdin line becomes a SEND frame in a queue; each
 * frame from the server becomes one line on stdout. While the queue is full it
 * stops reading stdin, but it always reads the socket: a long paste never makes
 * it a slow reader (README.md, "The client").
 */
#include "chat_frame.h"
#include "net.h"
#include "out_queue.h"

#include <err.h>
#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define LINE_BUF_LEN	(CHAT_TEXT_MAX + 2) /* the longest line: text, CR, LF */
#define SEND_QUEUE_FULL 16384		    /* stdin waits while this much is queued */
#define RECV_CHUNK	16384		    /* bytes read from the socket at once */

/* The slots of the poll(2) array. */
enum slot {
	STDIN_IN,   /* stdin has bytes, or its end */
	SOCKET_IN,  /* the server sent bytes, or closed */
	SOCKET_OUT, /* the socket can take more bytes */
	SLOTS
};

/* How a session ended (see main()). */
enum ending {
	RUNNING,      /* not yet */
	QUIT,	      /* /quit or end of stdin, then the server closed: status 0 */
	SERVER_ERROR, /* the server sent ERROR: status 1 */
	CLOSED,	      /* the server closed first: status 1 */
	BAD_FRAME,    /* the server sent a frame the protocol has not: status 1 */
	FAILED	      /* a system call failed (see failed): status 1 */
};

/* Everything one session knows. */
struct chat {
	int sock;
	const char *name;	       /* our name, as given on the command line */
	char line[LINE_BUF_LEN];       /* stdin bytes not yet cut into lines */
	size_t line_len;	       /* bytes in line */
	bool skipping;		       /* dropping the rest of a line too long */
	bool stdin_ended;	       /* stdin is read no more: its end, or /quit */
	bool shut_down;		       /* everything was sent, and our half shut down */
	bool send_failed;	       /* the server is gone: nothing more is sent */
	struct out_queue to_send;      /* frames for the server, not sent yet */
	struct frame_decoder in;       /* the frame the server is sending */
	bool welcomed;		       /* WELCOME has come */
	struct out_queue online;       /* before WELCOME: "alice, bob" */
	enum ending ending;	       /* RUNNING until the session is over */
	char reason[FRAME_LENGTH_MAX]; /* SERVER_ERROR: the reason, NUL-ended */
	const char *failed;	       /* FAILED: the call that failed */
};

/*
 * Says once per function, on stderr, that the function called name is still to
 * be written. Delete it once no function calls it.
 */
static void not_implemented(const char *name, bool *warned)
{
	if (!*warned)
		warnx("%s() is not implemented yet", name);
	*warned = true;
}

/* Prints the usage line (and why, if why is not NULL) and exits with status 2. */
static void usage(const char *why)
{
	if (why != NULL)
		warnx("%s", why);
	fprintf(stderr, "usage: chat-client HOST PORT NAME\n");
	exit(2);
}

/*
 * Ignores SIGPIPE: a write to stdout nobody reads then fails with EPIPE instead
 * of killing the client (send(2) uses MSG_NOSIGNAL). Returns 0, or -1.
 */
static int ignore_sigpipe(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof sa);
	sigemptyset(&sa.sa_mask);
	sa.sa_handler = SIG_IGN;
	return sigaction(SIGPIPE, &sa, NULL);
}

/* Records that the call named what failed (errno says why): the session ends. */
static void fail(struct chat *ch, const char *what)
{
	ch->ending = FAILED;
	ch->failed = what;
}

/*
 * Prepares ch for a session on the connected socket sock, with HELLO(name)
 * queued. Returns 0, or -1 with errno set (ENOMEM).
 */
static int chat_init(struct chat *ch, int sock, const char *name)
{
	uint8_t hello[FRAME_HEADER_LEN + 1 + CHAT_NAME_MAX];
	ssize_t n = frame_encode(FRAME_HELLO, name, strlen(name), hello, sizeof hello);

	memset(ch, 0, sizeof *ch);
	ch->sock = sock;
	ch->name = name;
	out_queue_init(&ch->to_send);
	out_queue_init(&ch->online);
	frame_decoder_init(&ch->in);
	ch->ending = RUNNING;
	return out_queue_push(&ch->to_send, hello, (size_t)n);
}

/* Writes the len bytes of data to stdout. Returns 0, or -1 (fail() called). */
static int print(struct chat *ch, const void *data, size_t len)
{
	if (fwrite(data, 1, len, stdout) != len) {
		fail(ch, "stdout");
		return -1;
	}
	return 0;
}

/*
 * Prints one event line: before, the len bytes of what, then after (with its
 * LF), for example "* ", "bob", " joined\n". stdout is line buffered, so the
 * line goes out whole at its LF. Returns 0, or -1 (fail() called).
 */
static int print_event(struct chat *ch, const char *before, const void *what, size_t len,
		       const char *after)
{
	if (print(ch, before, strlen(before)) == -1 || print(ch, what, len) == -1 ||
	    print(ch, after, strlen(after)) == -1)
		return -1;
	if (fflush(stdout) == EOF) {
		fail(ch, "stdout");
		return -1;
	}
	return 0;
}

/* WELCOME: "* welcome NAME", then "* online: ..." if JOINs came before it. */
static void on_welcome(struct chat *ch)
{
	static bool warned;

	/*
	 * TODO (step 8, "The client"): set ch->welcomed; print_event()
	 * "* welcome NAME"; then, if ch->online holds names (out_queue_peek()),
	 * "* online: " and those names. Free ch->online: it is not needed any
	 * more.
	 */
	(void)ch;
	not_implemented(__func__, &warned);
}

/* JOIN before WELCOME: the name goes on the online list. */
static void note_online(struct chat *ch, const struct frame *f)
{
	static bool warned;

	/*
	 * TODO (step 8, "The client"): append ", " (unless ch->online is empty)
	 * and the name in f's payload to ch->online with out_queue_push();
	 * fail(ch, "malloc") if a push fails.
	 */
	(void)ch;
	(void)f;
	not_implemented(__func__, &warned);
}

/* MSG: "[alice] hello there". */
static void on_msg(struct chat *ch, const struct frame *f)
{
	static bool warned;

	/*
	 * TODO (step 8, "The client"): frame_split_msg() the payload (-1: the
	 * session ends with BAD_FRAME), then print_event() "[NAME] " and the
	 * text with its LF.
	 */
	(void)ch;
	(void)f;
	not_implemented(__func__, &warned);
}

/* ERROR: the session ends with its reason. */
static void on_error(struct chat *ch, const struct frame *f)
{
	static bool warned;

	/*
	 * TODO (step 8, "The client"): copy the reason (f's payload) into
	 * ch->reason with a NUL after it, and end the session with SERVER_ERROR:
	 * report() prints it.
	 */
	(void)ch;
	(void)f;
	not_implemented(__func__, &warned);
}

/* Handles one frame f from the server. */
static void handle_frame(struct chat *ch, const struct frame *f)
{
	static bool warned;

	/*
	 * TODO (step 8, "The client"): by f->type: WELCOME to on_welcome(), MSG
	 * to on_msg(), ERROR to on_error(); JOIN before WELCOME to
	 * note_online(), after it print_event() "* NAME joined"; LEAVE
	 * "* NAME left". Any other type ends the session with BAD_FRAME.
	 */
	(void)ch;
	(void)f;
	(void)on_welcome; /* delete these lines once you call them */
	(void)note_online;
	(void)on_msg;
	(void)on_error;
	(void)print_event;
	not_implemented(__func__, &warned);
}

/*
 * Slot SOCKET_IN: receives what the server sent and handles each whole frame.
 * Its end of stream ends the session: as asked (after /quit or end of stdin,
 * everything sent) or not.
 */
static void on_socket_readable(struct chat *ch)
{
	static bool warned;

	/*
	 * TODO (step 8, "The client"): recv(2) from ch->sock into buf.
	 * - -1 with EINTR: return;
	 * - -1 with ECONNRESET, or 0: the server has closed. The session ends:
	 *   QUIT if it was 0 and ch->shut_down (we had finished), else CLOSED;
	 * - -1 otherwise: fail(ch, "recv");
	 * - n > 0: frame_decode() the n bytes with ch->in, as the server does,
	 *   and handle_frame() each whole one while ch->ending is RUNNING; -1
	 *   from the decoder ends the session with BAD_FRAME.
	 */
	(void)ch;
	(void)handle_frame; /* delete this line once you call it */
	ch->ending = FAILED;
	ch->failed = "on_socket_readable";
	errno = ENOSYS;
	not_implemented(__func__, &warned);
}

/*
 * One stdin line (len bytes, its LF removed): a SEND frame in the queue, or
 * /quit, or nothing (an empty line), or a message on stderr (a line the
 * protocol cannot carry).
 */
static void take_line(struct chat *ch, const char *line, size_t len)
{
	static bool warned;

	/*
	 * TODO (step 9, "Sending lines"): drop one CR at the end of line. Then:
	 * an empty line is skipped; "/quit" sets ch->stdin_ended; a line over
	 * CHAT_TEXT_MAX bytes, or one that is not chat_text_valid(), gets a
	 * warnx() and is not sent; any other is frame_encode()d as a SEND and
	 * pushed onto ch->to_send (fail(ch, "malloc") if the push fails).
	 */
	(void)ch;
	(void)line;
	(void)len;
	not_implemented(__func__, &warned);
}

/* Drops the first n bytes of ch->line; the rest move to its start. */
static void drop_line_bytes(struct chat *ch, size_t n)
{
	ch->line_len -= n;
	memmove(ch->line, ch->line + n, ch->line_len);
}

/*
 * Cuts the bytes read from stdin into lines and takes each, while the queue has
 * room: a line too long for the buffer is refused and skipped up to its LF; at
 * the end of stdin, bytes without a LF are a last line.
 */
static void take_lines(struct chat *ch)
{
	static bool warned;

	/*
	 * TODO (step 9, "Sending lines"): while stdin has not ended and
	 * ch->to_send holds less than SEND_QUEUE_FULL bytes, find the first LF
	 * in ch->line (memchr(3)):
	 * - none, and ch->line is full: the line is too long. warnx() it, set
	 *   ch->skipping, empty ch->line; then return;
	 * - none: return, the line is not complete yet;
	 * - found: take_line() the bytes before it (unless ch->skipping: that
	 *   is the end of the long line, clear the flag), and drop_line_bytes()
	 *   the line and its LF.
	 */
	(void)ch;
	(void)take_line; /* delete these lines once you call them */
	(void)drop_line_bytes;
	not_implemented(__func__, &warned);
}

/*
 * Once stdin has ended and the queue is empty, shuts down the sending half of
 * the socket: the server reads the end of the stream and closes, which ends the
 * session.
 */
static void half_close_when_done(struct chat *ch)
{
	if (!ch->stdin_ended || ch->shut_down || out_queue_len(&ch->to_send) > 0 ||
	    ch->send_failed)
		return;
	if (shutdown(ch->sock, SHUT_WR) == -1) {
		fail(ch, "shutdown");
		return;
	}
	ch->shut_down = true;
}

/* Slot STDIN_IN: reads stdin into ch->line and takes the whole lines. */
static void on_stdin_readable(struct chat *ch)
{
	ssize_t n = read(STDIN_FILENO, ch->line + ch->line_len,
			 sizeof ch->line - ch->line_len);

	if (n == -1 && errno == EINTR)
		return;
	if (n == -1) {
		fail(ch, "stdin");
		return;
	}
	ch->line_len += (size_t)n;
	take_lines(ch);
	if (n == 0 && !ch->stdin_ended) {
		if (!ch->skipping)
			take_line(ch, ch->line,
				  ch->line_len); /* a last line without LF */
		ch->stdin_ended = true;
	}
	half_close_when_done(ch);
}

/*
 * Slot SOCKET_OUT: sends what the socket takes now, never waiting. When the
 * server is gone (EPIPE, ECONNRESET), nothing more is sent, but what it sent
 * before is still read: its ERROR, if any, says why.
 */
static void on_socket_writable(struct chat *ch)
{
	static bool warned;

	/*
	 * TODO (step 9, "Sending lines"): out_queue_peek() ch->to_send and
	 * send(2) it with MSG_DONTWAIT | MSG_NOSIGNAL.
	 * - -1 with EAGAIN, EWOULDBLOCK or EINTR: return;
	 * - -1 with EPIPE or ECONNRESET: the server is gone. Set
	 *   ch->send_failed and ch->stdin_ended, free the queue, and return: the
	 *   socket is still read, and the server's ERROR, if any, says why;
	 * - -1 otherwise: fail(ch, "send");
	 * - n: out_queue_consume() n bytes, take_lines() (the queue has room
	 *   again), half_close_when_done().
	 */
	(void)ch;
	ch->ending = FAILED;
	ch->failed = "on_socket_writable";
	errno = ENOSYS;
	not_implemented(__func__, &warned);
}

/* Tells whether the client waits for slot s now. */
static bool wants(const struct chat *ch, enum slot s)
{
	switch (s) {
	case STDIN_IN:
		return !ch->stdin_ended && ch->line_len < sizeof ch->line &&
		       out_queue_len(&ch->to_send) < SEND_QUEUE_FULL;
	case SOCKET_IN:
		return true; /* always: the server must never wait for us */
	case SOCKET_OUT:
		return out_queue_len(&ch->to_send) > 0 && !ch->send_failed;
	default:
		return false;
	}
}

/*
 * The session: waits with poll(2) for what the client wants and hands each
 * ready slot to its handler (the socket first), until it ends.
 */
static void run_session(struct chat *ch)
{
	struct pollfd fds[SLOTS];
	const short any = POLLIN | POLLOUT | POLLHUP | POLLERR;

	while (ch->ending == RUNNING) {
		fds[STDIN_IN] = (struct pollfd){ .fd = STDIN_FILENO, .events = POLLIN };
		fds[SOCKET_IN] = (struct pollfd){ .fd = ch->sock, .events = POLLIN };
		fds[SOCKET_OUT] = (struct pollfd){ .fd = ch->sock, .events = POLLOUT };
		for (int s = 0; s < SLOTS; s++) {
			if (!wants(ch, (enum slot)s))
				fds[s].fd = -1;
		}
		if (poll(fds, SLOTS, -1) == -1) {
			if (errno == EINTR)
				continue;
			fail(ch, "poll");
			return;
		}
		if ((fds[SOCKET_IN].revents & any) && ch->ending == RUNNING)
			on_socket_readable(ch);
		if ((fds[SOCKET_OUT].revents & any) && ch->ending == RUNNING &&
		    wants(ch, SOCKET_OUT))
			on_socket_writable(ch);
		if ((fds[STDIN_IN].revents & any) && ch->ending == RUNNING &&
		    wants(ch, STDIN_IN))
			on_stdin_readable(ch);
	}
}

/* Says on stderr how the session ended, and returns the exit status. */
static int report(const struct chat *ch)
{
	switch (ch->ending) {
	case QUIT:
		return 0;
	case SERVER_ERROR:
		warnx("server error: %s", ch->reason);
		return 1;
	case CLOSED:
		warnx("server closed the connection");
		return 1;
	case BAD_FRAME:
		warnx("the server broke the protocol (a frame it may not send)");
		return 1;
	default:
		warn("%s", ch->failed);
		return 1;
	}
}

int main(int argc, char *argv[])
{
	struct chat ch;
	int fd, gai_error, status;

	if (getopt(argc, argv, "") != -1 || argc - optind != 3)
		usage(NULL);
	if (!chat_name_valid(argv[optind + 2], strlen(argv[optind + 2])))
		usage("NAME must be 1 to 32 printable characters, without spaces");
	if (setvbuf(stdout, NULL, _IOLBF, 0) != 0 || ignore_sigpipe() == -1)
		err(1, "setup");
	fd = connect_to(argv[optind], argv[optind + 1], &gai_error);
	if (fd == -1 && gai_error != 0)
		errx(1, "%s:%s: %s", argv[optind], argv[optind + 1],
		     gai_strerror(gai_error));
	if (fd == -1)
		err(1, "connect %s:%s", argv[optind], argv[optind + 1]);
	if (chat_init(&ch, fd, argv[optind + 2]) == -1)
		err(1, "malloc");
	run_session(&ch);
	status = report(&ch);
	out_queue_free(&ch.to_send);
	out_queue_free(&ch.online);
	if (close(fd) == -1) {
		warn("close");
		status = 1;
	}
	return status;
}
