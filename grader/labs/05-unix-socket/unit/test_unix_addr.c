/*
 * test_unix_addr.c - unit tests of unix_addr_make() (unix_addr.h), lab 05.
 *
 * Run them all with `make check`, or list them and run one:
 *   ./build/unit-tests --list
 *   ./build/unit-tests --filter 'unix_addr/refuses_empty_path'
 * This file is a copy of the grader's: editing it does not change your grade.
 */
#include <criterion/criterion.h>

#include <errno.h>
#include <stddef.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "unix_addr.h"

TestSuite(unix_addr, .timeout = 2);

#define SUN_PATH_SIZE sizeof(((struct sockaddr_un *)0)->sun_path) /* 108 on Linux */
#define JUNK	      0x5a /* what *addr holds before the call */

/* A path of n bytes: "/" then 'a' to 'z' over and over. */
static void make_path(char *path, size_t n)
{
	for (size_t i = 0; i < n; i++)
		path[i] = i == 0 ? '/' : (char)('a' + i % 26);
	path[n] = '\0';
}

/* Fills *addr and *len with junk, to see what the call changes. */
static void fill_junk(struct sockaddr_un *addr, socklen_t *len)
{
	memset(addr, JUNK, sizeof *addr);
	*len = 12345;
}

/* Tells whether *addr is still all junk. */
static int is_junk(const struct sockaddr_un *addr)
{
	const unsigned char *p = (const unsigned char *)addr;

	for (size_t i = 0; i < sizeof *addr; i++)
		if (p[i] != JUNK)
			return 0;
	return 1;
}

Test(unix_addr, builds_family_path_and_length)
{
	struct sockaddr_un addr;
	socklen_t len;
	const char *path = "/run/lab05/service.sock";

	fill_junk(&addr, &len);
	errno = 0;
	cr_assert_eq(unix_addr_make(path, &addr, &len), 0,
		     "unix_addr_make(\"%s\") should return 0, errno is now %s", path,
		     strerror(errno));
	cr_expect_eq(addr.sun_family, AF_UNIX, "sun_family should be AF_UNIX (%d), is %d",
		     AF_UNIX, addr.sun_family);
	cr_expect_str_eq(addr.sun_path, path,
			 "sun_path should hold the path with its NUL");
	cr_expect_eq(
		len, offsetof(struct sockaddr_un, sun_path) + strlen(path) + 1,
		"*len should be offsetof(struct sockaddr_un, sun_path) + strlen(path) "
		"+ 1 = %zu, is %u",
		offsetof(struct sockaddr_un, sun_path) + strlen(path) + 1, (unsigned)len);
}

Test(unix_addr, accepts_longest_path_that_fits)
{
	struct sockaddr_un addr;
	socklen_t len;
	char path[SUN_PATH_SIZE + 8];
	size_t n = SUN_PATH_SIZE - 1; /* 107 bytes, and the NUL: sun_path is full */

	make_path(path, n);
	fill_junk(&addr, &len);
	errno = 0;
	cr_assert_eq(unix_addr_make(path, &addr, &len), 0,
		     "a path of %zu bytes fits in sun_path (%zu bytes with its NUL): "
		     "unix_addr_make() should return 0, errno is now %s",
		     n, SUN_PATH_SIZE, strerror(errno));
	cr_expect_eq(memcmp(addr.sun_path, path, n), 0,
		     "sun_path should hold the whole path");
	cr_expect_eq(addr.sun_path[n], '\0', "sun_path[%zu] should be the NUL", n);
	cr_expect_eq(len, offsetof(struct sockaddr_un, sun_path) + n + 1,
		     "*len should be %zu, is %u",
		     offsetof(struct sockaddr_un, sun_path) + n + 1, (unsigned)len);
}

Test(unix_addr, refuses_path_one_byte_too_long)
{
	struct sockaddr_un addr;
	socklen_t len;
	char path[SUN_PATH_SIZE + 8];
	size_t n = SUN_PATH_SIZE; /* 108 bytes: no room left for the NUL */
	int rc;

	make_path(path, n);
	fill_junk(&addr, &len);
	errno = 0;
	rc = unix_addr_make(path, &addr, &len);
	cr_assert_eq(
		rc, -1,
		"a path of %zu bytes does not fit in sun_path with its NUL: "
		"unix_addr_make() should return -1 (never cut the path), returned %d",
		n, rc);
	cr_expect_eq(errno, ENAMETOOLONG, "errno should be ENAMETOOLONG, is %s",
		     strerror(errno));
	cr_expect(is_junk(&addr) && len == 12345,
		  "on failure *addr and *len should be left as they were");
}

Test(unix_addr, refuses_empty_path)
{
	struct sockaddr_un addr;
	socklen_t len;
	int rc;

	fill_junk(&addr, &len);
	errno = 0;
	rc = unix_addr_make("", &addr, &len);
	cr_assert_eq(rc, -1,
		     "an empty path would make sun_path[0] a NUL: an abstract socket, no "
		     "file. unix_addr_make(\"\") should return -1, returned %d",
		     rc);
	cr_expect_eq(errno, EINVAL, "errno should be EINVAL, is %s", strerror(errno));
	cr_expect(is_junk(&addr) && len == 12345,
		  "on failure *addr and *len should be left as they were");
}
