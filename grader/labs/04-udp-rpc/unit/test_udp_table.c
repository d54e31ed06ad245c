/*
 * test_udp_table.c - unit tests of the server's table of clients
 * (udp_table.h), lab 04: lookup, update, eviction of the least recently seen.
 *
 * The tests make up client addresses (127.0.0.1 and ::1 with many ports) and
 * use small capacities, so that eviction shows after a few clients.
 *
 * Run them all with `make check`, or one:
 *   ./build/unit-tests --filter 'table/evicts_the_least_recently_seen'
 * This file is a copy of the grader's: editing it does not change your grade.
 */
#include <criterion/criterion.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <string.h>

#include "udp_table.h"

TestSuite(table, .timeout = 2);

/*
 * Helpers
 */

/* 127.0.0.1:port, as recvfrom(2) would fill it. */
static struct sockaddr_storage v4(unsigned port)
{
	struct sockaddr_storage ss;
	struct sockaddr_in *sin = (struct sockaddr_in *)&ss;

	memset(&ss, 0, sizeof ss);
	sin->sin_family = AF_INET;
	sin->sin_port = htons((uint16_t)port);
	sin->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	return ss;
}

/* [::1]:port */
static struct sockaddr_storage v6(unsigned port)
{
	struct sockaddr_storage ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;

	memset(&ss, 0, sizeof ss);
	sin6->sin6_family = AF_INET6;
	sin6->sin6_port = htons((uint16_t)port);
	sin6->sin6_addr = in6addr_loopback;
	return ss;
}

#define SA(ss) ((struct sockaddr *)&(ss))

static void init(struct udp_table *t, size_t capacity)
{
	cr_assert_eq(udp_table_init(t, capacity), 0,
		     "udp_table_init(capacity %zu) failed", capacity);
}

/* Touches client 127.0.0.1:port and gives it a total, to know it again. */
static struct udp_client *add(struct udp_table *t, unsigned port, int64_t total)
{
	struct sockaddr_storage ss = v4(port);
	struct udp_client *c = udp_table_touch(t, SA(ss));

	cr_assert_not_null(c, "udp_table_touch(port %u) returned NULL", port);
	c->total = total;
	return c;
}

static void expect_known(struct udp_table *t, unsigned port, int64_t total)
{
	struct sockaddr_storage ss = v4(port);
	struct udp_client *c = udp_table_find(t, SA(ss));

	cr_expect_not_null(c, "client port %u should still be in the table", port);
	if (c != NULL)
		cr_expect_eq(c->total, total,
			     "client port %u: total %lld expected, got %lld", port,
			     (long long)total, (long long)c->total);
}

static void expect_forgotten(struct udp_table *t, unsigned port)
{
	struct sockaddr_storage ss = v4(port);

	cr_expect_null(udp_table_find(t, SA(ss)),
		       "client port %u should have been forgotten (seen least recently)",
		       port);
}

/*
 * Tests
 */

Test(table, init_refuses_capacity_zero)
{
	struct udp_table t;

	errno = 0;
	cr_expect_eq(udp_table_init(&t, 0), -1, "udp_table_init(capacity 0) should fail");
	cr_expect_eq(errno, EINVAL, "errno EINVAL expected, got %d", errno);
}

Test(table, find_in_an_empty_table_gives_null)
{
	struct udp_table t;
	struct sockaddr_storage a = v4(4000);

	init(&t, 4);
	cr_expect_null(udp_table_find(&t, SA(a)), "an empty table found a client");
	udp_table_free(&t);
}

Test(table, touch_adds_a_new_client_from_zero)
{
	struct udp_table t;
	struct sockaddr_storage a = v4(4000);
	struct udp_client *c;

	init(&t, 4);
	c = udp_table_touch(&t, SA(a));
	cr_assert_not_null(c, "udp_table_touch returned NULL");
	cr_expect_eq(c->last_seq, 0, "a new client: last_seq 0 expected, got %lu",
		     (unsigned long)c->last_seq);
	cr_expect_eq(c->total, 0, "a new client: total 0 expected, got %lld",
		     (long long)c->total);
	cr_expect_eq(c->reply_len, 0, "a new client: no remembered reply expected");
	cr_expect_eq(udp_table_find(&t, SA(a)), c, "find after touch gave another entry");
	udp_table_free(&t);
}

Test(table, touch_finds_a_known_client_with_its_state)
{
	struct udp_table t;
	struct sockaddr_storage a = v4(4000);
	struct udp_client *c;

	init(&t, 4);
	c = add(&t, 4000, 37);
	c->last_seq = 9;
	memcpy(c->reply, "9 37", 4);
	c->reply_len = 4;
	c = udp_table_touch(&t, SA(a));
	cr_expect_eq(c->total, 37, "the total was lost: %lld", (long long)c->total);
	cr_expect_eq(c->last_seq, 9, "last_seq was lost: %lu",
		     (unsigned long)c->last_seq);
	cr_expect(c->reply_len == 4 && memcmp(c->reply, "9 37", 4) == 0,
		  "the remembered reply was lost");
	cr_expect_eq(t.count, 1, "one client touched twice: count 1 expected, got %zu",
		     t.count);
	udp_table_free(&t);
}

/* Touches the client at ss, gives it a total, and checks it is found again. */
static void add_at(struct udp_table *t, struct sockaddr_storage ss, int64_t total)
{
	struct udp_client *c = udp_table_touch(t, SA(ss));

	cr_assert_not_null(c, "udp_table_touch returned NULL");
	c->total = total;
}

static void expect_total_at(struct udp_table *t, struct sockaddr_storage ss,
			    const char *who, int64_t total)
{
	struct udp_client *c = udp_table_find(t, SA(ss));

	cr_assert_not_null(c, "client %s not found", who);
	cr_expect_eq(c->total, total,
		     "client %s: total %lld expected, got %lld (mixed up?)", who,
		     (long long)total, (long long)c->total);
}

Test(table, a_client_is_its_address_and_port)
{
	struct udp_table t;
	struct sockaddr_storage other_ip = v4(4000);

	((struct sockaddr_in *)&other_ip)->sin_addr.s_addr = htonl(0x7f000002);
	init(&t, 8);
	add_at(&t, v4(4000), 1);
	add_at(&t, v4(4001), 2);
	add_at(&t, other_ip, 3);
	add_at(&t, v6(4000), 4);
	expect_total_at(&t, v4(4000), "127.0.0.1:4000", 1);
	expect_total_at(&t, v4(4001), "127.0.0.1:4001", 2);
	expect_total_at(&t, other_ip, "127.0.0.2:4000", 3);
	expect_total_at(&t, v6(4000), "[::1]:4000", 4);
	cr_expect_eq(t.count, 4, "4 clients expected, got %zu", t.count);
	udp_table_free(&t);
}

Test(table, find_does_not_add)
{
	struct udp_table t;
	struct sockaddr_storage a = v4(4000);

	init(&t, 4);
	udp_table_find(&t, SA(a));
	cr_expect_eq(t.count, 0, "find added a client: count %zu", t.count);
	udp_table_free(&t);
}

Test(table, evicts_the_least_recently_seen)
{
	struct udp_table t;

	init(&t, 3);
	add(&t, 1, 10);
	add(&t, 2, 20);
	add(&t, 3, 30);
	add(&t, 1, 11); /* 1 seen again: now 2 is the least recently seen */
	add(&t, 4, 40);
	expect_forgotten(&t, 2);
	expect_known(&t, 1, 11);
	expect_known(&t, 3, 30);
	expect_known(&t, 4, 40);
	udp_table_free(&t);
}

Test(table, find_does_not_count_as_seen)
{
	struct udp_table t;
	struct sockaddr_storage a = v4(1);

	init(&t, 2);
	add(&t, 1, 10);
	add(&t, 2, 20);
	udp_table_find(&t, SA(a)); /* a look, not a datagram from the client */
	add(&t, 3, 30);
	expect_forgotten(&t, 1);
	expect_known(&t, 2, 20);
	udp_table_free(&t);
}

Test(table, a_client_in_a_reused_slot_starts_fresh)
{
	struct udp_table t;
	struct sockaddr_storage b = v4(2);
	struct udp_client *c;

	init(&t, 1);
	c = add(&t, 1, 37);
	c->last_seq = 9;
	c->reply_len = 4;
	c = udp_table_touch(&t, SA(b));
	cr_expect(c->total == 0 && c->last_seq == 0 && c->reply_len == 0,
		  "the new client inherited the forgotten one's state (total %lld, "
		  "last_seq %lu)",
		  (long long)c->total, (unsigned long)c->last_seq);
	expect_forgotten(&t, 1);
	udp_table_free(&t);
}

Test(table, never_holds_more_than_its_capacity)
{
	struct udp_table t;

	init(&t, 16);
	for (unsigned port = 1; port <= 1000; port++)
		add(&t, port, port);
	cr_expect_eq(t.count, 16, "capacity 16: count 16 expected, got %zu", t.count);
	for (unsigned port = 985; port <= 1000; port++)
		expect_known(&t, port, port);
	expect_forgotten(&t, 984);
	expect_forgotten(&t, 1);
	udp_table_free(&t);
}
