/*
 * chat_server.c - a chat server for many clients at once, over framed messages.
 *
 *   usage: chat-server [-b ADDR] PORT
 *
 * One poll(2) loop watches the listening socket and every client, and hands
 * each event to a small handler: one process, one thread, one order of events
 * for everybody (README.md, "One event loop"). Each client has a decoder for
 * the frames it sends (chat_frame.h) and a queue for the bytes it has not read
 * yet (out_queue.h). A client whose queue would grow past 1 MiB is dropped: a
 * slow reader never slows the others (README.md, "Slow readers").
 */
#include "chat_frame.h"
#include "net.h"
#include "out_queue.h"

#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define OUT_QUEUE_LIMIT (1024 * 1024) /* bytes queued for one client, at most */
#define RECV_CHUNK	16384	      /* bytes read from one client per event */
#define DRAIN_LIMIT	(64 * 1024)   /* bytes discarded after ERROR, at most */
#define LINGER_MS	1000	      /* how long a client may take to leave */
#define ACCEPT_BURST	64	      /* connections accepted per event */

/* Where a client is in its life. */
enum client_state {
	GREETING, /* connected, no HELLO yet */
	JOINED,	  /* its HELLO was accepted: it sends and receives messages */
	CLOSING,  /* leaving: its last bytes go out, what it sends is discarded */
	GONE	  /* its socket is closed; the struct is freed after this round */
};

/* One connected client. */
struct client {
	int fd;
	enum client_state state;
	char name[CHAT_NAME_MAX]; /* when JOINED (and after): its name */
	size_t name_len;
	struct frame_decoder in; /* the frame it is sending */
	struct out_queue out;	 /* bytes for it that send(2) has not taken */
	struct client *older;	 /* the users joined before it and after it */
	struct client *newer;
	struct client *next_drop; /* the next dropped client to announce */
	bool peer_ended;	  /* CLOSING: its end of stream was read */
	bool shut_down;		  /* CLOSING: our sending half is shut down */
	size_t discarded;	  /* CLOSING: bytes it sent since, discarded */
	long long deadline;	  /* CLOSING: closed at this time (ms) at the latest */
};

/* Everything the server knows. */
struct server {
	int lfd;		  /* the listening socket */
	bool accepting;		  /* false after EMFILE, until a client leaves */
	struct client **clients;  /* every client, in the order of fds[1...] */
	size_t count;		  /* clients in use */
	size_t cap;		  /* room in clients[] and fds[] (fds has one more) */
	struct pollfd *fds;	  /* [0] the listener, [1 + i] clients[i] */
	struct client *oldest;	  /* the users joined, oldest first */
	struct client *newest;	  /* ... and the last to join */
	struct client *drop_head; /* dropped users whose LEAVE is still to go */
	struct client *drop_tail;
};

static volatile sig_atomic_t stop_requested; /* set by SIGINT and SIGTERM */

/* Prints the usage line to stderr and exits with status 2. */
static void usage(void)
{
	fprintf(stderr, "usage: chat-server [-b ADDR] PORT\n");
	exit(2);
}

/* Signal handler: asks the loop to stop (only a flag: async-signal-safe). */
static void request_stop(int signo)
{
	(void)signo;
	stop_requested = 1;
}

/*
 * SIGINT and SIGTERM set stop_requested, without SA_RESTART so that a blocked
 * poll(2) returns EINTR; SIGPIPE is ignored (a send to a client that left fails
 * with EPIPE instead of killing the server). Returns 0, or -1 with errno set.
 */
static int install_signal_handlers(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof sa);
	sigemptyset(&sa.sa_mask);
	sa.sa_handler = request_stop;
	sa.sa_flags = 0; /* no SA_RESTART: poll(2) must return EINTR */
	if (sigaction(SIGINT, &sa, NULL) == -1 || sigaction(SIGTERM, &sa, NULL) == -1)
		return -1;
	sa.sa_handler = SIG_IGN;
	return sigaction(SIGPIPE, &sa, NULL);
}

/*
 * Raises the soft limit on open descriptors to the hard limit: each client
 * takes one, and the default soft limit (often 1024) is below 1,000 clients.
 * Returns 0, or -1 with errno set.
 */
static int raise_fd_limit(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == -1)
		return -1;
	if (rl.rlim_cur == rl.rlim_max)
		return 0;
	rl.rlim_cur = rl.rlim_max;
	return setrlimit(RLIMIT_NOFILE, &rl);
}

/* Returns the time in milliseconds on a clock that never jumps. */
static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts); /* cannot fail with this clock */
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/*
 * Prints "chat-server: listening on ADDR:PORT" to stderr, the address read
 * back from the socket. Returns 0, or -1 with errno set.
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
	warnx("listening on %s", where);
	return 0;
}

/*
 * Closes c's socket and marks it GONE: the struct is freed at the end of the
 * round (sweep()), when no handler can hold it any more. Its queue goes now.
 */
static void close_client(struct server *s, struct client *c)
{
	close(c->fd); /* nothing to do on failure: the descriptor is gone anyway */
	c->fd = -1;
	c->state = GONE;
	out_queue_free(&c->out);
	s->accepting = true; /* a descriptor is free again (see on_listener) */
}

/* Takes c out of the list of users; its name is free again. */
static void unlink_user(struct server *s, struct client *c)
{
	if (c->older != NULL)
		c->older->newer = c->newer;
	else
		s->oldest = c->newer;
	if (c->newer != NULL)
		c->newer->older = c->older;
	else
		s->newest = c->older;
	c->older = c->newer = NULL;
}

/* Puts c at the end of the list of users: it is the newest. */
static void link_user(struct server *s, struct client *c)
{
	c->older = s->newest;
	c->newer = NULL;
	if (s->newest != NULL)
		s->newest->newer = c;
	else
		s->oldest = c;
	s->newest = c;
	c->state = JOINED;
}

/*
 * Drops the user c, whose queue cannot take a frame: no ERROR, its queue
 * discarded, its socket closed. Its LEAVE goes out once the frame being handed
 * out has reached everyone (publish()).
 */
static void drop_user(struct server *s, struct client *c)
{
	unlink_user(s, c);
	close_client(s, c);
	c->next_drop = NULL;
	if (s->drop_tail != NULL)
		s->drop_tail->next_drop = c;
	else
		s->drop_head = c;
	s->drop_tail = c;
}

/*
 * Adds the frame (len bytes) to the queue of the user c, or drops c when that
 * would take its queue past OUT_QUEUE_LIMIT (or memory runs out).
 */
static void deliver(struct server *s, struct client *c, const void *frame, size_t len)
{
	if (out_queue_len(&c->out) + len > OUT_QUEUE_LIMIT ||
	    out_queue_push(&c->out, frame, len) == -1)
		drop_user(s, c);
}

/* Adds the frame (len bytes) to the queue of every user but except (or NULL). */
static void fan_out(struct server *s, const void *frame, size_t len,
		    const struct client *except)
{
	struct client *c, *next;

	for (c = s->oldest; c != NULL; c = next) {
		next = c->newer; /* deliver() may take c out of the list */
		if (c != except)
			deliver(s, c, frame, len);
	}
}

/*
 * Sends the LEAVE of each user dropped since the last call, in turn, to the
 * users left (each LEAVE may drop more users, whose LEAVE then follows).
 */
static void announce_drops(struct server *s)
{
	uint8_t leave[FRAME_HEADER_LEN + 1 + CHAT_NAME_MAX];
	struct client *gone;
	ssize_t n;

	while ((gone = s->drop_head) != NULL) {
		s->drop_head = gone->next_drop;
		if (s->drop_head == NULL)
			s->drop_tail = NULL;
		n = frame_encode(FRAME_LEAVE, gone->name, gone->name_len, leave,
				 sizeof leave);
		fan_out(s, leave, (size_t)n, NULL); /* a name always fits */
	}
}

/*
 * Sends the frame (len bytes) to every user but except (or NULL), then the
 * LEAVE of each user that this dropped: one event, then the next.
 */
static void publish(struct server *s, const void *frame, size_t len,
		    const struct client *except)
{
	fan_out(s, frame, len, except);
	announce_drops(s);
}

/* Sends LEAVE(name of c) to every user; c has been taken out of the list. */
static void publish_leave(struct server *s, const struct client *c)
{
	uint8_t leave[FRAME_HEADER_LEN + 1 + CHAT_NAME_MAX];
	ssize_t n = frame_encode(FRAME_LEAVE, c->name, c->name_len, leave, sizeof leave);

	publish(s, leave, (size_t)n, NULL);
}

/*
 * c has vanished (a reset, a failed send): closes it now and, if it had joined,
 * tells the others.
 */
static void client_gone(struct server *s, struct client *c)
{
	bool was_user = c->state == JOINED;

	if (was_user)
		unlink_user(s, c);
	close_client(s, c);
	if (was_user)
		publish_leave(s, c);
}

/*
 * c leaves gently: if it had joined, the others get its LEAVE; then it is
 * CLOSING: the bytes queued for it still go out, for at most LINGER_MS.
 */
static void start_closing(struct server *s, struct client *c)
{
	bool was_user = c->state == JOINED;

	if (was_user)
		unlink_user(s, c);
	c->state = CLOSING;
	c->deadline = now_ms() + LINGER_MS;
	if (was_user)
		publish_leave(s, c);
}

/*
 * c broke the protocol: ERROR(reason) is the last frame it gets, it leaves
 * (start_closing()), and once the ERROR is out its sending half is shut down.
 */
static void reject(struct server *s, struct client *c, const char *reason)
{
	uint8_t error[FRAME_HEADER_LEN + 1 + 64];
	ssize_t n =
		frame_encode(FRAME_ERROR, reason, strlen(reason), error, sizeof error);

	start_closing(s, c);
	/* Past the limit if need be: a few bytes, and nothing follows them. */
	if (out_queue_push(&c->out, error, (size_t)n) == -1)
		close_client(s, c);
}

/* Tells whether a user has the name (len bytes): names compare byte for byte. */
static bool name_taken(const struct server *s, const uint8_t *name, size_t len)
{
	for (const struct client *c = s->oldest; c != NULL; c = c->newer) {
		if (c->name_len == len && memcmp(c->name, name, len) == 0)
			return true;
	}
	return false;
}

/*
 * HELLO from c (not joined yet): c gets the JOIN of each user, oldest first,
 * then WELCOME; then it joins, and the others get its JOIN.
 */
static void on_hello(struct server *s, struct client *c, const struct frame *f)
{
	uint8_t frame[FRAME_HEADER_LEN + 1 + CHAT_NAME_MAX];
	ssize_t n;

	if (!chat_name_valid(f->payload, f->len)) {
		reject(s, c, "invalid name");
		return;
	}
	if (name_taken(s, f->payload, f->len)) {
		reject(s, c, "name taken");
		return;
	}
	memcpy(c->name, f->payload, f->len);
	c->name_len = f->len;
	link_user(s, c); /* from now on, deliver() may drop it */
	for (struct client *u = s->oldest; u != c && c->state == JOINED; u = u->newer) {
		n = frame_encode(FRAME_JOIN, u->name, u->name_len, frame, sizeof frame);
		deliver(s, c, frame, (size_t)n);
	}
	n = frame_encode(FRAME_WELCOME, NULL, 0, frame, sizeof frame);
	if (c->state == JOINED)
		deliver(s, c, frame, (size_t)n);
	n = frame_encode(FRAME_JOIN, c->name, c->name_len, frame, sizeof frame);
	if (c->state == JOINED)
		publish(s, frame, (size_t)n, c);
	else
		announce_drops(s); /* c was dropped already: only its LEAVE goes */
}

/* SEND from the user c: MSG(name, text) goes to every user, c included. */
static void on_send(struct server *s, struct client *c, const struct frame *f)
{
	uint8_t msg[FRAME_HEADER_LEN + 2 + CHAT_NAME_MAX + CHAT_TEXT_MAX];
	ssize_t n;

	if (!chat_text_valid(f->payload, f->len)) {
		reject(s, c, "protocol error");
		return;
	}
	n = frame_encode_msg(c->name, c->name_len, f->payload, f->len, msg, sizeof msg);
	publish(s, msg, (size_t)n, NULL);
}

/* Handles one whole frame f from c, which is GREETING or JOINED. */
static void handle_frame(struct server *s, struct client *c, const struct frame *f)
{
	if (c->state == GREETING && f->type == FRAME_HELLO)
		on_hello(s, c, f);
	else if (c->state == JOINED && f->type == FRAME_SEND)
		on_send(s, c, f);
	else
		reject(s, c, "protocol error"); /* any other type, or out of turn */
}

/*
 * Decodes the len bytes c sent and handles each whole frame, in order, until
 * c stops being GREETING or JOINED (it broke the protocol, or was dropped).
 */
static void handle_bytes(struct server *s, struct client *c, const uint8_t *data,
			 size_t len)
{
	struct frame f;
	size_t used;
	int rc;

	while (len > 0 && (c->state == GREETING || c->state == JOINED)) {
		rc = frame_decode(&c->in, data, len, &used, &f);
		if (rc == -1) {
			reject(s, c, "protocol error"); /* a bad length */
			return;
		}
		data += used;
		len -= used;
		if (rc == 1)
			handle_frame(s, c, &f);
	}
}

/*
 * c is CLOSING and sent n more bytes (0: its end of stream): they are
 * discarded, and c is closed once it has ended and its queue is empty, or once
 * it has sent DRAIN_LIMIT bytes.
 */
static void discard(struct server *s, struct client *c, size_t n)
{
	c->discarded += n;
	if (n == 0)
		c->peer_ended = true;
	if (c->discarded >= DRAIN_LIMIT || (c->peer_ended && out_queue_len(&c->out) == 0))
		close_client(s, c);
}

/*
 * Reads what c has sent (or its end, or its error) and acts on it: frames are
 * handled, the end of stream starts its leaving, an error closes it at once.
 */
static void on_client_readable(struct server *s, struct client *c)
{
	uint8_t buf[RECV_CHUNK];
	ssize_t n = recv(c->fd, buf, sizeof buf, MSG_DONTWAIT);

	if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
		return; /* nothing after all: poll(2) will say again */
	if (n == -1) {
		client_gone(s, c); /* ECONNRESET, mostly */
	} else if (c->state == CLOSING) {
		discard(s, c, (size_t)n);
	} else if (n > 0) {
		handle_bytes(s, c, buf, (size_t)n);
	} else {
		start_closing(s, c); /* end of stream: every frame before it is handled */
		discard(s, c, 0);
	}
}

/*
 * Sends what c's queue holds, as much as its socket takes now. A CLOSING client
 * whose queue is empty is shut down (its ERROR is out whole) or closed.
 */
static void on_client_writable(struct server *s, struct client *c)
{
	const char *data;
	size_t len = out_queue_peek(&c->out, &data);
	ssize_t n = send(c->fd, data, len, MSG_DONTWAIT | MSG_NOSIGNAL);

	if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
		return;
	if (n == -1) {
		client_gone(s, c); /* EPIPE, ECONNRESET: it is not there */
		return;
	}
	out_queue_consume(&c->out, (size_t)n);
	if (c->state != CLOSING || out_queue_len(&c->out) > 0)
		return;
	/* The ERROR is out: shut down, then wait for its end, DRAIN_LIMIT bytes
	   or the deadline (or close now if it has ended already). */
	if (c->peer_ended || (!c->shut_down && shutdown(c->fd, SHUT_WR) == -1))
		close_client(s, c);
	else
		c->shut_down = true;
}

/*
 * Adds a client for the connected socket fd. Returns 0, or -1 with errno set
 * (ENOMEM); fd is then still open.
 */
static int add_client(struct server *s, int fd)
{
	struct client *c;

	if (s->count == s->cap) {
		size_t cap = s->cap * 2;
		struct client **clients = realloc(s->clients, cap * sizeof *clients);
		struct pollfd *fds =
			clients == NULL ? NULL : malloc((cap + 1) * sizeof *fds);

		if (clients != NULL)
			s->clients =
				clients; /* the old array is gone: keep the new one */
		if (fds == NULL)
			return -1;
		free(s->fds);
		s->fds = fds;
		s->cap = cap;
	}
	if ((c = calloc(1, sizeof *c)) == NULL)
		return -1;
	c->fd = fd;
	c->state = GREETING;
	frame_decoder_init(&c->in);
	out_queue_init(&c->out);
	s->clients[s->count++] = c;
	return 0;
}

/*
 * The listening socket is readable: accepts up to ACCEPT_BURST connections.
 * No accept(2) error is fatal. Out of descriptors (EMFILE, ENFILE) or memory,
 * the server stops watching the listener until a client leaves, instead of
 * being woken again and again for a connection it cannot take.
 */
static void on_listener(struct server *s)
{
	for (int i = 0; i < ACCEPT_BURST; i++) {
		int fd = accept(s->lfd, NULL, NULL);

		if (fd == -1 && (errno == EMFILE || errno == ENFILE || errno == ENOBUFS ||
				 errno == ENOMEM)) {
			warn("accept (waiting for a client to leave)");
			s->accepting = false;
			return;
		}
		if (fd == -1 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return; /* no connection waits any more */
		if (fd == -1)
			continue; /* ECONNABORTED, EINTR...: that one is lost, go on */
		if (add_client(s, fd) == -1) {
			warn("accept");
			close(fd);
			s->accepting = false;
			return;
		}
	}
}

/* What poll(2) should wait for on c: nothing once it is GONE. */
static short client_events(const struct client *c)
{
	short events = 0;

	if (c->state == GONE)
		return 0;
	if (!c->peer_ended)
		events |= POLLIN;
	if (out_queue_len(&c->out) > 0)
		events |= POLLOUT;
	return events;
}

/* Fills s->fds for poll(2): the listener, then each client. Returns how many. */
static nfds_t watch(struct server *s)
{
	s->fds[0] = (struct pollfd){ .fd = s->accepting ? s->lfd : -1, .events = POLLIN };
	for (size_t i = 0; i < s->count; i++) {
		struct client *c = s->clients[i];

		s->fds[1 + i] =
			(struct pollfd){ .fd = c->fd, .events = client_events(c) };
	}
	return (nfds_t)(1 + s->count);
}

/*
 * Returns how long poll(2) may sleep, in milliseconds: until the first CLOSING
 * client's deadline, or forever (-1).
 */
static int poll_timeout(const struct server *s)
{
	long long first = -1, now = now_ms();

	for (size_t i = 0; i < s->count; i++) {
		const struct client *c = s->clients[i];

		if (c->state == CLOSING && (first == -1 || c->deadline < first))
			first = c->deadline;
	}
	if (first == -1)
		return -1;
	return first <= now ? 0 : (int)(first - now);
}

/*
 * Hands each event of the round to its handler: for the first `polled` clients
 * (those in fds), reads then writes; then the listener. A handler may close
 * any client: a GONE one is skipped.
 */
static void dispatch(struct server *s, size_t polled)
{
	const short readable = POLLIN | POLLHUP | POLLERR;

	for (size_t i = 0; i < polled; i++) {
		struct client *c = s->clients[i];
		short revents = s->fds[1 + i].revents;

		if ((revents & readable) && (client_events(c) & POLLIN))
			on_client_readable(s, c);
		if ((revents & (POLLOUT | POLLERR)) && (client_events(c) & POLLOUT))
			on_client_writable(s, c);
	}
	if (s->fds[0].revents & POLLIN)
		on_listener(s);
}

/* Closes every CLOSING client whose deadline has passed. */
static void expire(struct server *s)
{
	long long now = now_ms();

	for (size_t i = 0; i < s->count; i++) {
		struct client *c = s->clients[i];

		if (c->state == CLOSING && c->deadline <= now)
			close_client(s, c);
	}
}

/* Frees the GONE clients and closes the gaps they leave in s->clients. */
static void sweep(struct server *s)
{
	size_t kept = 0;

	for (size_t i = 0; i < s->count; i++) {
		if (s->clients[i]->state == GONE)
			free(s->clients[i]);
		else
			s->clients[kept++] = s->clients[i];
	}
	s->count = kept;
}

/*
 * Prepares s for the listening socket lfd. Returns 0, or -1 with errno set
 * (ENOMEM).
 */
static int server_init(struct server *s, int lfd)
{
	memset(s, 0, sizeof *s);
	s->lfd = lfd;
	s->accepting = true;
	s->cap = 64;
	s->clients = malloc(s->cap * sizeof *s->clients);
	s->fds = malloc((s->cap + 1) * sizeof *s->fds);
	if (s->clients == NULL || s->fds == NULL) {
		free(s->clients);
		free(s->fds);
		return -1;
	}
	return 0;
}

/* Closes every client and the listener, and frees what s holds. */
static void server_free(struct server *s)
{
	for (size_t i = 0; i < s->count; i++) {
		if (s->clients[i]->state != GONE)
			close_client(s, s->clients[i]);
	}
	sweep(s);
	free(s->clients);
	free(s->fds);
	close(s->lfd);
}

/*
 * The loop: waits with poll(2), dispatches, closes what must be closed, until
 * SIGINT or SIGTERM. Returns 0, or -1 with errno set if poll(2) fails.
 */
static int serve(struct server *s)
{
	while (!stop_requested) {
		nfds_t nfds = watch(s);

		if (poll(s->fds, nfds, poll_timeout(s)) == -1) {
			if (errno == EINTR)
				continue; /* a signal: the loop condition decides */
			return -1;
		}
		dispatch(s, nfds - 1);
		expire(s);
		sweep(s);
	}
	return 0;
}

int main(int argc, char *argv[])
{
	const char *addr = "127.0.0.1";
	struct server s;
	int opt, lfd, gai_error, status;

	while ((opt = getopt(argc, argv, "b:")) != -1) {
		if (opt != 'b')
			usage();
		addr = optarg;
	}
	if (argc - optind != 1)
		usage();
	if (install_signal_handlers() == -1)
		err(1, "sigaction");
	if (raise_fd_limit() == -1)
		warn("setrlimit"); /* fewer clients at once, but the server still works */
	lfd = open_listener(addr, argv[optind], SOMAXCONN, &gai_error);
	if (lfd == -1 && gai_error != 0)
		errx(1, "%s:%s: %s", addr, argv[optind], gai_strerror(gai_error));
	if (lfd == -1)
		err(1, "cannot listen on %s:%s", addr, argv[optind]);
	/* Non-blocking: a connection reset before accept(2) must not block it. */
	if (fcntl(lfd, F_SETFL, O_NONBLOCK) == -1 || announce(lfd) == -1)
		err(1, "listening socket");
	if (server_init(&s, lfd) == -1)
		err(1, "malloc");
	status = serve(&s) == 0 ? 0 : 1;
	if (status != 0)
		warn("poll");
	server_free(&s);
	return status;
}
