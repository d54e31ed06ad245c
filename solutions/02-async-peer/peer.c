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
	switch (s) {
	case STDIN_IN:
		return !p->stdin_ended && other_side_takes(p) &&
		       p->from_stdin.len < sizeof p->from_stdin.buf;
	case SOCKET_IN:
		return !p->socket_ended && p->from_socket.len < sizeof p->from_socket.buf;
	case SOCKET_OUT:
		/* Also after the other side's end of stream: that ends only its half. */
		return other_side_takes(p) && byte_queue_len(&p->to_socket) > 0;
	case STDOUT_OUT:
		return byte_queue_len(&p->to_stdout) > 0;
	default:
		return false;
	}
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
	if (!p->stdin_ended || p->shut_down || p->from_stdin.len > 0 ||
	    byte_queue_len(&p->to_socket) > 0)
		return 0;
	if (shutdown(p->sock, SHUT_WR) == -1) {
		p->failed = "shutdown";
		return -1;
	}
	p->shut_down = true;
	return 0;
}

/*
 * Moves to p->to_socket each chunk of p->from_stdin that the stdin rule
 * releases, while the queue has room for it. The exit line goes too, and ends
 * stdin: what was typed after it is dropped.
 */
static void release_stdin(struct peer *p)
{
	struct held *h = &p->from_stdin;
	size_t n;

	while (!p->exit_typed &&
	       (n = chunk_to_send(h->buf, h->len, p->stdin_ended)) > 0 &&
	       n <= byte_queue_space(&p->to_socket)) {
		p->exit_typed = !h->mid_line && is_exit_line(h->buf, n);
		byte_queue_push(&p->to_socket, h->buf, n);
		let_go(h, n);
	}
	if (p->exit_typed) {
		p->stdin_ended = true;
		h->len = 0;
	}
}

/*
 * Slot STDIN_IN: reads what stdin has into p->from_stdin, and sends on what the
 * stdin rule releases. Returns 0, or -1 with errno set.
 */
static int on_stdin_readable(struct peer *p)
{
	struct held *h = &p->from_stdin;
	ssize_t n = read(STDIN_FILENO, h->buf + h->len, sizeof h->buf - h->len);

	if (n == -1 && errno == EINTR)
		return 0; /* a signal came first: poll(2) will say again */
	if (n == -1) {
		p->failed = "stdin";
		return -1;
	}
	if (n == 0)
		p->stdin_ended = true;
	h->len += (size_t)n;
	release_stdin(p);
	return p->stdin_ended ? half_close_when_done(p) : 0;
}

/*
 * Slot SOCKET_OUT: sends as much of p->to_socket as the socket takes now, then
 * lets more stdin go into the room made. Returns 0, or -1 with errno set.
 */
static int on_socket_writable(struct peer *p)
{
	const char *data;
	size_t len = byte_queue_peek(&p->to_socket, &data);
	/* MSG_DONTWAIT: take what fits now and return; never wait for room. */
	ssize_t n = send(p->sock, data, len, MSG_DONTWAIT);

	if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
		return 0; /* no room after all: poll(2) will say when there is */
	if (n == -1 && (errno == EPIPE || errno == ECONNRESET)) {
		/* The other side is gone. Not over yet: what it sent before may still
		 * wait in our receive buffer, and may even end with its exit line. */
		p->gone = true;
		p->gone_errno = errno;
		return 0;
	}
	if (n == -1) {
		p->failed = "send";
		return -1;
	}
	byte_queue_consume(&p->to_socket, (size_t)n);
	release_stdin(p);
	return p->stdin_ended ? half_close_when_done(p) : 0;
}

/*
 * Moves to p->to_stdout each chunk of p->from_socket that the receive rule
 * releases, while the queue has room for it. The exit line is not printed: it
 * ends the socket's stream, and what came after it is dropped.
 */
static void release_received(struct peer *p)
{
	struct held *h = &p->from_socket;
	size_t n;

	while ((n = chunk_to_print(h->buf, h->len, h->mid_line, p->socket_ended)) > 0 &&
	       n <= byte_queue_space(&p->to_stdout)) {
		if (!h->mid_line && is_exit_line(h->buf, n)) {
			p->exit_received = true;
			p->socket_ended = true;
			h->len = 0;
			return;
		}
		byte_queue_push(&p->to_stdout, h->buf, n);
		let_go(h, n);
	}
}

/*
 * Slot SOCKET_IN: receives what the socket has into p->from_socket, and prints
 * what the receive rule releases. Returns 0, or -1 with errno set.
 */
static int on_socket_readable(struct peer *p)
{
	struct held *h = &p->from_socket;
	ssize_t n = recv(p->sock, h->buf + h->len, sizeof h->buf - h->len, 0);

	if (n == -1 && errno == EINTR)
		return 0;
	if (n == -1 && errno == ECONNRESET && p->gone)
		n = 0; /* the reset a send already reported: the end of what came */
	if (n == -1) {
		p->failed = "recv"; /* ECONNRESET: the other side reset the connection */
		return -1;
	}
	if (n == 0)
		p->socket_ended = true; /* the other side shut down its sending half */
	h->len += (size_t)n;
	release_received(p);
	return 0;
}

/*
 * Slot STDOUT_OUT: writes as much of p->to_stdout as stdout takes, then lets
 * more received bytes go into the room made. Returns 0, or -1 with errno set.
 */
static int on_stdout_writable(struct peer *p)
{
	const char *data;
	size_t len = byte_queue_peek(&p->to_stdout, &data);
	ssize_t n = write(STDOUT_FILENO, data, len);

	if (n == -1 && errno == EINTR)
		return 0;
	if (n == -1) {
		p->failed = "stdout";
		return -1;
	}
	byte_queue_consume(&p->to_stdout, (size_t)n);
	release_received(p);
	return 0;
}

/*
 * Calls the handler of every slot that poll(2) reported ready in fds, reads
 * before writes. Returns 0, or -1 with errno set when a handler failed.
 */
static int dispatch(struct peer *p, const struct pollfd fds[SLOTS])
{
	if (ready(p, fds, STDIN_IN) && on_stdin_readable(p) == -1)
		return -1;
	if (ready(p, fds, SOCKET_IN) && on_socket_readable(p) == -1)
		return -1;
	if (ready(p, fds, SOCKET_OUT) && on_socket_writable(p) == -1)
		return -1;
	if (ready(p, fds, STDOUT_OUT) && on_stdout_writable(p) == -1)
		return -1;
	return 0;
}

/*
 * The session: waits with poll(2) for what the peer wants, and dispatches what
 * is ready, until session_over(). Returns 0, or -1 with errno set and p->failed
 * naming the call that failed.
 */
static int run_session(struct peer *p)
{
	struct pollfd fds[SLOTS];

	while (!session_over(p)) {
		watch(p, fds);
		if (poll(fds, SLOTS, -1) == -1) {
			if (errno == EINTR)
				continue;
			p->failed = "poll";
			return -1;
		}
		if (dispatch(p, fds) == -1)
			return -1;
	}
	return 0;
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
