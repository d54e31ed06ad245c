/*
 * udp_table.h - the server's memory of its clients (handout, "Remembering
 * clients, within bounds").
 *
 * A UDP server has no connections: a client is only the source address and
 * port of its datagrams. For each one it remembers the client's total, the
 * highest SEQ it has answered and that reply, so that a retransmitted request
 * is answered again without being executed again. The table holds at most
 * `capacity` clients; a new client beyond that takes the place of the one
 * seen least recently.
 */
#ifndef UDP_TABLE_H
#define UDP_TABLE_H

#include "rpc_request.h"

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#define UDP_TABLE_CAPACITY 1024 /* the clients udp-server remembers */

struct udp_client {
	struct sockaddr_storage addr; /* who: source address and port */
	uint64_t last_seen;	      /* the table's clock when last seen */
	uint32_t last_seq;	      /* highest SEQ answered; 0: none yet */
	int64_t total;		      /* this client's total, from 0 */
	size_t reply_len;	      /* the reply to last_seq ... */
	char reply[RPC_DATAGRAM_MAX]; /* ... kept to be sent again */
};

struct udp_table {
	struct udp_client *clients; /* capacity slots, count of them used */
	size_t count;
	size_t capacity;
	uint64_t clock; /* counts udp_table_touch() calls: "when" a client was seen */
};

/*
 * Prepares an empty table for capacity clients; all memory is allocated
 * here, none later. Returns 0, or -1 with errno EINVAL (capacity 0) or ENOMEM.
 */
int udp_table_init(struct udp_table *table, size_t capacity);

/* Frees the table's memory. The table must be initialised again before use. */
void udp_table_free(struct udp_table *table);

/*
 * Returns the client whose address is addr (same_address() decides), or NULL
 * if the table does not hold it. Does not change when it was last seen.
 */
struct udp_client *udp_table_find(struct udp_table *table, const struct sockaddr *addr);

/*
 * Returns the client whose address is addr, marked as the one seen most
 * recently. A client the table does not hold is added first, new (last_seq 0,
 * total 0, no reply); when the table is full, it takes the slot of the client
 * seen least recently, which is forgotten. addr must be AF_INET or AF_INET6.
 */
struct udp_client *udp_table_touch(struct udp_table *table, const struct sockaddr *addr);

#endif /* UDP_TABLE_H */
