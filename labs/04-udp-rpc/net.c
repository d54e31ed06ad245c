/*
 * net.c - the socket helpers declared in net.h (given whole).
 */
#include "net.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/*
 * Resolves name and port into a list of UDP addresses (*list, for
 * freeaddrinfo(3)); passive asks for addresses to bind. Returns 0, or -1 with
 * *gai_error set as net.h says.
 */
static int resolve(const char *name, const char *port, bool passive,
		   struct addrinfo **list, int *gai_error)
{
	struct addrinfo hints;
	int rc;

	memset(&hints, 0, sizeof hints);
	hints.ai_family = AF_UNSPEC;	/* IPv4 or IPv6, as the name says */
	hints.ai_socktype = SOCK_DGRAM; /* UDP */
	hints.ai_flags = passive ? AI_PASSIVE : 0;
	rc = getaddrinfo(name, port, &hints, list);
	*gai_error = rc == EAI_SYSTEM ? 0 : rc; /* EAI_SYSTEM: errno tells what failed */
	return rc == 0 ? 0 : -1;
}

/* Returns a UDP socket bound to the address in ai, or -1 with errno set. */
static int bind_to(const struct addrinfo *ai)
{
	int saved_errno;
	int fd = socket(ai->ai_family, ai->ai_socktype, ai->ai_protocol);

	if (fd == -1)
		return -1;
	if (bind(fd, ai->ai_addr, ai->ai_addrlen) == -1) {
		saved_errno = errno; /* close(2) may change errno: keep the cause */
		close(fd);
		errno = saved_errno;
		return -1;
	}
	return fd;
}

int bind_udp(const char *addr, const char *port, int *gai_error)
{
	struct addrinfo *list, *ai;
	int saved_errno;
	int fd = -1;

	if (resolve(addr, port, true, &list, gai_error) == -1)
		return -1;
	for (ai = list; ai != NULL && fd == -1; ai = ai->ai_next)
		fd = bind_to(ai);
	saved_errno = errno;
	freeaddrinfo(list);
	errno = saved_errno;
	return fd;
}

int open_udp_to(const char *host, const char *port, struct sockaddr_storage *to,
		socklen_t *to_len, int *gai_error)
{
	struct addrinfo *list;
	int saved_errno;
	int fd;

	if (resolve(host, port, false, &list, gai_error) == -1)
		return -1;
	/* Only the first address: a lost datagram and a wrong address look alike. */
	memcpy(to, list->ai_addr, list->ai_addrlen);
	*to_len = list->ai_addrlen;
	fd = socket(list->ai_family, list->ai_socktype, list->ai_protocol);
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

bool same_address(const struct sockaddr *a, const struct sockaddr *b)
{
	const struct sockaddr_in *a4 = (const struct sockaddr_in *)a;
	const struct sockaddr_in *b4 = (const struct sockaddr_in *)b;
	const struct sockaddr_in6 *a6 = (const struct sockaddr_in6 *)a;
	const struct sockaddr_in6 *b6 = (const struct sockaddr_in6 *)b;

	if (a->sa_family != b->sa_family)
		return false;
	/* Field by field: the padding of a struct sockaddr need not match. */
	if (a->sa_family == AF_INET)
		return a4->sin_port == b4->sin_port &&
		       a4->sin_addr.s_addr == b4->sin_addr.s_addr;
	if (a->sa_family == AF_INET6)
		return a6->sin6_port == b6->sin6_port &&
		       a6->sin6_scope_id == b6->sin6_scope_id &&
		       memcmp(&a6->sin6_addr, &b6->sin6_addr, sizeof a6->sin6_addr) == 0;
	return false;
}
