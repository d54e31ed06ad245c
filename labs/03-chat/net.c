/*
 * net.c - the connection helpers declared in net.h (given whole).
 */
#include "net.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* Closes fd but keeps errno: the caller reports the failure that came before. */
static void close_keeping_errno(int fd)
{
	int saved_errno = errno;

	close(fd); /* nothing to do if it fails: the first failure is the news */
	errno = saved_errno;
}

/*
 * Returns a TCP socket bound to the address in ai and listening, or -1 with
 * errno set.
 */
static int listen_on(const struct addrinfo *ai, int backlog)
{
	int one = 1;
	int fd = socket(ai->ai_family, ai->ai_socktype, ai->ai_protocol);

	if (fd == -1)
		return -1;
	/* Lets a restarted peer bind while old connections linger in TIME_WAIT. */
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) == -1 ||
	    bind(fd, ai->ai_addr, ai->ai_addrlen) == -1 || listen(fd, backlog) == -1) {
		close_keeping_errno(fd);
		return -1;
	}
	return fd;
}

/*
 * Resolves name and port into a list of TCP addresses (*list, for
 * freeaddrinfo(3)); passive asks for addresses to bind. Returns 0, or -1 with
 * *gai_error set as net.h says.
 */
static int resolve(const char *name, const char *port, bool passive,
		   struct addrinfo **list, int *gai_error)
{
	struct addrinfo hints;
	int rc;

	memset(&hints, 0, sizeof hints);
	hints.ai_family = AF_UNSPEC;	 /* IPv4 or IPv6, as the name says */
	hints.ai_socktype = SOCK_STREAM; /* TCP */
	hints.ai_flags = passive ? AI_PASSIVE : 0;
	rc = getaddrinfo(name, port, &hints, list);
	*gai_error = rc == EAI_SYSTEM ? 0 : rc; /* EAI_SYSTEM: errno tells what failed */
	return rc == 0 ? 0 : -1;
}

int open_listener(const char *addr, const char *port, int backlog, int *gai_error)
{
	struct addrinfo *list, *ai;
	int saved_errno;
	int fd = -1;

	if (resolve(addr, port, true, &list, gai_error) == -1)
		return -1;
	for (ai = list; ai != NULL && fd == -1; ai = ai->ai_next)
		fd = listen_on(ai, backlog);
	saved_errno = errno;
	freeaddrinfo(list);
	errno = saved_errno;
	return fd;
}

int connect_to(const char *host, const char *port, int *gai_error)
{
	struct addrinfo *list, *ai;
	int saved_errno;
	int fd = -1;

	if (resolve(host, port, false, &list, gai_error) == -1)
		return -1;
	for (ai = list; ai != NULL && fd == -1; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype, ai->ai_protocol);
		if (fd != -1 && connect(fd, ai->ai_addr, ai->ai_addrlen) == -1) {
			close_keeping_errno(fd);
			fd = -1; /* refused, unreachable...: try the next address */
		}
	}
	saved_errno = errno;
	freeaddrinfo(list);
	errno = saved_errno;
	return fd;
}

int format_address(const struct sockaddr *sa, char *out, size_t cap)
{
	char host[INET6_ADDRSTRLEN];
	const void *ip;
	in_port_t port;
	bool v6 = sa->sa_family == AF_INET6;
	int n;

	if (sa->sa_family == AF_INET) {
		ip = &((const struct sockaddr_in *)sa)->sin_addr;
		port = ((const struct sockaddr_in *)sa)->sin_port;
	} else if (v6) {
		ip = &((const struct sockaddr_in6 *)sa)->sin6_addr;
		port = ((const struct sockaddr_in6 *)sa)->sin6_port;
	} else {
		errno = EAFNOSUPPORT;
		return -1;
	}
	if (inet_ntop(sa->sa_family, ip, host, sizeof host) == NULL)
		return -1;
	/* An IPv6 address has colons of its own: brackets keep the port apart. */
	n = snprintf(out, cap, "%s%s%s:%u", v6 ? "[" : "", host, v6 ? "]" : "",
		     (unsigned)ntohs(port));
	if (n < 0 || (size_t)n >= cap) {
		errno = ENOSPC;
		return -1;
	}
	return 0;
}
