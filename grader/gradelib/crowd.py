"""Hundreds of clients of the grader's at once, for tests of servers that serve many.

Each client is a plain non-blocking socket watched by one selector; `pump`
reads them all until a condition holds or a bounded time has passed, so a
test of 200 or 1,000 connections takes seconds, not one thread per client.
"""

import selectors
import socket
import time

CONNECT_BUDGET = 20.0  # seconds for all the connects (a kernel queue makes them quick)


class Crowd:
    """n clients of the grader's on plain non-blocking sockets (selectors), for
    tests with hundreds of connections: each one a buffer of received bytes."""

    def __init__(self, address, n, story, label="crowd", codec=None):
        self.codec = codec  # for frames(i)
        self.story = story
        self.label = label
        self.socks = []
        self.sel = selectors.DefaultSelector()
        give_up = time.monotonic() + CONNECT_BUDGET
        for i in range(n):
            s = socket.socket()
            s.settimeout(3.0)
            try:
                s.connect(address)
            except OSError as e:
                s.close()
                story.fail(f"{label}: connect client {i + 1} of {n}",
                           "the connection to be accepted", e.strerror or str(e))
            if time.monotonic() > give_up and i + 1 < n:
                s.close()
                story.fail(f"{label}: connect {n} clients", f"{n} connections in "
                           f"{CONNECT_BUDGET:.0f} s", f"{i + 1} connected in that time",
                           hint="each connect waited for room in the server's queue of "
                           "connections not yet accepted: a short listen(2) backlog "
                           "(use SOMAXCONN), or a server that accepts too seldom")
            s.setblocking(False)
            self.socks.append(s)
            self.sel.register(s, selectors.EVENT_READ, i)
        self.received = [bytearray() for _ in range(n)]
        self.closed = [False] * n
        story.step(f"{label}: connect {n} clients")

    def send_each(self, data_of, what):
        """Sends data_of(i) on each client i (small: fits the socket buffer)."""
        for i, s in enumerate(self.socks):
            data = data_of(i)
            if s.send(data) != len(data):
                self.story.fail(f"{self.label}: {what}", "the bytes to be taken",
                                f"client {i + 1} took only part of them")
        self.story.step(f"{self.label}: {what}")

    def pump(self, done, timeout):
        """Reads every client until done(self) or timeout; returns done(self)."""
        deadline = time.monotonic() + timeout
        while not done(self):
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            for key, _ in self.sel.select(min(left, 0.2)):
                i = key.data
                try:
                    chunk = key.fileobj.recv(1 << 20)
                except (BlockingIOError, InterruptedError):
                    continue
                except OSError:
                    chunk = b""
                if not chunk:
                    self.closed[i] = True
                    self.sel.unregister(key.fileobj)
                else:
                    self.received[i] += chunk
        return True

    def frames(self, i):
        """The whole frames client i received so far."""
        out, data = [], bytes(self.received[i])
        while True:
            try:
                decoded = self.codec.decode(data)
            except ValueError:
                break
            if decoded is None:
                break
            frame, used = decoded
            out.append(frame)
            data = data[used:]
        return out

    def close(self):
        for s in self.socks:
            s.close()
        self.sel.close()
