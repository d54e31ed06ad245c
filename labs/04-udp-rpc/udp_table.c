/*
 * udp_table.c - the server's bounded table of clients (udp_table.h).
 *
 * A plain array searched from start to end: with 1024 clients a lookup costs
 * a few microseconds, far less than a datagram's trip. A hash table would do
 * the same job faster, for more code.
 */
#include "udp_table.h"

#include "net.h"

#include <err.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

/*
 * Says once per function, on stderr, that the function called name is still to
 * be written, and sets errno to ENOSYS ("Function not implemented"). Delete it
 * once no function calls it.
 */
static void not_implemented(const char *name, bool *warned)
{
	if (!*warned)
		warnx("%s() is not implemented yet", name);
	*warned = true;
	errno = ENOSYS;
}

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
	static bool warned;

	/*
	 * TODO (step 3, "The table of clients"): look through the
	 * table->count clients in use for the one whose addr is the same as
	 * addr: same_address() (net.h) compares family, address and port.
	 * Return it, or NULL. Do not touch last_seen: a look is not a datagram.
	 */
	(void)table;
	(void)addr;
	not_implemented(__func__, &warned);
	return NULL;
}

/* Returns the client of table seen least recently (the table is not empty). */
static struct udp_client *least_recently_seen(struct udp_table *table)
{
	static bool warned;

	/*
	 * TODO (step 3, "The table of clients"): the client with
	 * the smallest last_seen.
	 */
	not_implemented(__func__, &warned);
	return &table->clients[0];
}

/*
 * Returns a slot for a client the table does not hold, emptied and with addr
 * in it: a free slot, or that of the client seen least recently.
 */
static struct udp_client *new_client(struct udp_table *table, const struct sockaddr *addr)
{
	static bool warned;

	/*
	 * TODO (step 3, "The table of clients"): while count is
	 * below capacity, take the next unused slot (and count it); else the
	 * slot of least_recently_seen(), whose client is forgotten. Empty the
	 * slot (memset(3): total 0, last_seq 0, no reply), then copy addr into
	 * it: sizeof(struct sockaddr_in) bytes for AF_INET,
	 * sizeof(struct sockaddr_in6) for AF_INET6.
	 */
	(void)addr;
	(void)least_recently_seen; /* delete this line once you call it */
	not_implemented(__func__, &warned);
	return &table->clients[0];
}

struct udp_client *udp_table_touch(struct udp_table *table, const struct sockaddr *addr)
{
	static bool warned;

	/*
	 * TODO (step 3, "The table of clients"): find the client
	 * (udp_table_find()), or make a new one (new_client()); then mark it as
	 * seen now: add one to table->clock and store the new value in its
	 * last_seen. Return it.
	 */
	(void)addr;
	(void)new_client; /* delete this line once you call it */
	not_implemented(__func__, &warned);
	return &table->clients[0];
}
