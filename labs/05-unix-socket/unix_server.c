/*
 * unix_server.c - a local line service on an AF_UNIX stream socket.
 *
 *   usage: unix-server PATH
 *
 * It binds a socket file at PATH (mode 0600: only its owner may connect),
 * replaces a stale socket file left by a dead server but never a live server's
 * nor a file that is not a socket, and serves many clients at once with one
 * poll loop. Each client sends request lines (WHOAMI, ECHO, QUIT, WRITEFD) and
 * gets one reply line for each. SIGINT or SIGTERM stops it: it removes PATH if
 * PATH is still its own socket, and exits with 0.
 */
#include "net.h"
#include "request.h"
#include "unix_addr.h"

#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#define BACKLOG	     16
#define MAX_CLIENTS  64		  /* served at once; more wait in the backlog */
#define FDS_PER_RECV 8		  /* room for descriptors in one recvmsg(2) */
#define HELD_MAX     2		  /* descriptors awaiting their line: see hold_fds() */
#define DRAIN_MAX    (64 * 1024)  /* bytes discarded before closing a client */
#define REPLY_MAX    NET_LINE_MAX /* a reply is never longer than a request */

static volatile sig_atomic_t stop_requested; /* set by SIGINT and SIGTERM */

/* Descriptors that came with the bytes of one line, not yet handled. */
struct held_fds {
	size_t end;	/* offset in the line buffer of the last byte they came with */
	int fd;		/* the first of them; the others were closed at once */
	unsigned count; /* how many came */
};

struct client {
	int fd;
	struct ucred cred;     /* from SO_PEERCRED: who connected */
	struct line_buffer in; /* bytes received, not yet handled */
	struct held_fds held[HELD_MAX];
	size_t nheld;
	char out[REPLY_MAX]; /* the reply being sent */
	size_t out_len;	     /* its length */
	size_t out_sent;     /* how much of it send(2) has taken */
	bool at_end;	     /* the client has closed its sending half */
	bool closing;	     /* after QUIT or a long line: reply, shut down, drain */
	bool drained;	     /* shut down: only discarding what it still sends */
	size_t discarded;    /* bytes discarded while draining */
};

struct server {
	int lfd;
	struct client *clients[MAX_CLIENTS];
	size_t nclients;
	bool accept_paused; /* no free descriptor: stop polling lfd for a while */
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

/* Prints the usage line to stderr and exits with status 2. */
static void usage(void)
{
	fprintf(stderr, "usage: unix-server PATH\n");
	exit(2);
}

/* The handler of SIGINT and SIGTERM: only records the request, main acts on it. */
static void request_stop(int signo)
{
	(void)signo;
	stop_requested = 1;
}

/*
 * Makes SIGINT and SIGTERM set stop_requested and blocks them, saving the
 * mask from before in *unblocked for ppoll(2); ignores SIGPIPE.
 * Returns 0, or -1 with errno set.
 * The two signals are delivered only inside ppoll(2), which unblocks them
 * while it waits: one cannot slip in between the test of the flag and the wait.
 */
static int install_signal_handlers(sigset_t *unblocked)
{
	struct sigaction sa;
	sigset_t stops;

	memset(&sa, 0, sizeof sa);
	sigemptyset(&sa.sa_mask);
	sa.sa_handler = request_stop;
	if (sigaction(SIGINT, &sa, NULL) == -1 || sigaction(SIGTERM, &sa, NULL) == -1)
		return -1;
	sa.sa_handler = SIG_IGN;
	if (sigaction(SIGPIPE, &sa, NULL) == -1)
		return -1;
	sigemptyset(&stops);
	sigaddset(&stops, SIGINT);
	sigaddset(&stops, SIGTERM);
	return sigprocmask(SIG_BLOCK, &stops, unblocked);
}

/* Closes fd, keeping errno: for cleanup on a path that already failed. */
static void close_keeping_errno(int fd)
{
	int saved_errno = errno;

	close(fd);
	errno = saved_errno;
}

/*
 * Binds fd to addr with umask 0177, so that the socket file is created with
 * mode 0600 (only its owner may connect) and is never more open, not even for
 * an instant. Returns bind(2)'s result; errno as bind(2) set it.
 */
static int bind_private(int fd, const struct sockaddr_un *addr, socklen_t len)
{
	static bool warned;

	/*
	 * TODO (step 3, "Binding with mode 0600"): bind(2) fd to addr so that the
	 * socket file is born with mode 0600. bind creates the file with the
	 * mode 0777 minus the process's umask: set the umask to 0177 just
	 * before bind(2) and put the old one back just after (umask(2) returns
	 * it). Return what bind returned, with bind's errno: umask(2) never
	 * fails, but save errno around it anyway, as close_keeping_errno() does.
	 * A chmod(2) after bind would leave a moment when anyone may connect.
	 */
	(void)fd;
	(void)addr;
	(void)len;
	return not_implemented(__func__, &warned);
}

/*
 * Tells whether a server listens on the socket file at addr: 1 yes (connect
 * succeeds, or EAGAIN: its backlog is full), 0 no (ECONNREFUSED: a stale file
 * left by a server that died), -1 with errno set if the test itself failed.
 * The connect is non-blocking: a live server with a full backlog must not
 * make us wait.
 */
static int server_is_live(const struct sockaddr_un *addr, socklen_t len)
{
	static bool warned;

	/*
	 * TODO (step 4, "Stale or live"): tell whether a server
	 * listens at addr. Make a new AF_UNIX stream socket with SOCK_NONBLOCK
	 * (a live server whose backlog is full must not make you wait) and
	 * connect(2) it to addr. Success, EAGAIN or EINPROGRESS: return 1 (live).
	 * ECONNREFUSED: return 0 (a stale file: nobody listens). Any other
	 * error: return -1 with that errno. Close the test socket in every case.
	 * See connect(2) and unix(7), "Errors".
	 */
	(void)addr;
	(void)len;
	return not_implemented(__func__, &warned);
}

/*
 * Binds fd at addr, replacing a stale socket file found there (see the
 * handout, "A stale socket or a live one"). Returns 0, or -1 with errno set
 * and *step naming the call that failed ("bind", "lstat", "connect",
 * "unlink"), or with *step NULL and errno ENOTSOCK (PATH exists and is not a
 * socket: left untouched) or EADDRINUSE (a live server listens there).
 */
static int bind_or_replace(int fd, const struct sockaddr_un *addr, socklen_t len,
			   const char **step)
{
	*step = "bind";
	if (bind_private(fd, addr, len) == 0)
		return 0;
	/*
	 * TODO (step 4, "Stale or live"): bind failed. If errno
	 * is EADDRINUSE, something is at the path already: lstat(2) it (never
	 * stat(2): a symbolic link to a socket is not a socket). Not a socket
	 * (S_ISSOCK): *step = NULL, errno ENOTSOCK, touch nothing. A socket:
	 * server_is_live() decides. Live: *step = NULL, errno EADDRINUSE. Stale:
	 * unlink(2) it and bind once more, only once. Set *step to the name of
	 * each call before you make it ("lstat", "connect", "unlink", "bind"),
	 * for main's message. Until then the server cannot replace a stale file.
	 */
	(void)server_is_live; /* remove once you call it */
	return -1;
}

/*
 * Returns a stream socket bound at addr (as bind_or_replace() does) and
 * listening, and saves in *own the device and inode of the socket file it
 * created, to know it again at exit. Returns -1 with errno and *step set as
 * bind_or_replace() does, *step also "socket", "lstat" or "listen"; the file
 * is removed again if listen(2) fails.
 */
static int open_listener(const struct sockaddr_un *addr, socklen_t len, struct stat *own,
			 const char **step)
{
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	*step = "socket";
	if (fd == -1)
		return -1;
	if (bind_or_replace(fd, addr, len, step) == -1)
		goto fail;
	*step = "lstat";
	if (lstat(addr->sun_path, own) == -1)
		goto fail_bound;
	*step = "listen";
	if (listen(fd, BACKLOG) == -1)
		goto fail_bound;
	return fd;
fail_bound:
	close_keeping_errno(fd);
	fd = errno;
	unlink(addr->sun_path); /* we made it; nobody else can use it */
	errno = fd;
	return -1;
fail:
	close_keeping_errno(fd);
	return -1;
}

/*
 * Removes the socket file at path if it is still the one this server created
 * (same device and inode as *own): another server may have replaced it since.
 * Returns 0 (also when there is nothing to remove), or -1 with errno set.
 */
static int remove_own_socket(const char *path, const struct stat *own)
{
	static bool warned;

	/*
	 * TODO (step 5, "Cleaning up"): unlink(2) path, but only if it
	 * is still the socket this server made: lstat(2) it and compare st_dev
	 * and st_ino with *own (saved by open_listener() right after bind).
	 * Another server may have replaced our file since: its file is not ours
	 * to remove. Nothing at path (ENOENT) is no error: return 0.
	 */
	(void)path;
	(void)own;
	return not_implemented(__func__, &warned);
}

/* Closes every descriptor c still holds for lines not yet handled. */
static void release_fds(struct client *c)
{
	for (size_t i = 0; i < c->nheld; i++)
		close(c->held[i].fd);
	c->nheld = 0;
}

/* Closes c's socket and held descriptors, and frees c. */
static void client_free(struct client *c)
{
	release_fds(c);
	close(c->fd);
	free(c);
}

/*
 * Returns a new client for the connected socket fd, with the credentials of
 * the process that connected, or NULL with errno set (fd is then closed).
 */
static struct client *client_new(int fd)
{
	static bool warned;
	struct client *c = malloc(sizeof *c);
	socklen_t len = sizeof c->cred;

	if (c == NULL) {
		close_keeping_errno(fd);
		return NULL;
	}
	memset(c, 0, sizeof *c);
	c->fd = fd;
	line_buffer_init(&c->in);
	/*
	 * TODO (step 6, "The commands"): read the credentials of
	 * the process that connected into c->cred with getsockopt(2), level
	 * SOL_SOCKET, option SO_PEERCRED (len is its size). If it fails, free c
	 * with client_free() and return NULL (errno is getsockopt's).
	 * See unix(7), "Socket options".
	 */
	(void)len;
	if (!warned)
		warnx("client_new() does not read SO_PEERCRED yet");
	warned = true;
	return c;
}

/*
 * Keeps the k descriptors of fds, plus `lost` more that the kernel could not
 * pass (counted, never opened), that came with the byte at offset end of
 * c->in, for the line that holds that byte. They join the last held entry if
 * it is of the same line (no LF between the two bytes). Only the first
 * descriptor of a line stays open: a line with several gets an error anyway.
 * Since the server receives only while it holds no whole line, the entries
 * belong to at most two lines; should a third come, it joins the last.
 */
static void hold_fds(struct client *c, size_t end, const int *fds, unsigned k,
		     unsigned lost)
{
	struct held_fds *last = c->nheld > 0 ? &c->held[c->nheld - 1] : NULL;
	unsigned kept = 0;

	if (k == 0)
		return;
	if (last == NULL || (c->nheld < HELD_MAX &&
			     memchr(c->in.buf + last->end, '\n', end - last->end))) {
		last = &c->held[c->nheld++];
		last->fd = fds[0];
		last->count = 0;
		kept = 1;
	}
	last->end = end;
	last->count += k + lost;
	for (unsigned i = kept; i < k; i++)
		close(fds[i]);
}

/*
 * Takes the descriptors that belong to the line made of the first n bytes
 * received: returns how many came with it, and sets *fd to the one kept open
 * (-1 if none). The entries of later lines move n bytes down.
 */
static unsigned take_fds(struct client *c, size_t n, int *fd)
{
	unsigned count = 0;
	size_t i = 0, j;

	*fd = -1;
	for (; i < c->nheld && c->held[i].end < n; i++) {
		if (*fd == -1)
			*fd = c->held[i].fd;
		else
			close(c->held[i].fd);
		count += c->held[i].count;
	}
	for (j = 0; i < c->nheld; i++, j++) {
		c->held[j] = c->held[i];
		c->held[j].end -= n;
	}
	c->nheld = j;
	return count;
}

/*
 * Copies the descriptors of the SCM_RIGHTS messages in msg to fds (room for
 * FDS_PER_RECV) and returns how many there are. *lost is 1 if the kernel had
 * to cut the control data (MSG_CTRUNC: more came than fit; it closed the
 * rest), else 0.
 */
static unsigned collect_fds(struct msghdr *msg, int *fds, unsigned *lost)
{
	/*
	 * TODO (bonus, "Bonus: WRITEFD"): walk the control
	 * messages of msg with CMSG_FIRSTHDR and CMSG_NXTHDR. For each one of
	 * level SOL_SOCKET and type SCM_RIGHTS, its data (CMSG_DATA) holds
	 * (cmsg_len - CMSG_LEN(0)) / sizeof(int) descriptors: copy them to fds
	 * with memcpy(3) (the data may be unaligned), at most FDS_PER_RECV in
	 * all, and return how many. Set *lost to 1 if msg->msg_flags has
	 * MSG_CTRUNC (the kernel had more for us than fitted), else 0.
	 * Until you do, descriptors that clients send stay open in the server,
	 * unused. See cmsg(3), recvmsg(2), unix(7) "Ancillary messages".
	 */
	(void)msg;
	(void)fds;
	*lost = 0;
	return 0;
}

/*
 * Receives what fits in c's line buffer with recvmsg(2), together with any
 * descriptors sent along (read(2) and recv(2) would discard them). Returns
 * the number of bytes received (0: the client closed its sending half), or -1
 * with errno set (EAGAIN: nothing after all).
 */
static ssize_t receive(struct client *c)
{
	union {
		char buf[CMSG_SPACE(sizeof(int) * FDS_PER_RECV)];
		struct cmsghdr align; /* control data must be aligned for cmsghdr */
	} control;
	int fds[FDS_PER_RECV];
	struct iovec iov;
	struct msghdr msg;
	char *where;
	ssize_t n;
	unsigned k, lost;

	iov.iov_len = line_buffer_room(&c->in, &where);
	iov.iov_base = where;
	memset(&msg, 0, sizeof msg);
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	msg.msg_control = control.buf;
	msg.msg_controllen = sizeof control.buf;
	n = recvmsg(c->fd, &msg, MSG_CMSG_CLOEXEC);
	if (n == -1)
		return -1;
	k = collect_fds(&msg, fds, &lost);
	if (n == 0) {
		for (unsigned i = 0; i < k; i++)
			close(fds[i]); /* no byte for them to belong to */
		return 0;
	}
	line_buffer_added(&c->in, (size_t)n);
	hold_fds(c, c->in.len - 1, fds, k, lost);
	return n;
}

/* Makes the len bytes of text, and a LF, c's next reply. */
static void set_reply(struct client *c, const char *text, size_t len)
{
	if (len > sizeof c->out - 1)
		len = sizeof c->out -
		      1; /* cannot happen: a reply is shorter than its request */
	memcpy(c->out, text, len);
	c->out[len] = '\n';
	c->out_len = len + 1;
	c->out_sent = 0;
}

/*
 * WRITEFD (the bonus): writes the len bytes of text and a LF to fd, the one
 * descriptor of the request's `count`. Returns the reply: "ok", or an error
 * when count is not 1, when fd cannot take bytes right now (a blocking write
 * would stall every client), or when the write fails.
 */
static const char *write_to_fd(int fd, unsigned count, const char *text, size_t len)
{
	static bool warned;

	/*
	 * TODO (bonus, "Bonus: WRITEFD"): reply as the contract
	 * says for WRITEFD. count 0: "ERR no descriptor"; more than 1: "ERR one
	 * descriptor only". Then poll(2) fd alone for POLLOUT with timeout 0:
	 * nothing ready gives "ERR would block" (a blocking write would stall
	 * every client). Otherwise write(2) the text and a LF in one call: all
	 * of it written gives "ok", anything else "ERR write failed". Do not
	 * close fd here: handle_line() does.
	 */
	(void)fd;
	(void)count;
	(void)text;
	(void)len;
	if (!warned)
		warnx("write_to_fd() is not implemented yet");
	warned = true;
	return "ERR write_to_fd() is not implemented yet";
}

/*
 * Handles one request line (n bytes) of c, which came with `count`
 * descriptors, fd the one kept (-1 if none): sets c's reply, and marks c
 * closing after QUIT. Closes fd.
 */
static void handle_line(struct client *c, const char *line, size_t n, int fd,
			unsigned count)
{
	static bool warned;

	/*
	 * TODO (step 6, "The commands"):
	 * answer the request in line with set_reply() (which adds the LF).
	 * Parse it with request_parse(). WHOAMI: "uid=U gid=G pid=P" from
	 * c->cred. ECHO: the text. QUIT: "bye", and set c->closing (advance()
	 * then shuts the connection down once the reply is out). WRITEFD:
	 * write_to_fd()'s reply (the bonus). Anything else: "ERR unknown
	 * command". Then close fd if it is not -1: every descriptor a client
	 * sends is closed once its line is handled, whatever the command.
	 */
	(void)line;
	(void)n;
	(void)count;
	(void)write_to_fd; /* remove once you call it */
	if (!warned)
		warnx("handle_line() is not implemented yet");
	warned = true;
	set_reply(c, "ERR handle_line() is not implemented yet",
		  strlen("ERR handle_line() is not implemented yet"));
	if (fd != -1)
		close(fd);
}

/*
 * Sends as much of c's pending reply as the socket takes without waiting.
 * Returns 0 (all sent, or the rest waits for POLLOUT), or -1 with errno set.
 */
static int flush_reply(struct client *c)
{
	while (c->out_sent < c->out_len) {
		ssize_t n = send(c->fd, c->out + c->out_sent, c->out_len - c->out_sent,
				 MSG_NOSIGNAL | MSG_DONTWAIT);

		if (n == -1)
			return errno == EAGAIN || errno == EWOULDBLOCK ? 0 : -1;
		c->out_sent += (size_t)n;
	}
	return 0;
}

/*
 * Discards what a closing client still sends (descriptors closed), so that
 * closing does not reset the connection before it has read our last reply.
 * Returns true while the client should stay: false at its end of stream, on
 * an error, or after DRAIN_MAX bytes.
 */
static bool drain(struct client *c)
{
	ssize_t n;

	line_buffer_init(&c->in); /* unhandled lines are dropped with the rest */
	release_fds(c);
	n = receive(c);
	release_fds(c);
	if (n == -1)
		return errno == EAGAIN || errno == EINTR;
	c->discarded += (size_t)n;
	return n > 0 && c->discarded < DRAIN_MAX;
}

/*
 * Moves c on as far as it can go without waiting: handles its whole lines
 * one at a time, each only once the reply to the one before is sent; after
 * QUIT or a line too long, shuts down the sending half once the reply is out.
 * Returns false when c is done (at end of stream with nothing left, or on an
 * error, reported on stderr), true while it must be polled again.
 */
static bool advance(struct client *c)
{
	char line[NET_LINE_MAX];
	ssize_t n;
	int fd;
	unsigned count;

	while (c->out_sent == c->out_len) {
		if (c->closing && !c->drained) {
			c->drained = true;
			release_fds(c);
			if (shutdown(c->fd, SHUT_WR) == -1)
				return false; /* the client has gone already */
		}
		if (c->drained)
			return !c->at_end;
		n = line_buffer_take(&c->in, line, sizeof line, c->at_end);
		if (n == 0)
			return !c->at_end; /* wait for more, or the client is done */
		if (n == -1) {
			set_reply(c, "ERR line too long", strlen("ERR line too long"));
			c->closing = true;
		} else {
			count = take_fds(c, (size_t)n, &fd);
			handle_line(c, line, (size_t)n, fd, count);
		}
		if (flush_reply(c) == -1)
			return false;
	}
	return true;
}

/*
 * Handles what poll(2) reported for c: sends more of its reply, receives
 * more requests, or drains it. Returns false when c must be dropped.
 */
static bool client_on_event(struct client *c)
{
	ssize_t n;

	if (c->out_sent < c->out_len) {
		if (flush_reply(c) == -1)
			return false;
	} else if (c->drained) {
		return drain(c);
	} else {
		n = receive(c);
		if (n == -1 && errno != EAGAIN && errno != EINTR)
			return false;
		if (n == 0)
			c->at_end = true;
	}
	return advance(c);
}

/* Fills pfds for srv: the listening socket, then each client; returns the count. */
static nfds_t fill_pollfds(const struct server *srv, struct pollfd *pfds)
{
	bool full = srv->nclients == MAX_CLIENTS;

	/* A negative fd is skipped by poll(2): no accept while full or out of fds. */
	pfds[0].fd = full || srv->accept_paused ? -1 : srv->lfd;
	pfds[0].events = POLLIN;
	for (size_t i = 0; i < srv->nclients; i++) {
		const struct client *c = srv->clients[i];

		pfds[i + 1].fd = c->fd;
		pfds[i + 1].events = c->out_sent < c->out_len ? POLLOUT : POLLIN;
	}
	return srv->nclients + 1;
}

/* Serves the clients whose entries in pfds have events; drops those done. */
static void serve_clients(struct server *srv, const struct pollfd *pfds, size_t n)
{
	size_t kept = 0;

	for (size_t i = 0; i < srv->nclients; i++) {
		struct client *c = srv->clients[i];

		if (i < n && pfds[i].revents != 0 && !client_on_event(c)) {
			client_free(c);
			srv->accept_paused = false; /* a descriptor is free again */
			continue;
		}
		srv->clients[kept++] = c; /* the order of the others is kept */
	}
	srv->nclients = kept;
}

/*
 * Accepts one waiting client. Errors are never fatal: they are reported, and
 * on EMFILE or ENFILE accepting pauses until a client leaves.
 */
static void accept_client(struct server *srv)
{
	struct client *c;
	int fd = accept4(srv->lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

	if (fd == -1) {
		if (errno == EMFILE || errno == ENFILE)
			srv->accept_paused = true;
		if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
			warn("accept");
		return;
	}
	c = client_new(fd);
	if (c == NULL) {
		warn("new client");
		return;
	}
	srv->clients[srv->nclients++] = c;
}

/*
 * Serves clients until SIGINT or SIGTERM. The signals, blocked elsewhere, are
 * let through only while ppoll(2) waits (with the mask in unblocked).
 * Returns 0 once a stop was requested, or -1 with errno set if ppoll fails.
 */
static int serve(struct server *srv, const sigset_t *unblocked)
{
	struct pollfd pfds[MAX_CLIENTS + 1];
	nfds_t n;

	while (!stop_requested) {
		n = fill_pollfds(srv, pfds);
		if (ppoll(pfds, n, NULL, unblocked) == -1) {
			if (errno == EINTR)
				continue; /* a signal: the loop condition decides */
			return -1;
		}
		serve_clients(srv, pfds + 1, n - 1);
		if (pfds[0].revents != 0)
			accept_client(srv);
	}
	return 0;
}

/* Closes every client and the listening socket. Returns 0, or -1 if close fails. */
static int close_server(struct server *srv)
{
	for (size_t i = 0; i < srv->nclients; i++)
		client_free(srv->clients[i]);
	srv->nclients = 0;
	return close(srv->lfd);
}

/* Reports why the server could not listen at path, and exits with status 1. */
static void listen_failed(const char *path, const char *step)
{
	if (step == NULL && errno == ENOTSOCK)
		errx(1, "%s: exists and is not a socket", path);
	if (step == NULL)
		errx(1, "%s: already in use", path);
	err(1, "%s %s", step, path);
}

int main(int argc, char *argv[])
{
	struct server srv = { .lfd = -1 };
	struct sockaddr_un addr;
	struct stat own;
	socklen_t len;
	sigset_t unblocked;
	const char *path, *step;
	int status = 0;

	if (getopt(argc, argv, "") != -1 || argc - optind != 1)
		usage();
	path = argv[optind];
	if (unix_addr_make(path, &addr, &len) == -1) {
		if (errno == EINVAL)
			usage(); /* empty: would bind an abstract socket */
		if (errno == ENAMETOOLONG)
			errx(1, "%s: too long for a socket address", path);
		err(1, "%s", path);
	}
	if (install_signal_handlers(&unblocked) == -1)
		err(1, "sigaction");
	srv.lfd = open_listener(&addr, len, &own, &step);
	if (srv.lfd == -1)
		listen_failed(path, step);
	warnx("listening on %s", path);
	if (serve(&srv, &unblocked) == -1) {
		warn("poll");
		status = 1;
	}
	if (close_server(&srv) == -1) {
		warn("close");
		status = 1;
	}
	if (remove_own_socket(path, &own) == -1) {
		warn("unlink %s", path);
		status = 1;
	}
	return status;
}
