/*
 * faults.c - an LD_PRELOAD library that makes socket I/O as awkward as a correct
 * kernel may legally make it: short sends, short receives, and EINTR.
 *
 *   cc -shared -fPIC -O2 -Wall -Wextra -o libfaults.so faults.c -ldl
 *   LD_PRELOAD=$PWD/libfaults.so FAULTS=short-send,short-recv,eintr FAULTS_SEED=42 \
 *           FAULTS_LOG=$PWD/faults.log ./program
 *
 * FAULTS      comma list of kinds:
 *               short-send  send/write on a stream socket pass on 1..7 bytes
 *                           (1 call in 2);
 *               short-recv  recv/read on a stream socket ask for 1..3 bytes
 *                           (1 call in 2);
 *               eintr-send  send/write on a socket fail with EINTR before doing
 *                           anything (1 call in 4, never twice in a row on one
 *                           descriptor, only where the call could block);
 *               eintr-recv  the same for recv/read;
 *               eintr       both of the above.
 * FAULTS_SEED the seed (decimal or 0x hex) of the schedule: the same seed and the
 *             same sequence of calls give the same faults.
 * FAULTS_LOG  a file to append one line to per fault injected:
 *               short-send fd=4 asked=100 gave=3 call=send
 *               eintr fd=4 asked=4096 gave=-1 call=recv
 *
 * Only sockets are touched (stdin, stdout, pipes and files never are), and only
 * in ways a kernel may behave: a short count from a stream socket, EINTR from a
 * call that could block. Datagrams are never cut. Calls with len 0, MSG_PEEK or
 * MSG_OOB pass through; MSG_WAITALL receives are never made short.
 * The schedule is splitmix64 over an atomic call counter, and the log is written
 * with open/write/close: the wrappers are thread-safe and async-signal-safe.
 * Not interposed: writev, readv, sendmsg, recvmsg, and stdio's own I/O.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#define SHORT_SEND_MAX 7    /* a short send passes on 1..7 bytes */
#define SHORT_RECV_MAX 3    /* a short receive asks for 1..3 bytes */
#define FD_SLOTS       1024 /* descriptors whose last EINTR we remember (fd % FD_SLOTS) */

enum kind { SHORT_SEND = 1, SHORT_RECV = 2, EINTR_SEND = 4, EINTR_RECV = 8 };
enum direction { OUT = 0, IN = 1 };

/* What to do with one call, decided before it is made. */
struct plan {
	bool interrupt;	  /* fail with EINTR at once */
	size_t len;	  /* the length to pass on: the caller's, or less */
	const char *kind; /* the fault's name for the log, NULL when none */
};

static unsigned kinds;		   /* the enum kind bits asked for in FAULTS */
static uint64_t seed;		   /* FAULTS_SEED */
static char log_path[4096];	   /* FAULTS_LOG, or "" */
static atomic_uint_fast64_t draws; /* how many decisions were drawn so far */
static atomic_uchar just_interrupted[FD_SLOTS][2]; /* the last call here got EINTR */

/* The real functions; socket addresses have glibc's own types, as in its headers. */
static ssize_t (*real_send)(int, const void *, size_t, int);
static ssize_t (*real_sendto)(int, const void *, size_t, int, __CONST_SOCKADDR_ARG,
			      socklen_t);
static ssize_t (*real_write)(int, const void *, size_t);
static ssize_t (*real_recv)(int, void *, size_t, int);
static ssize_t (*real_recvfrom)(int, void *, size_t, int, __SOCKADDR_ARG, socklen_t *);
static ssize_t (*real_read)(int, void *, size_t);
static ssize_t (*real_read_chk)(int, void *, size_t, size_t);
static ssize_t (*real_recv_chk)(int, void *, size_t, size_t, int);
static ssize_t (*real_recvfrom_chk)(int, void *, size_t, size_t, int, struct sockaddr *,
				    socklen_t *);

/* glibc's checked variants, used by programs built with -D_FORTIFY_SOURCE. */
ssize_t __read_chk(int fd, void *buf, size_t len, size_t buflen);
ssize_t __recv_chk(int fd, void *buf, size_t len, size_t buflen, int flags);
ssize_t __recvfrom_chk(int fd, void *buf, size_t len, size_t buflen, int flags,
		       struct sockaddr *addr, socklen_t *addrlen);

/* Looks the real functions up, once, before any wrapper can need them. */
static void resolve(void)
{
	real_send = dlsym(RTLD_NEXT, "send");
	real_sendto = dlsym(RTLD_NEXT, "sendto");
	real_write = dlsym(RTLD_NEXT, "write");
	real_recv = dlsym(RTLD_NEXT, "recv");
	real_recvfrom = dlsym(RTLD_NEXT, "recvfrom");
	real_read = dlsym(RTLD_NEXT, "read");
	real_read_chk = dlsym(RTLD_NEXT, "__read_chk");
	real_recv_chk = dlsym(RTLD_NEXT, "__recv_chk");
	real_recvfrom_chk = dlsym(RTLD_NEXT, "__recvfrom_chk");
}

/* Returns the enum kind bits of one name in FAULTS, 0 if it is unknown. */
static unsigned kind_of(const char *name, size_t n)
{
	static const struct {
		const char *name;
		unsigned bits;
	} names[] = {
		{ "short-send", SHORT_SEND },	      { "short-recv", SHORT_RECV },
		{ "eintr", EINTR_SEND | EINTR_RECV }, { "eintr-send", EINTR_SEND },
		{ "eintr-recv", EINTR_RECV },
	};

	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
		if (strlen(names[i].name) == n && memcmp(names[i].name, name, n) == 0)
			return names[i].bits;
	return 0;
}

/* Reads FAULTS, FAULTS_SEED and FAULTS_LOG; warns on stderr about unknown kinds. */
static void configure(void)
{
	const char *list = getenv("FAULTS");
	const char *s = getenv("FAULTS_SEED");
	const char *log = getenv("FAULTS_LOG");

	seed = s != NULL ? strtoull(s, NULL, 0) : 0;
	if (log != NULL && strlen(log) < sizeof log_path)
		strcpy(log_path, log);
	while (list != NULL && *list != '\0') {
		size_t n = strcspn(list, ",");
		unsigned bits = kind_of(list, n);

		if (bits == 0 && n > 0)
			fprintf(stderr, "libfaults: unknown fault kind '%.*s' ignored\n",
				(int)n, list);
		kinds |= bits;
		list += n + (list[n] == ',');
	}
}

__attribute__((constructor)) static void faults_init(void)
{
	resolve();
	configure();
}

/* Resolves the real functions if a wrapper runs before our constructor did. */
static void ensure_resolved(void)
{
	if (real_recvfrom_chk == NULL)
		resolve();
}

/* The next number of the schedule: splitmix64 of the seed and the call count. */
static uint64_t draw(void)
{
	uint64_t z = seed + (atomic_fetch_add(&draws, 1) + 1) * 0x9e3779b97f4a7c15u;

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
	return z ^ (z >> 31);
}

/* Tells whether fd is a socket (checked on every call: descriptors are reused). */
static bool is_socket(int fd)
{
	struct stat st;

	return fstat(fd, &st) == 0 && S_ISSOCK(st.st_mode);
}

/* Tells whether the socket fd delivers a byte stream, where short counts are legal. */
static bool is_stream(int fd)
{
	int type;
	socklen_t len = sizeof type;

	return getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) == 0 &&
	       type == SOCK_STREAM;
}

/* Tells whether the call could block, hence whether a kernel could return EINTR. */
static bool may_block(int fd, int flags)
{
	int fl = fcntl(fd, F_GETFL);

	return !(flags & MSG_DONTWAIT) && fl != -1 && !(fl & O_NONBLOCK);
}

/* Appends the decimal digits of v at p; returns the end. */
static char *put_number(char *p, long long v)
{
	char digits[24];
	int n = 0;
	unsigned long long u = v < 0 ? 0 - (unsigned long long)v : (unsigned long long)v;

	if (v < 0)
		*p++ = '-';
	do {
		digits[n++] = (char)('0' + u % 10);
		u /= 10;
	} while (u > 0);
	while (n > 0)
		*p++ = digits[--n];
	return p;
}

/* Appends the string s at p; returns the end. */
static char *put_text(char *p, const char *s)
{
	size_t n = strlen(s);

	memcpy(p, s, n);
	return p + n;
}

/*
 * Appends "KIND fd=N asked=N gave=N call=NAME" to FAULTS_LOG, if set.
 * Opened for each line: one write(2) with O_APPEND keeps the lines of several
 * processes whole, and no descriptor of ours lingers for the program to meet.
 */
static void note(const char *kind, int fd, size_t asked, ssize_t gave, const char *call)
{
	char line[160];
	char *p = line;
	int saved_errno = errno;
	int lfd;

	if (log_path[0] == '\0')
		return;
	p = put_text(p, kind);
	p = put_text(p, " fd=");
	p = put_number(p, fd);
	p = put_text(p, " asked=");
	p = put_number(p, (long long)asked);
	p = put_text(p, " gave=");
	p = put_number(p, gave);
	p = put_text(p, " call=");
	p = put_text(p, call);
	*p++ = '\n';
	lfd = open(log_path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0666);
	if (lfd != -1) {
		if (real_write(lfd, line, (size_t)(p - line)) == -1) {
			/* nothing to do: the log is a help, not a duty */
		}
		close(lfd);
	}
	errno = saved_errno;
}

/*
 * Decides what one call of len bytes on fd suffers. Draws from the schedule only
 * for calls on sockets, so what other files see does not shift it.
 */
static struct plan plan_call(int fd, size_t len, int flags, enum direction dir)
{
	struct plan plan = { false, len, NULL };
	unsigned shorten = dir == OUT ? SHORT_SEND : SHORT_RECV;
	unsigned interrupt = dir == OUT ? EINTR_SEND : EINTR_RECV;
	size_t most = dir == OUT ? SHORT_SEND_MAX : SHORT_RECV_MAX;
	atomic_uchar *last = &just_interrupted[(unsigned)fd % FD_SLOTS][dir];
	int saved_errno = errno;
	uint64_t r;

	if (!(kinds & (shorten | interrupt)) || len == 0 ||
	    (flags & (MSG_PEEK | MSG_OOB)))
		return plan;
	if (!is_socket(fd))
		goto out;
	r = draw();
	if ((kinds & interrupt) && (r & 3) == 0 && !atomic_load(last) &&
	    may_block(fd, flags)) {
		atomic_store(last, 1); /* the retry goes through: progress is certain */
		plan.interrupt = true;
		plan.kind = "eintr";
		goto out;
	}
	atomic_store(last, 0);
	if ((kinds & shorten) && (r >> 2 & 1) && !(flags & MSG_WAITALL) &&
	    is_stream(fd)) {
		size_t n = 1 + (size_t)((r >> 32) % (len < most ? len : most));

		if (n < len) {
			plan.len = n;
			plan.kind = dir == OUT ? "short-send" : "short-recv";
		}
	}
out:
	errno = saved_errno;
	return plan;
}

/* Logs an EINTR plan, sets errno; returns -1, what the wrapper returns. */
static ssize_t interrupted(int fd, size_t len, const char *call)
{
	note("eintr", fd, len, -1, call);
	errno = EINTR;
	return -1;
}

/* Logs a short plan once the real call returned n; returns n with its errno. */
static ssize_t done(const struct plan *plan, int fd, size_t len, ssize_t n,
		    const char *call)
{
	if (plan->kind != NULL)
		note(plan->kind, fd, len, n, call);
	return n;
}

ssize_t send(int fd, const void *buf, size_t len, int flags)
{
	struct plan p;

	ensure_resolved();
	p = plan_call(fd, len, flags, OUT);

	if (p.interrupt)
		return interrupted(fd, len, "send");
	return done(&p, fd, len, real_send(fd, buf, p.len, flags), "send");
}

ssize_t sendto(int fd, const void *buf, size_t len, int flags, __CONST_SOCKADDR_ARG addr,
	       socklen_t addrlen)
{
	struct plan p;

	ensure_resolved();
	p = plan_call(fd, len, flags, OUT);

	if (p.interrupt)
		return interrupted(fd, len, "sendto");
	return done(&p, fd, len, real_sendto(fd, buf, p.len, flags, addr, addrlen),
		    "sendto");
}

ssize_t write(int fd, const void *buf, size_t len)
{
	struct plan p;

	ensure_resolved();
	p = plan_call(fd, len, 0, OUT);
	if (p.interrupt)
		return interrupted(fd, len, "write");
	return done(&p, fd, len, real_write(fd, buf, p.len), "write");
}

ssize_t recv(int fd, void *buf, size_t len, int flags)
{
	struct plan p;

	ensure_resolved();
	p = plan_call(fd, len, flags, IN);

	if (p.interrupt)
		return interrupted(fd, len, "recv");
	return done(&p, fd, len, real_recv(fd, buf, p.len, flags), "recv");
}

ssize_t recvfrom(int fd, void *buf, size_t len, int flags, __SOCKADDR_ARG addr,
		 socklen_t *addrlen)
{
	struct plan p;

	ensure_resolved();
	p = plan_call(fd, len, flags, IN);

	if (p.interrupt)
		return interrupted(fd, len, "recvfrom");
	return done(&p, fd, len, real_recvfrom(fd, buf, p.len, flags, addr, addrlen),
		    "recvfrom");
}

ssize_t read(int fd, void *buf, size_t len)
{
	struct plan p;

	ensure_resolved();
	p = plan_call(fd, len, 0, IN);
	if (p.interrupt)
		return interrupted(fd, len, "read");
	return done(&p, fd, len, real_read(fd, buf, p.len), "read");
}

ssize_t __read_chk(int fd, void *buf, size_t len, size_t buflen)
{
	struct plan p;

	ensure_resolved();
	if (len > buflen) /* the overflow the check is there for: let glibc abort */
		return real_read_chk(fd, buf, len, buflen);
	p = plan_call(fd, len, 0, IN);
	if (p.interrupt)
		return interrupted(fd, len, "read");
	return done(&p, fd, len, real_read_chk(fd, buf, p.len, buflen), "read");
}

ssize_t __recv_chk(int fd, void *buf, size_t len, size_t buflen, int flags)
{
	struct plan p;

	ensure_resolved();
	if (len > buflen)
		return real_recv_chk(fd, buf, len, buflen, flags);
	p = plan_call(fd, len, flags, IN);
	if (p.interrupt)
		return interrupted(fd, len, "recv");
	return done(&p, fd, len, real_recv_chk(fd, buf, p.len, buflen, flags), "recv");
}

ssize_t __recvfrom_chk(int fd, void *buf, size_t len, size_t buflen, int flags,
		       struct sockaddr *addr, socklen_t *addrlen)
{
	struct plan p;

	ensure_resolved();
	if (len > buflen)
		return real_recvfrom_chk(fd, buf, len, buflen, flags, addr, addrlen);
	p = plan_call(fd, len, flags, IN);
	if (p.interrupt)
		return interrupted(fd, len, "recvfrom");
	return done(&p, fd, len,
		    real_recvfrom_chk(fd, buf, p.len, buflen, flags, addr, addrlen),
		    "recvfrom");
}
