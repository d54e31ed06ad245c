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
	mode_t old = umask(0177);
	int rc = bind(fd, (const struct sockaddr *)addr, len);
	int saved_errno = errno;

	umask(old);
	errno = saved_errno;
	return rc;
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
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	int rc;

	if (fd == -1)
		return -1;
	rc = connect(fd, (const struct sockaddr *)addr, len);
	if (rc == 0 || errno == EAGAIN || errno == EINPROGRESS)
		rc = 1;
	else if (errno == ECONNREFUSED)
		rc = 0;
	close_keeping_errno(fd);
	return rc;
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
	struct stat st;
	int live;

	*step = "bind";
	if (bind_private(fd, addr, len) == 0)
		return 0;
	if (errno != EADDRINUSE)
		return -1;
	*step = "lstat";
	if (lstat(addr->sun_path, &st) == -1)
		return -1;
	*step = NULL;
	if (!S_ISSOCK(st.st_mode)) {
		errno = ENOTSOCK; /* lstat: a symbolic link is not a socket either */
		return -1;
	}
	*step = "connect";
	live = server_is_live(addr, len);
	if (live == -1)
		return -1;
	*step = NULL;
	if (live) {
		errno = EADDRINUSE;
		return -1;
	}
	*step = "unlink";
	if (unlink(addr->sun_path) == -1)
		return -1;
	*step = "bind";
	return bind_private(fd, addr, len); /* once more only: no loop to fight over */
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
	struct stat st;

	if (lstat(path, &st) == -1)
		return errno == ENOENT ? 0 : -1;
	if (!S_ISSOCK(st.st_mode) || st.st_dev != own->st_dev || st.st_ino != own->st_ino)
		return 0; /* not ours any more: leave it to its owner */
	return unlink(path);
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
	struct client *c = malloc(sizeof *c);
	socklen_t len = sizeof c->cred;

	if (c == NULL) {
		close_keeping_errno(fd);
		return NULL;
	}
	memset(c, 0, sizeof *c);
	c->fd = fd;
	line_buffer_init(&c->in);
	/* The kernel recorded them at connect(2): the peer cannot lie about them. */
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &c->cred, &len) == -1) {
		client_free(c);
		return NULL;
	}
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
	unsigned count = 0;
	struct cmsghdr *cm;

	for (cm = CMSG_FIRSTHDR(msg); cm != NULL; cm = CMSG_NXTHDR(msg, cm)) {
		size_t k = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);

		if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS)
			continue;
		for (size_t i = 0; i < k && count < FDS_PER_RECV; i++)
			memcpy(&fds[count++], CMSG_DATA(cm) + i * sizeof(int),
			       sizeof(int));
	}
	*lost = (msg->msg_flags & MSG_CTRUNC) ? 1 : 0;
	return count;
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
	struct pollfd p = { .fd = fd, .events = POLLOUT };
	char buf[NET_LINE_MAX + 1];
	int ready;

	if (count == 0)
		return "ERR no descriptor";
	if (count > 1 || fd == -1)
		return "ERR one descriptor only";
	ready = poll(&p, 1, 0); /* timeout 0: only asks, never waits */
	if (ready == 0)
		return "ERR would block";
	if (ready == -1 || len > NET_LINE_MAX)
		return "ERR write failed";
	memcpy(buf, text, len);
	buf[len] = '\n';
	if (write(fd, buf, len + 1) != (ssize_t)(len + 1))
		return "ERR write failed"; /* EBADF for a read-only one, EPIPE, ... */
	return "ok";
}

/*
 * Handles one request line (n bytes) of c, which came with `count`
 * descriptors, fd the one kept (-1 if none): sets c's reply, and marks c
 * closing after QUIT. Closes fd.
 */
static void handle_line(struct client *c, const char *line, size_t n, int fd,
			unsigned count)
{
	char text[64];
	const char *reply;
	struct request req;

	switch (request_parse(line, n, &req)) {
	case REQUEST_WHOAMI:
		snprintf(text, sizeof text, "uid=%u gid=%u pid=%d", (unsigned)c->cred.uid,
			 (unsigned)c->cred.gid, (int)c->cred.pid);
		reply = text;
		break;
	case REQUEST_ECHO:
		set_reply(c, req.text, req.text_len);
		reply = NULL;
		break;
	case REQUEST_QUIT:
		reply = "bye";
		c->closing = true;
		break;
	case REQUEST_WRITEFD:
		reply = write_to_fd(fd, count, req.text, req.text_len);
		break;
	default:
		reply = "ERR unknown command";
	}
	if (reply != NULL)
		set_reply(c, reply, strlen(reply));
	if (fd != -1)
		close(fd); /* every descriptor received is closed, whatever the command */
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
