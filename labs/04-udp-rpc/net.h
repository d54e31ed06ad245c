/*
 * net.h - setting up UDP sockets, as lab 01 taught for TCP: a socket bound to
 * an address, the server's address resolved once, and an address as text.
 *
 * These helpers are given whole: read them. They return -1 with errno set and
 * never print or exit: the program decides what to say.
 */
#ifndef NET_H
#define NET_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

/* "[" IPv6 address "]:" port, and the NUL */
#define NET_ADDRESS_MAX (INET6_ADDRSTRLEN + sizeof "[]:65535")

/*
 * Resolves ADDR and PORT and returns a UDP socket bound to the first address
 * that works, or -1. On -1, *gai_error is the getaddrinfo(3) error if
 * resolving failed (print it with gai_strerror(3)); otherwise it is 0 and
 * errno says why the last address failed.
 */
int bind_udp(const char *addr, const char *port, int *gai_error);

/*
 * Resolves HOST and PORT, copies the first address getaddrinfo(3) returns to
 * *to (its length to *to_len), and returns an unbound UDP socket of that
 * address's family, or -1 with *gai_error as for bind_udp(). The kernel gives
 * the socket a port of its own at the first sendto(2).
 */
int open_udp_to(const char *host, const char *port, struct sockaddr_storage *to,
		socklen_t *to_len, int *gai_error);

/*
 * Writes the IPv4 or IPv6 address and port held in sa to out (cap bytes) as
 * "127.0.0.1:40123" or "[::1]:40123". Returns 0, or -1 with errno set:
 * EAFNOSUPPORT for another address family, ENOSPC if out is too small.
 */
int format_address(const struct sockaddr *sa, char *out, size_t cap);

/*
 * Tells whether a and b are the same IPv4 or IPv6 address and port: the
 * identity of a UDP peer. Other families are never the same.
 */
bool same_address(const struct sockaddr *a, const struct sockaddr *b);

#endif /* NET_H */
