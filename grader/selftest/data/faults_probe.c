/*
 * probe.c - the subject of libfaults' own tests (grader/selftest/test_faults.py).
 *
 *   probe stream SEND RECV ROUNDS   SEND: send, write or sendto; RECV: recv, read
 *                                   or recvfrom
 *   probe dgram ROUNDS
 *   probe nonblocking ROUNDS
 *   probe files
 *
 * stream: over a stream socketpair, each round makes one SEND call of 100 bytes
 * and prints what it returned ("send 3", "send EINTR"), sends the rest with a
 * correct loop, then reads the 100 bytes back with RECV, printing each result.
 * It ends with "intact" if every byte came back in order, else "corrupt".
 * dgram: the same over a datagram socketpair, one call each way per round.
 * nonblocking: each round, one send and one recv with MSG_DONTWAIT, and one
 * recv with MSG_DONTWAIT on an empty socket.
 * files: writes 1000 bytes to stdout, to a pipe and to a file, reads the pipe
 * and the file back, and prints each count to stderr.
 * The program is single-threaded and deterministic: same seed, same output.
 */
#define _GNU_SOURCE
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define CHUNK 100 /* bytes per round */

/* Prints "NAME N", or "NAME EINTR" / "NAME ERROR: text" when n is -1. */
static void show(const char *name, ssize_t n)
{
	if (n == -1 && errno == EINTR)
		printf("%s EINTR\n", name);
	else if (n == -1)
		printf("%s ERROR: %s\n", name, strerror(errno));
	else
		printf("%s %zd\n", name, n);
}

/* Makes one call of the send-side function name; returns what it returned. */
static ssize_t put(const char *name, int fd, const char *buf, size_t len)
{
	if (strcmp(name, "write") == 0)
		return write(fd, buf, len);
	if (strcmp(name, "sendto") == 0)
		return sendto(fd, buf, len, 0, NULL, 0);
	return send(fd, buf, len, 0);
}

/* Makes one call of the receive-side function name; returns what it returned. */
static ssize_t get(const char *name, int fd, char *buf, size_t len)
{
	if (strcmp(name, "read") == 0)
		return read(fd, buf, len);
	if (strcmp(name, "recvfrom") == 0)
		return recvfrom(fd, buf, len, 0, NULL, NULL);
	return recv(fd, buf, len, 0);
}

/* Sends buf whole, looping over short sends and EINTR; exits on an error. */
static void send_all(int fd, const char *buf, size_t len)
{
	while (len > 0) {
		ssize_t n = send(fd, buf, len, 0);

		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			err(1, "send");
		buf += n;
		len -= (size_t)n;
	}
}

/* The byte at position i of the stream: a pattern that shows loss and reordering. */
static char pattern(long i)
{
	return (char)('a' + i % 23);
}

static int stream(const char *put_name, const char *get_name, int rounds)
{
	char out[CHUNK], in[CHUNK];
	long sent = 0, checked = 0;
	int sv[2], corrupt = 0;

	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == -1)
		err(1, "socketpair");
	for (int r = 0; r < rounds; r++) {
		ssize_t n;
		size_t got = 0;

		for (int i = 0; i < CHUNK; i++)
			out[i] = pattern(sent + i);
		sent += CHUNK;
		n = put(put_name, sv[0], out, CHUNK);
		show(put_name, n);
		if (n == -1 && errno != EINTR)
			return 1;
		send_all(sv[0], out + (n > 0 ? n : 0), CHUNK - (size_t)(n > 0 ? n : 0));
		while (got < CHUNK) {
			n = get(get_name, sv[1], in + got, CHUNK - got);
			show(get_name, n);
			if (n == -1 && errno == EINTR)
				continue;
			if (n <= 0)
				return 1;
			got += (size_t)n;
		}
		for (int i = 0; i < CHUNK; i++)
			corrupt |= in[i] != pattern(checked++);
	}
	printf("%s\n", corrupt ? "corrupt" : "intact");
	return 0;
}

static int dgram(int rounds)
{
	char buf[CHUNK];
	int sv[2];

	memset(buf, 'd', sizeof buf);
	if (socketpair(AF_UNIX, SOCK_DGRAM, 0, sv) == -1)
		err(1, "socketpair");
	for (int r = 0; r < rounds; r++) {
		ssize_t n;

		do {
			n = send(sv[0], buf, sizeof buf, 0);
			show("send", n);
		} while (n == -1 && errno == EINTR);
		do {
			n = recv(sv[1], buf, sizeof buf, 0);
			show("recv", n);
		} while (n == -1 && errno == EINTR);
	}
	return 0;
}

static int nonblocking(int rounds)
{
	char buf[CHUNK];
	int sv[2];

	memset(buf, 'n', sizeof buf);
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == -1)
		err(1, "socketpair");
	for (int r = 0; r < rounds; r++) {
		ssize_t n = send(sv[0], buf, sizeof buf, MSG_DONTWAIT);

		show("send", n);
		if (n > 0)
			send_all(sv[0], buf + n, sizeof buf - (size_t)n);
		for (size_t got = 0; got < sizeof buf; got += (size_t)n) {
			n = recv(sv[1], buf, sizeof buf - got, MSG_DONTWAIT);
			show("recv", n);
			if (n <= 0)
				return 1;
		}
		show("recv-empty", recv(sv[1], buf, sizeof buf, MSG_DONTWAIT));
	}
	return 0;
}

static int files(void)
{
	char buf[1000], back[1000];
	int p[2];
	FILE *f = tmpfile();

	memset(buf, 'f', sizeof buf);
	if (pipe(p) == -1 || f == NULL)
		err(1, "pipe or tmpfile");
	fprintf(stderr, "stdout %zd\n", write(1, buf, sizeof buf));
	fprintf(stderr, "pipe-write %zd\n", write(p[1], buf, sizeof buf));
	fprintf(stderr, "pipe-read %zd\n", read(p[0], back, sizeof back));
	fprintf(stderr, "file-write %zd\n", write(fileno(f), buf, sizeof buf));
	if (lseek(fileno(f), 0, SEEK_SET) == -1)
		err(1, "lseek");
	fprintf(stderr, "file-read %zd\n", read(fileno(f), back, sizeof back));
	return 0;
}

int main(int argc, char *argv[])
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc == 5 && strcmp(argv[1], "stream") == 0)
		return stream(argv[2], argv[3], atoi(argv[4]));
	if (argc == 3 && strcmp(argv[1], "dgram") == 0)
		return dgram(atoi(argv[2]));
	if (argc == 3 && strcmp(argv[1], "nonblocking") == 0)
		return nonblocking(atoi(argv[2]));
	if (argc == 2 && strcmp(argv[1], "files") == 0)
		return files();
	fprintf(stderr, "usage: probe stream SEND RECV ROUNDS | dgram ROUNDS | "
			"nonblocking ROUNDS | files\n");
	return 2;
}
