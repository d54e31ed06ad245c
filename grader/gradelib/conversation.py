"""Talking to the student's programs over loopback, one written step at a time.

A Conversation wraps one connected TCP socket. Each action is written into
the test's Story; an expectation that is not met raises Failure with the
whole story, so a test reads like the rule it checks.
"""

import contextlib
import socket
import struct
import time

from .failure import show

DEFAULT_WAIT = 3.0


class Conversation:
    """One TCP connection driven by the grader (as client or as server side)."""

    def __init__(self, sock, story, label):
        self.sock = sock
        self.story = story
        self.label = label
        self.pending = b""  # bytes received but not yet matched

    # -- making one ---------------------------------------------------------
    @classmethod
    def connect(cls, address, story, label="client"):
        host, port = address
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM)
        sock.settimeout(DEFAULT_WAIT)
        try:
            sock.connect((host, port))
        except OSError as e:
            sock.close()
            story.fail(f"{label}: connect {fmt(address)}", "the connection to be accepted",
                       f"{e.strerror or e}")
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        story.step(f"{label}: connect {fmt(address)}")
        return cls(sock, story, label)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    # -- sending ------------------------------------------------------------
    def send(self, data, note=""):
        """Sends data in one write (one TCP segment on loopback)."""
        try:
            self.sock.sendall(data)
        except OSError as e:
            self.story.fail(f"{self.label}: send {show(data)}", "the peer to take the bytes",
                            f"{e.strerror or e}")
        self.story.step(f"{self.label}: send {show(data)}{note}")

    def send_pieces(self, pieces, pause=0.05):
        """Sends each piece as its own segment, pausing between them."""
        shown = " then ".join(show(p, 40) for p in pieces)
        action = (f"{self.label}: send {shown} ({len(pieces)} writes, "
                  f"{pause * 1000:.0f} ms apart)")
        for i, piece in enumerate(pieces):
            if i:
                time.sleep(pause)
            try:
                self.sock.sendall(piece)
            except OSError as e:
                self.story.fail(action, "the peer to take the bytes", e.strerror or str(e))
        self.story.step(action)

    def shutdown_write(self):
        action = f"{self.label}: half-close (shutdown SHUT_WR)"
        try:
            self.sock.shutdown(socket.SHUT_WR)
        except OSError as e:
            self.story.fail(action, "the connection to be open", e.strerror or str(e))
        self.story.step(action)

    def reset(self):
        """Closes with SO_LINGER 0: the peer gets a RST instead of a FIN."""
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.sock.close()
        self.story.step(f"{self.label}: reset the connection (RST)")

    def close(self):
        if self.sock.fileno() != -1:
            self.sock.close()

    def close_noted(self):
        self.close()
        self.story.step(f"{self.label}: close")

    # -- receiving ----------------------------------------------------------
    def _recv_until(self, done, timeout):
        """Reads into self.pending until done(pending) or EOF or timeout.

        Returns 'ok', 'eof', 'timeout' or an error text.
        """
        deadline = time.monotonic() + timeout
        while not done(self.pending):
            left = deadline - time.monotonic()
            if left <= 0:
                return "timeout"
            self.sock.settimeout(left)
            try:
                chunk = self.sock.recv(65536)
            except socket.timeout:
                return "timeout"
            except OSError as e:
                return e.strerror or str(e)
            if not chunk:
                return "eof"
            self.pending += chunk
        return "ok"

    def expect_bytes(self, expected, timeout=DEFAULT_WAIT, action=None, hint=None):
        """Expects exactly these bytes next."""
        n = len(expected)
        state = self._recv_until(lambda p: len(p) >= n, timeout)
        got, self.pending = self.pending[:n], self.pending[n:]
        action = action or f"{self.label}: expect {show(expected)}"
        if got == expected:
            self.story.step(action)
            return got
        self.story.fail(action, show(expected), _what_came(got, state, timeout), hint)

    def expect_line(self, expected, timeout=DEFAULT_WAIT, hint=None):
        """Expects the next line (up to and with its LF) to be expected."""
        state = self._recv_until(lambda p: b"\n" in p, timeout)
        if b"\n" in self.pending:
            cut = self.pending.index(b"\n") + 1
            got, self.pending = self.pending[:cut], self.pending[cut:]
        else:
            got, self.pending = self.pending, b""
        action = f"{self.label}: expect the line {show(expected)}"
        if got == expected:
            self.story.step(action)
            return got
        self.story.fail(action, show(expected), _what_came(got, state, timeout), hint)

    def expect_eof(self, timeout=DEFAULT_WAIT, hint=None):
        """Expects the peer to close (end of stream), with nothing more before."""
        state = self._recv_until(lambda p: False, timeout)
        action = f"{self.label}: expect the connection to be closed"
        if state in ("eof", "Connection reset by peer") and not self.pending:
            self.story.step(action)
            return
        got, self.pending = self.pending, b""
        self.story.fail(action, "end of stream", _what_came(got, state, timeout), hint)

    def expect_silence(self, seconds, hint=None):
        """Expects nothing to arrive (and no close) for the given time."""
        state = self._recv_until(lambda p: len(p) > 0, seconds)
        action = f"{self.label}: expect nothing for {seconds:.1f} s"
        if state == "timeout" and not self.pending:
            self.story.step(action)
            return
        got, self.pending = self.pending, b""
        came = show(got) if got else ("the connection closed" if state == "eof" else state)
        self.story.fail(action, "silence", came, hint)

    def receive_all(self, size, timeout=DEFAULT_WAIT):
        """Returns up to size bytes gathered within timeout (no expectation)."""
        self._recv_until(lambda p: len(p) >= size, timeout)
        got, self.pending = self.pending[:size], self.pending[size:]
        return got


def _what_came(got, state, timeout):
    what = show(got) if got else "nothing"
    if state == "eof":
        return f"{what}, then the connection closed"
    if state == "timeout":
        return f"{what}, then nothing more for {timeout:.1f} s"
    if state == "ok":
        return what
    return f"{what}, then the error '{state}'"


def fmt(address):
    host, port = address
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


class FakeServer:
    """A listening socket the grader owns, to test a student's client."""

    def __init__(self, story, host="127.0.0.1", label="test server"):
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        self.sock = socket.socket(family, socket.SOCK_STREAM)
        self.sock.bind((host, 0))  # the grader keeps it open: no race
        self.sock.listen(8)
        self.address = (host, self.sock.getsockname()[1])
        self.story = story
        self.label = label
        story.step(f"{label}: listen on {fmt(self.address)}")

    def accept(self, timeout=DEFAULT_WAIT, client=None):
        """Waits for a connection; gives up early if the client program has ended."""
        deadline = time.monotonic() + timeout
        self.sock.settimeout(0.05)
        while True:
            try:
                conn, _ = self.sock.accept()
                break
            except socket.timeout:
                pass
            if client is not None and not client.alive():
                self.story.fail(f"{self.label}: accept", "the client to connect",
                                f"no connection: the client {client.status()}")
            if time.monotonic() > deadline:
                self.story.fail(f"{self.label}: accept", "the client to connect",
                                f"no connection within {timeout:.1f} s")
        conn.settimeout(DEFAULT_WAIT)
        self.story.step(f"{self.label}: accept a connection")
        return Conversation(conn, self.story, self.label)

    def close(self):
        self.sock.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


@contextlib.contextmanager
def refusing_port(host="127.0.0.1"):
    """A port where connect() is refused: bound by the grader, never listened on,
    so no other program can take it while the test runs."""
    holder = socket.socket()
    holder.bind((host, 0))
    try:
        yield holder.getsockname()[1]
    finally:
        holder.close()
