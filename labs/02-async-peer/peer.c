/*
 * peer.c - a full-duplex peer, like netcat.
 *
 *   usage: peer HOST PORT            connects to HOST:PORT
 *          peer -l [-b ADDR] PORT    waits for one connection on ADDR:PORT
 *
 * Once connected, it copies stdin to the socket and the socket to stdout, both
 * at the same time. One poll(2) loop waits on four slots (stdin readable, socket
 * readable, socket writable, stdout writable) and hands each event to a small
 * handler. Each direction goes through a bounded queue, so the peer never waits
 * for a write to finish and never holds more than a few KiB.
 *
 * The two directions end apart, as TCP allows: the end of stdin shuts down the
 * sending half, the other side's end of stream ends the receiving half, and the
 * session is over once both have ended. Nothing read from stdin is dropped while
 * the other side still takes data. The line "exit", typed or received, ends the
 * session at once.
 */
#include "byte_queue.h"
#include "line_rules.h"
#include "net.h"

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

#define BACKLOG 1 /* one session: no connection needs to wait for another */

/* The slots of the poll(2) array: the four things the peer may wait for. */
enum slot {
	STDIN_IN,   /* stdin has bytes to read, or its end */
	SOCKET_IN,  /* the socket has bytes to read, or the end of the stream */
	SOCKET_OUT, /* the socket can take more bytes */
	STDOUT_OUT, /* stdout can take more bytes */
	SLOTS
};

/* Bytes read from one side that its rule (line_rules.h) has not let go yet. */
struct held {
	char buf[LINE_CHUNK_MAX];
	size_t len;    /* bytes in buf */
	bool mid_line; /* the bytes let go so far did not end with a LF */
};

/* Everything one session knows. */
struct peer {
	int sock;		     /* the connected socket */
	struct held from_stdin;	     /* typed, not released for sending yet */
	struct byte_queue to_socket; /* released for sending, not sent yet */
	struct held from_socket;     /* received, not released for printing yet */
	struct byte_queue to_stdout; /* released for printing, not written yet */
	bool stdin_ended;	     /* stdin read no more: its end, or exit typed */
	bool socket_ended;	     /* socket read no more: its end, or exit received */
	bool exit_typed;	     /* the exit line came from stdin */
	bool exit_received;	     /* the exit line came from the other side */
	bool shut_down;		     /* our sending half is shut down (FIN sent) */
	bool gone;		     /* a send failed: the other side is gone */
	int gone_errno;		     /* why: EPIPE or ECONNRESET */
	const char *failed;	     /* the call that failed, for the message */
};

/*
 * Says once per function, on stderr, that the function called name is still to
 * be written, and fails with ENOSYS ("Function not implemented"). Delete it
 * once no function calls it.
 */
static int not_implemented(const char *name, bool *warned)
{
	if (!*warned)
		warnx("%s() is not implemented yet", name);
	*warned = true;
	errno = ENOSYS;
	return -1;
}

/* Prints the usage lines to stderr and exits with status 2. */
static void usage(void)
{
	fprintf(stderr, "usage: peer HOST PORT\n"
			"       peer -l [-b ADDR] PORT\n");
	exit(2);
}

/*
 * Ignores SIGPIPE: writing to a socket the other side has closed, or to a pipe
 * nobody reads, then fails with EPIPE, which we report, instead of killing the
 * peer without a word. Returns 0, or -1 with errno set.
 */
static int ignore_sigpipe(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof sa);
	sigemptyset(&sa.sa_mask);
	sa.sa_handler = SIG_IGN;
	return sigaction(SIGPIPE, &sa, NULL);
}

/*
 * Prints "peer: listening on ADDR:PORT" to stderr, with the address the socket
 * is bound to: for PORT 0 this shows the port the kernel chose.
 * Returns 0, or -1 with errno set.
 */
static int announce(int lfd)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof ss;
	char where[NET_ADDRESS_MAX];

	if (getsockname(lfd, (struct sockaddr *)&ss, &len) == -1)
		return -1;
	if (format_address((struct sockaddr *)&ss, where, sizeof where) == -1)
		return -1;
	warnx("listening on %s", where); /* warnx(3): stderr, with the program's name */
	return 0;
}

/*
 * Listen mode: says where lfd listens, waits for one connection and returns its
 * socket, or -1 with errno set and *failed naming the call that failed. Closes
 * lfd in every case: the peer holds one session, and once nothing listens, a
 * second client's connect(2) is refused.
 */
static int accept_one(int lfd, const char **failed)
{
	int sock = -1;
	int saved_errno;

	if (announce(lfd) == -1)
		*failed = "getsockname";
	else if ((sock = accept(lfd, NULL, NULL)) == -1)
		*failed = "accept";
	saved_errno = errno;
	if (close(lfd) == -1 && sock != -1) {
		*failed = "close";
		saved_errno = errno;
		close(sock);
		sock = -1;
	}
	errno = saved_errno;
	return sock;
}

/* Prepares p for a session on the connected socket sock. */
static void peer_init(struct peer *p, int sock)
{
	memset(p, 0, sizeof *p); /* every length 0, every flag false */
	p->sock = sock;
	byte_queue_init(&p->to_socket);
	byte_queue_init(&p->to_stdout);
	p->failed = "";
}

/*
 * Drops the n first bytes of h (0 < n <= h->len), which have gone on to a
 * queue, and remembers whether they ended a line.
 */
static void let_go(struct held *h, size_t n)
{
	h->mid_line = h->buf[n - 1] != '\n';
	h->len -= n;
	memmove(h->buf, h->buf + n, h->len); /* the bytes left start at buf[0] again */
}

/*
 * Tells whether the other side still takes what the peer sends: it has not
 * sent the exit line, and no send has failed because it is gone.
 */
static bool other_side_takes(const struct peer *p)
{
	return !p->exit_received && !p->gone;
}

/*
 * Tells whether the session is over:
 * - the exit line was typed, and it has been sent with everything before it; or
 * - the receiving direction has ended (the other side's end of stream, or its
 *   exit line) with every byte received before that on stdout, and the sending
 *   direction has ended too: all of stdin sent and the sending half shut down,
 *   or nothing more can go (exit received, or the other side gone).
 */
static bool session_over(const struct peer *p)
{
	bool received_all = p->socket_ended && p->from_socket.len == 0 &&
			    byte_queue_len(&p->to_stdout) == 0;

	if (p->exit_typed && p->shut_down)
		return true;
	return received_all && (p->shut_down || !other_side_takes(p));
}

/*
 * Tells whether the peer waits for slot s now. It reads a side only while it
 * has room to keep what it reads, and writes a side only when it has bytes for
 * it: that keeps memory bounded, and poll(2) asleep when there is nothing to do.
 */
static bool wants(const struct peer *p, enum slot s)
{
	static bool warned;

	/*
	 * TODO (step 4, "The poll loop"): tell whether the peer waits for slot s
	 * now. Read a side only while there is room to keep what you read, write
	 * a side only when you have bytes for it:
	 * - STDIN_IN: stdin has not ended, the other side still takes data
	 *   (other_side_takes()), and p->from_stdin is not full;
	 * - SOCKET_IN: the socket has not ended, and p->from_socket is not full;
	 * - SOCKET_OUT: the other side still takes data, and p->to_socket holds
	 *   bytes (also after the other side's end of stream: that ends only the
	 *   direction towards you);
	 * - STDOUT_OUT: p->to_stdout holds bytes.
	 * A switch on s does it; see byte_queue.h for byte_queue_len().
	 */
	(void)p;
	(void)s;
	not_implemented(__func__, &warned);
	return true;
}

/*
 * Fills fds, one entry per slot, with what the peer waits for now. A slot it
 * does not want gets fd -1: poll(2) skips it and sets its revents to 0.
 */
static void watch(const struct peer *p, struct pollfd fds[SLOTS])
{
	fds[STDIN_IN] = (struct pollfd){ .fd = STDIN_FILENO, .events = POLLIN };
	fds[SOCKET_IN] = (struct pollfd){ .fd = p->sock, .events = POLLIN };
	fds[SOCKET_OUT] = (struct pollfd){ .fd = p->sock, .events = POLLOUT };
	fds[STDOUT_OUT] = (struct pollfd){ .fd = STDOUT_FILENO, .events = POLLOUT };
	for (int s = 0; s < SLOTS; s++) {
		if (!wants(p, (enum slot)s))
			fds[s].fd = -1;
	}
}

/*
 * Tells whether slot s of fds is ready: poll(2) reported the event asked for, or
 * POLLHUP, POLLERR or POLLNVAL, which the handler's own read or write turns into
 * an end of stream or an error. A handler that ran before it in this round may
 * have changed what the peer wants (an exit line received stops the sending):
 * s must still be wanted.
 */
static bool ready(const struct peer *p, const struct pollfd fds[SLOTS], enum slot s)
{
	short events = fds[s].events | POLLHUP | POLLERR | POLLNVAL;

	return (fds[s].revents & events) != 0 && wants(p, s);
}

/*
 * Once stdin has ended (or exit was typed) and all of it has been sent, shuts
 * down the sending half of the socket: the other side reads the end of the
 * stream, and may still send. Does nothing before that, or if it is done
 * already. Returns 0, or -1 with errno set.
 */
static int half_close_when_done(struct peer *p)
{
	static bool warned;

	/*
	 * TODO (step 7, "Half-closing"): if stdin has ended (p->stdin_ended:
	 * its end, or exit typed), the socket is not shut down yet, and nothing
	 * is left to send (p->from_stdin and p->to_socket are both empty), call
	 * shutdown(2) on p->sock with SHUT_WR and set p->shut_down. If
	 * shutdown(2) fails, set p->failed to "shutdown" and return -1. In every
	 * other case, return 0. See shutdown(2).
	 */
	p->failed = "half_close_when_done";
	return not_implemented(__func__, &warned);
}

/*
 * Moves to p->to_socket each chunk of p->from_stdin that the stdin rule
 * releases, while the queue has room for it. The exit line goes too, and ends
 * stdin: what was typed after it is dropped.
 */
static void release_stdin(struct peer *p)
{
	static bool warned;

	/*
	 * TODO (step 6, "Sending what is typed"): while chunk_to_send() on
	 * the bytes of p->from_stdin (at_end: p->stdin_ended) returns n > 0,
	 * and p->to_socket has room for n bytes (byte_queue_space()):
	 * - the chunk is the exit line if it starts a line (not
	 *   p->from_stdin.mid_line) and is_exit_line() says so: remember that in
	 *   p->exit_typed;
	 * - push the n bytes into p->to_socket (the exit line too: it is sent);
	 * - drop them from p->from_stdin with let_go();
	 * - after the exit line, stop.
	 * Once exit was typed, stdin is over: set p->stdin_ended, and drop what
	 * p->from_stdin still holds (set its len to 0).
	 */
	(void)p;
	(void)let_go; /* delete this line once you call it */
	not_implemented(__func__, &warned);
}

/*
 * Slot STDIN_IN: reads what stdin has into p->from_stdin, and sends on what the
 * stdin rule releases. Returns 0, or -1 with errno set.
 */
static int on_stdin_readable(struct peer *p)
{
	static bool warned;

	/*
	 * TODO (step 6, "Sending what is typed"): read(2) from STDIN_FILENO
	 * into the free end of p->from_stdin.buf (after its len bytes, at most
	 * the room left).
	 * - -1 with EINTR: return 0 (poll(2) will say again);
	 * - -1 otherwise: set p->failed to "stdin" and return -1;
	 * - 0: stdin has ended: set p->stdin_ended;
	 * - n > 0: add n to p->from_stdin.len.
	 * Then release_stdin(p). If stdin has ended (its end, or exit typed),
	 * return what half_close_when_done(p) returns: with nothing left to
	 * send, the sending half is shut down at once. Else return 0.
	 */
	(void)release_stdin; /* delete these lines once you call them */
	(void)half_close_when_done;
	p->failed = "on_stdin_readable";
	return not_implemented(__func__, &warned);
}

/*
 * Slot SOCKET_OUT: sends as much of p->to_socket as the socket takes now, then
 * lets more stdin go into the room made. Returns 0, or -1 with errno set.
 */
static int on_socket_writable(struct peer *p)
{
	static bool warned;

	/*
	 * TODO (step 6, "Sending what is typed"): byte_queue_peek() the
	 * oldest piece of p->to_socket and send(2) it on p->sock with the flag
	 * MSG_DONTWAIT, so that send(2) takes what fits now and never waits for
	 * room.
	 * - -1 with EAGAIN, EWOULDBLOCK or EINTR: return 0 (no room after all);
	 * - -1 with EPIPE or ECONNRESET: the other side is gone. Set p->gone,
	 *   keep errno in p->gone_errno, and return 0: it is not over yet, what
	 *   it sent before it left may still wait in your receive buffer (and
	 *   may end with its exit line). See "Ending a session";
	 * - -1 otherwise: set p->failed to "send" and return -1;
	 * - n >= 0: byte_queue_consume() the n bytes sent, then release_stdin(p):
	 *   there is room again for lines held back. If stdin has ended, return
	 *   what half_close_when_done(p) returns (that may have been the last
	 *   byte to send); else return 0.
	 */
	p->failed = "on_socket_writable";
	return not_implemented(__func__, &warned);
}

/*
 * Moves to p->to_stdout each chunk of p->from_socket that the receive rule
 * releases, while the queue has room for it. The exit line is not printed: it
 * ends the socket's stream, and what came after it is dropped.
 */
static void release_received(struct peer *p)
{
	static bool warned;

	/*
	 * TODO (step 5, "Printing what arrives"): while chunk_to_print() on the
	 * bytes of p->from_socket (mid_line: p->from_socket.mid_line, at_end:
	 * p->socket_ended) returns n > 0, and p->to_stdout has room for n bytes:
	 * - if the chunk starts a line (not mid_line) and is_exit_line() says it
	 *   is the exit line: set p->exit_received and p->socket_ended, drop
	 *   everything p->from_socket holds (len 0), and return: that line and
	 *   what follows it are never printed;
	 * - else push the n bytes into p->to_stdout, and drop them from
	 *   p->from_socket with let_go().
	 */
	(void)p;
	not_implemented(__func__, &warned);
}

/*
 * Slot SOCKET_IN: receives what the socket has into p->from_socket, and prints
 * what the receive rule releases. Returns 0, or -1 with errno set.
 */
static int on_socket_readable(struct peer *p)
{
	static bool warned;

	/*
	 * TODO (step 5, "Printing what arrives"): recv(2) from p->sock into
	 * the free end of p->from_socket.buf.
	 * - -1 with EINTR: return 0;
	 * - -1 with ECONNRESET after a send has found the other side gone
	 *   (p->gone): that is the same reset, the end of what it sent: do as
	 *   for 0;
	 * - -1 otherwise: set p->failed to "recv" and return -1 (ECONNRESET:
	 *   the other side reset the connection);
	 * - 0: the other side has ended its stream: set p->socket_ended;
	 * - n > 0: add n to p->from_socket.len.
	 * Then release_received(p) and return 0. See recv(2).
	 */
	(void)release_received; /* delete this line once you call it */
	p->failed = "on_socket_readable";
	return not_implemented(__func__, &warned);
}

/*
 * Slot STDOUT_OUT: writes as much of p->to_stdout as stdout takes, then lets
 * more received bytes go into the room made. Returns 0, or -1 with errno set.
 */
static int on_stdout_writable(struct peer *p)
{
	static bool warned;

	/*
	 * TODO (step 5, "Printing what arrives"): byte_queue_peek() the oldest
	 * piece of p->to_stdout and write(2) it to STDOUT_FILENO.
	 * - -1 with EINTR: return 0;
	 * - -1 otherwise: set p->failed to "stdout" and return -1;
	 * - n >= 0: byte_queue_consume() the n bytes written (write(2) may take
	 *   fewer than you gave: the rest stays queued), then release_received(p):
	 *   there is room again for bytes held back. Return 0.
	 */
	p->failed = "on_stdout_writable";
	return not_implemented(__func__, &warned);
}

/*
 * Calls the handler of every slot that poll(2) reported ready in fds, reads
 * before writes. Returns 0, or -1 with errno set when a handler failed.
 */
static int dispatch(struct peer *p, const struct pollfd fds[SLOTS])
{
	static bool warned;

	/*
	 * TODO (step 4, "The poll loop"): for each slot, in this order
	 * (STDIN_IN, SOCKET_IN, SOCKET_OUT, STDOUT_OUT), if ready() says it is
	 * ready, call its handler: on_stdin_readable(), on_socket_readable(),
	 * on_socket_writable(), on_stdout_writable(). If a handler returns -1,
	 * return -1 at once. Else return 0. Reading the socket before writing
	 * to it matters: see the comment of ready().
	 */
	(void)p;
	(void)fds;
	(void)ready; /* delete these lines once you call them */
	(void)on_stdin_readable;
	(void)on_socket_readable;
	(void)on_socket_writable;
	(void)on_stdout_writable;
	p->failed = "dispatch";
	return not_implemented(__func__, &warned);
}

/*
 * The session: waits with poll(2) for what the peer wants, and dispatches what
 * is ready, until session_over(). Returns 0, or -1 with errno set and p->failed
 * naming the call that failed.
 */
static int run_session(struct peer *p)
{
	static bool warned;

	/*
	 * TODO (step 4, "The poll loop"): until session_over(p) says the
	 * session is over:
	 * - fill a struct pollfd array of SLOTS entries with watch();
	 * - call poll(2) on it, with no time-out (-1): it sleeps until a slot
	 *   is ready. If it fails with EINTR, go round again; if it fails
	 *   otherwise, set p->failed to "poll" and return -1;
	 * - call dispatch(); if it returns -1, return -1.
	 * Then return 0. Nothing else: the handlers do the work. See poll(2).
	 */
	(void)watch; /* delete these lines once you call them */
	(void)dispatch;
	(void)session_over;
	p->failed = "run_session";
	return not_implemented(__func__, &warned);
}

/*
 * Says how the session ended, on stderr, and returns the exit status: 1 when
 * run_session() failed (result -1), or when the other side was gone before all
 * of stdin was sent, unless it had sent the exit line; 0 otherwise.
 */
static int end_of_session(const struct peer *p, int result)
{
	if (result == -1) {
		warn("%s", p->failed);
		return 1;
	}
	if (p->exit_received) {
		warnx("the other side ended the session");
		return 0;
	}
	if (p->gone) {
		warnx("send: %s: the other side is gone, the rest of stdin was not sent",
		      strerror(p->gone_errno));
		return 1;
	}
	return 0;
}

int main(int argc, char *argv[])
{
	const char *addr = NULL;
	const char *name, *port, *failed = "";
	bool listening = false;
	int opt, fd, gai_error, status;
	struct peer p;

	while ((opt = getopt(argc, argv, "lb:")) != -1) {
		switch (opt) {
		case 'l':
			listening = true;
			break;
		case 'b':
			addr = optarg;
			break;
		default:
			usage();
		}
	}
	if (argc - optind != (listening ? 1 : 2) || (addr != NULL && !listening))
		usage();
	name = listening ? (addr != NULL ? addr : "127.0.0.1") : argv[optind];
	port = argv[argc - 1];

	if (ignore_sigpipe() == -1)
		err(1, "sigaction");
	if (listening)
		fd = open_listener(name, port, BACKLOG, &gai_error);
	else
		fd = connect_to(name, port, &gai_error);
	if (fd == -1 && gai_error != 0)
		errx(1, "%s:%s: %s", name, port, gai_strerror(gai_error));
	if (fd == -1)
		err(1, "%s %s:%s", listening ? "cannot listen on" : "connect", name,
		    port);
	if (listening && (fd = accept_one(fd, &failed)) == -1)
		err(1, "%s", failed);

	peer_init(&p, fd);
	status = end_of_session(&p, run_session(&p));
	if (close(fd) == -1) {
		warn("close");
		status = 1;
	}
	return status;
}
