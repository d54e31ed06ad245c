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
	static bool warned;

	/*
	 * TODO (step 7, "Slow readers: the 1 MiB rule"): take c out of the list
	 * of users (unlink_user()), close it (close_client()), and append it to
	 * the FIFO of drops (s->drop_head, s->drop_tail, c->next_drop): its LEAVE
	 * is sent later, by announce_drops(), once the frame being handed out
	 * has reached everyone.
	 */
	(void)s;
	(void)c;
	not_implemented(__func__, &warned);
}

/*
 * Adds the frame (len bytes) to the queue of the user c, or drops c when that
 * would take its queue past OUT_QUEUE_LIMIT (or memory runs out).
 */
static void deliver(struct server *s, struct client *c, const void *frame, size_t len)
{
	static bool warned;

	/*
	 * TODO (step 7, "Slow readers: the 1 MiB rule"): if the frame would take
	 * c's queue past OUT_QUEUE_LIMIT (out_queue_len() + len), or
	 * out_queue_push() fails, drop_user(); else the frame is queued.
	 */
	(void)s;
	(void)c;
	(void)frame;
	(void)len;
	(void)drop_user; /* delete this line once you call it */
	not_implemented(__func__, &warned);
}

/* Adds the frame (len bytes) to the queue of every user but except (or NULL). */
static void fan_out(struct server *s, const void *frame, size_t len,
		    const struct client *except)
{
	static bool warned;

	/*
	 * TODO (step 5, "One event, everyone"): deliver() the frame to every
	 * user from s->oldest on, except `except`. deliver() may take the user
	 * out of the list: read c->newer before calling it.
	 */
	(void)s;
	(void)frame;
	(void)len;
	(void)except;
	not_implemented(__func__, &warned);
}

/*
 * Sends the LEAVE of each user dropped since the last call, in turn, to the
 * users left (each LEAVE may drop more users, whose LEAVE then follows).
 */
static void announce_drops(struct server *s)
{
	static bool warned;

	/*
	 * TODO (step 7, "Slow readers: the 1 MiB rule"): while the FIFO of drops
	 * is not empty, take its first client out of it and fan_out() its
	 * LEAVE(name) (frame_encode()) to every user. Each LEAVE may drop more
	 * users: they join the end of the FIFO, and their LEAVE follows.
	 */
	(void)s;
	not_implemented(__func__, &warned);
}

/*
 * Sends the frame (len bytes) to every user but except (or NULL), then the
 * LEAVE of each user that this dropped: one event, then the next.
 */
static void publish(struct server *s, const void *frame, size_t len,
		    const struct client *except)
{
	static bool warned;

	/*
	 * TODO (step 5, "One event, everyone"): fan_out() the frame, then
	 * announce_drops(): the LEAVEs of the users this dropped are the next
	 * events.
	 */
	(void)s;
	(void)frame;
	(void)len;
	(void)except;
	(void)fan_out; /* delete these lines once you call them */
	(void)announce_drops;
	not_implemented(__func__, &warned);
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
	static bool warned;

	/*
	 * TODO (step 6, "Errors and leaving"): if c was JOINED, take it out of
	 * the list (unlink_user()); close it (close_client()); then, if it was
	 * JOINED, publish_leave(). In that order: c must not get its own LEAVE.
	 */
	(void)s;
	(void)c;
	(void)unlink_user; /* delete these lines once you call them */
	(void)publish_leave;
	not_implemented(__func__, &warned);
}

/*
 * c leaves gently: if it had joined, the others get its LEAVE; then it is
 * CLOSING: the bytes queued for it still go out, for at most LINGER_MS.
 */
static void start_closing(struct server *s, struct client *c)
{
	static bool warned;

	/*
	 * TODO (step 6, "Errors and leaving"): as client_gone(), but instead of
	 * closing c, set its state to CLOSING and its deadline to now_ms() +
	 * LINGER_MS: what is queued for it still goes out.
	 */
	(void)s;
	(void)c;
	not_implemented(__func__, &warned);
}

/*
 * c broke the protocol: ERROR(reason) is the last frame it gets, it leaves
 * (start_closing()), and once the ERROR is out its sending half is shut down.
 */
static void reject(struct server *s, struct client *c, const char *reason)
{
	static bool warned;

	/*
	 * TODO (step 6, "Errors and leaving"): frame_encode() ERROR(reason),
	 * start_closing(), then push the ERROR onto c's queue (past the limit if
	 * need be; close_client() if the push fails). on_client_writable() shuts
	 * the sending half down once it is sent.
	 */
	(void)s;
	(void)c;
	(void)reason;
	(void)start_closing; /* delete this line once you call it */
	not_implemented(__func__, &warned);
}

/* Tells whether a user has the name (len bytes): names compare byte for byte. */
static bool name_taken(const struct server *s, const uint8_t *name, size_t len)
{
	static bool warned;

	/*
	 * TODO (step 4, "Joining"): true if a user in the list (s->oldest on)
	 * has a name of len bytes equal to name (memcmp(3): byte for byte).
	 */
	(void)s;
	(void)name;
	(void)len;
	not_implemented(__func__, &warned);
	return false;
}

/*
 * HELLO from c (not joined yet): c gets the JOIN of each user, oldest first,
 * then WELCOME; then it joins, and the others get its JOIN.
 */
static void on_hello(struct server *s, struct client *c, const struct frame *f)
{
	static bool warned;

	/*
	 * TODO (step 4, "Joining"): reject() with "invalid name" unless
	 * chat_name_valid(), with "name taken" if name_taken(). Else copy the
	 * name into c, link_user() it (it becomes the newest), and deliver() to
	 * it one JOIN per user older than it, oldest first, then WELCOME. Then
	 * publish() JOIN(its name) to every user but c. deliver() may drop c
	 * (1,000 JOINs are not many bytes, but check c->state): if it did,
	 * announce_drops() instead of the JOIN.
	 */
	(void)s;
	(void)c;
	(void)f;
	(void)reject; /* delete these lines once you call them */
	(void)name_taken;
	(void)link_user;
	(void)deliver;
	(void)publish;
	not_implemented(__func__, &warned);
}

/* SEND from the user c: MSG(name, text) goes to every user, c included. */
static void on_send(struct server *s, struct client *c, const struct frame *f)
{
	static bool warned;

	/*
	 * TODO (step 5, "One event, everyone"): reject() with "protocol error"
	 * unless chat_text_valid(); else frame_encode_msg() MSG(c's name, text)
	 * and publish() it to every user, c included.
	 */
	(void)s;
	(void)c;
	(void)f;
	not_implemented(__func__, &warned);
}

/* Handles one whole frame f from c, which is GREETING or JOINED. */
static void handle_frame(struct server *s, struct client *c, const struct frame *f)
{
	static bool warned;

	/*
	 * TODO (step 4, "Joining"): HELLO from a GREETING client goes to
	 * on_hello(), SEND from a JOINED one to on_send(); anything else (any
	 * other type, a second HELLO, a SEND before HELLO) is rejected with
	 * "protocol error".
	 */
	(void)s;
	(void)c;
	(void)f;
	(void)on_hello; /* delete these lines once you call them */
	(void)on_send;
	not_implemented(__func__, &warned);
}

/*
 * Decodes the len bytes c sent and handles each whole frame, in order, until
 * c stops being GREETING or JOINED (it broke the protocol, or was dropped).
 */
static void handle_bytes(struct server *s, struct client *c, const uint8_t *data,
			 size_t len)
{
	static bool warned;

	/*
	 * TODO (step 4, "Joining"): while bytes are left and c is GREETING or
	 * JOINED, frame_decode() them with c->in; -1 (a bad length) is a
	 * reject() with "protocol error"; skip the bytes it used; on 1,
	 * handle_frame(). Stop as soon as c leaves those states: what it sent
	 * after its error is not handled.
	 */
	(void)s;
	(void)c;
	(void)data;
	(void)len;
	(void)handle_frame; /* delete this line once you call it */
	not_implemented(__func__, &warned);
}

/*
 * c is CLOSING and sent n more bytes (0: its end of stream): they are
 * discarded, and c is closed once it has ended and its queue is empty, or once
 * it has sent DRAIN_LIMIT bytes.
 */
static void discard(struct server *s, struct client *c, size_t n)
{
	static bool warned;

	/*
	 * TODO (step 6, "Errors and leaving"): add n to c->discarded; n == 0 is
	 * c's end of stream: set c->peer_ended. Close c (close_client()) once it
	 * has discarded DRAIN_LIMIT bytes, or once it has ended and its queue is
	 * empty.
	 */
	(void)s;
	(void)c;
	(void)n;
	not_implemented(__func__, &warned);
}

/*
 * Reads what c has sent (or its end, or its error) and acts on it: frames are
 * handled, the end of stream starts its leaving, an error closes it at once.
 */
static void on_client_readable(struct server *s, struct client *c)
{
	static bool warned;

	/*
	 * TODO (step 4, "Joining"): recv(2) at most sizeof buf bytes from c->fd
	 * with MSG_DONTWAIT. Then:
	 * - -1 with EAGAIN, EWOULDBLOCK or EINTR: nothing to do;
	 * - -1 otherwise (ECONNRESET): client_gone();
	 * - c is CLOSING: discard() the n bytes (step 6);
	 * - n > 0: handle_bytes();
	 * - 0, its end of stream: start_closing(), then discard(s, c, 0).
	 */
	(void)s;
	(void)c;
	(void)handle_bytes; /* delete these lines once you call them */
	(void)client_gone;
	(void)discard;
	not_implemented(__func__, &warned);
}

/*
 * Sends what c's queue holds, as much as its socket takes now. A CLOSING client
 * whose queue is empty is shut down (its ERROR is out whole) or closed.
 */
static void on_client_writable(struct server *s, struct client *c)
{
	static bool warned;

	/*
	 * TODO (step 5, "One event, everyone"): out_queue_peek() c's queue and
	 * send(2) it with MSG_DONTWAIT | MSG_NOSIGNAL (never wait; no SIGPIPE).
	 * EAGAIN, EWOULDBLOCK, EINTR: nothing to do; another error:
	 * client_gone(). out_queue_consume() what went.
	 * (step 6) A CLOSING client whose queue is now empty: close it if it has
	 * ended (c->peer_ended), else shutdown(2) its sending half once
	 * (c->shut_down; close it if shutdown fails): its ERROR is out whole.
	 */
	(void)s;
	(void)c;
	not_implemented(__func__, &warned);
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
