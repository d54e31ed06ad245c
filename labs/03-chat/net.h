/*
 * net.h - setting up one TCP connection, as lab 01 taught: a socket listening
 * on an address, a socket connected to an address, and an address as text.
 *
 * These helpers are given whole: read them, they are lab 01's open_listener()
 * and connect_to() moved into a library. They return -1 with errno set and never
 * print or exit: the program decides what to say.
 */
#ifndef NET_H
#define NET_H

#include <netinet/in.h>
#include <stddef.h>
#include <sys/socket.h>

/* "[" IPv6 address "]:" port, and the NUL */
#define NET_ADDRESS_MAX (INET6_ADDRSTRLEN + sizeof "[]:65535")

/*
 * Resolves ADDR and PORT and returns a TCP socket listening on the first
 * address that works, with a backlog of backlog connections, or -1.
 * On -1, *gai_error is the getaddrinfo(3) error if resolving failed (print it
 * with gai_strerror(3)); otherwise it is 0 and errno says why the last address
 * failed.
 */
int open_listener(const char *addr, const char *port, int backlog, int *gai_error);

/*
 * Resolves HOST and PORT and returns a socket connected to the first address
 * that accepts, or -1. On -1, *gai_error is as for open_listener().
 */
int connect_to(const char *host, const char *port, int *gai_error);

/*
 * Writes the IPv4 or IPv6 address and port held in sa to out (cap bytes) as
 * "127.0.0.1:40123" or "[::1]:40123". Returns 0, or -1 with errno set:
 * EAFNOSUPPORT for another address family, ENOSPC if out is too small.
 */
int format_address(const struct sockaddr *sa, char *out, size_t cap);

#endif /* NET_H */
