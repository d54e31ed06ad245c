/*
 * udp_table.c - the server's bounded table of clients (udp_table.h).
 *
 * A plain array searched from start to end: with 1024 clients a lookup costs
 * a few microseconds, far less than a datagram's trip. A hash table would do
 * the same job faster, for more code.
 */
#include "udp_table.h"

#include "net.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

int udp_table_init(struct udp_table *table, size_t capacity)
{
	memset(table, 0, sizeof *table);
	if (capacity == 0) {
		errno = EINVAL;
		return -1;
	}
	/* All at once: the server's memory never grows with its clients. */
	table->clients = calloc(capacity, sizeof *table->clients);
	if (table->clients == NULL)
		return -1; /* calloc(3) has set errno to ENOMEM */
	table->capacity = capacity;
	return 0;
}

void udp_table_free(struct udp_table *table)
{
	free(table->clients);
	memset(table, 0, sizeof *table);
}

struct udp_client *udp_table_find(struct udp_table *table, const struct sockaddr *addr)
{
	for (size_t i = 0; i < table->count; i++) {
		if (same_address((struct sockaddr *)&table->clients[i].addr, addr))
			return &table->clients[i];
	}
	return NULL;
}

/* Returns the client of table seen least recently (the table is not empty). */
static struct udp_client *least_recently_seen(struct udp_table *table)
{
	struct udp_client *oldest = &table->clients[0];

	for (size_t i = 1; i < table->count; i++) {
		if (table->clients[i].last_seen < oldest->last_seen)
			oldest = &table->clients[i];
	}
	return oldest;
}

/*
 * Returns a slot for a client the table does not hold, emptied and with addr
 * in it: a free slot, or that of the client seen least recently.
 */
static struct udp_client *new_client(struct udp_table *table, const struct sockaddr *addr)
{
	struct udp_client *c;
	size_t len = addr->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6)
						 : sizeof(struct sockaddr_in);

	if (table->count < table->capacity)
		c = &table->clients[table->count++];
	else
		c = least_recently_seen(table); /* forgotten: at-most-once ends for it */
	memset(c, 0, sizeof *c);
	memcpy(&c->addr, addr, len);
	return c;
}

struct udp_client *udp_table_touch(struct udp_table *table, const struct sockaddr *addr)
{
	struct udp_client *c = udp_table_find(table, addr);

	if (c == NULL)
		c = new_client(table, addr);
	c->last_seen = ++table->clock;
	return c;
}
