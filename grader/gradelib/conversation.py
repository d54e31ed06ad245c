"""Talking to the student's programs, one written step at a time.

A Conversation wraps one connected stream socket: TCP over loopback (the
address is (host, port)) or AF_UNIX (the address is the socket's path). Each
action is written into the test's Story; an expectation that is not met
raises Failure with the whole story, so a test reads like the rule it checks.

The bytes are lines or binary frames. For frames a lab gives a codec (see
gradelib.frames); send_frame and expect_frame then show each frame decoded
and its bytes in hex.
"""

import contextlib
import ipaddress
import os
import socket
import struct
import time

from . import frames, sandbox
from .failure import show
from .process import format_address

DEFAULT_WAIT = 3.0


def connect_stream(address, timeout):
    """A stream socket connected to address ((host, port) or an AF_UNIX path),
    with `timeout` on its later calls; raises OSError after timeout.

    As a blocking connect(2) does, a full queue of connections waiting for
    accept(2) is waited out: on AF_UNIX a socket with a time-out gets EAGAIN
    at once (a server with a short backlog that accepts a moment later is
    correct), and TCP sends its SYN again by itself."""
    deadline = time.monotonic() + timeout
    while True:
        sock = socket.socket(family_of(address), socket.SOCK_STREAM)
        sock.settimeout(max(0.01, deadline - time.monotonic()))
        try:
            sock.connect(address)
        except BlockingIOError:
            sock.close()
            if time.monotonic() >= deadline:
                raise
            time.sleep(0.01)
            continue
        except OSError:
            sock.close()
            raise
        sock.settimeout(timeout)
        return sock


def family_of(address):
    """AF_UNIX for a path, AF_INET6 or AF_INET for (host, port) with a numeric host."""
    if isinstance(address, str):
        return socket.AF_UNIX
    version = ipaddress.ip_address(address[0].split("%")[0]).version
    return socket.AF_INET6 if version == 6 else socket.AF_INET


class Conversation:
    """One stream connection driven by the grader (as client or as server side)."""

    def __init__(self, sock, story, label, codec=None):
        self.sock = sock
        self.story = story
        self.label = label
        self.codec = codec  # for send_frame / expect_frame
        self.pending = b""  # bytes received but not yet matched

    # -- making one ---------------------------------------------------------
    @classmethod
    def connect(cls, address, story, label="client", codec=None, timeout=DEFAULT_WAIT):
        """Connects to address ((host, port), or an AF_UNIX path)."""
        action = f"{label}: connect {fmt(address)}"
        try:
            sock = connect_stream(address, timeout)
        except OSError as e:
            why = e.strerror or str(e) or "no answer"
            if isinstance(e, (BlockingIOError, socket.timeout)):
                why += (f" for {timeout:.1f} s: the server's queue of connections "
                        "waiting for accept(2) stayed full")
            story.fail(action, "the connection to be accepted", why)
        if sock.family != socket.AF_UNIX:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        story.step(action)
        return cls(sock, story, label, codec)

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

    def expect_eof(self, timeout=DEFAULT_WAIT, hint=None, clean=False):
        """Expects the peer to close (end of stream), with nothing more before.

        A reset counts as a close too, unless clean=True: then only a clean end
        of stream (recv returns 0) does. A server that closes with bytes of the
        client still unread sends a reset, which may destroy its last reply."""
        state = self._recv_until(lambda p: False, timeout)
        action = f"{self.label}: expect the connection to be closed" + (
            " cleanly (recv returns 0, no reset)" if clean else "")
        if (state == "eof" or (state == "Connection reset by peer" and not clean)) \
                and not self.pending:
            self.story.step(action)
            return
        if state == "Connection reset by peer" and not self.pending:
            self.story.fail(action, "end of stream", "a reset (RST): the bytes the peer "
                            "never read were still in its socket when it closed", hint)
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

    # -- frames (with the lab's codec) -----------------------------------------
    def send_frame(self, frame, note=""):
        """Sends one frame in one write."""
        data = self.codec.encode(frame)
        action = f"{self.label}: send {frames.shown(self.codec, frame)}{note}"
        try:
            self.sock.sendall(data)
        except OSError as e:
            self.story.fail(action, "the peer to take the bytes", f"{e.strerror or e}")
        self.story.step(action)

    def next_frame(self, timeout=DEFAULT_WAIT):
        """(frame, its bytes, None) for the next frame, or (None, bytes, what came
        instead) when no whole valid frame arrives in time."""
        bad = []

        def whole(pending):
            try:
                return self.codec.decode(pending) is not None
            except ValueError as e:
                bad.append(str(e))
                return True
        state = self._recv_until(whole, timeout)
        if bad:
            got, self.pending = self.pending, b""
            return None, got, f"bytes that are not a valid frame ({bad[0]}): {frames.hex_of(got)}"
        decoded = self.codec.decode(self.pending) if self.pending else None
        if decoded is None:
            got, self.pending = self.pending, b""
            what = f"{len(got)} bytes, not a whole frame {frames.hex_of(got)}" if got \
                else "nothing"
            return None, got, _what_came_text(what, state, timeout)
        frame, used = decoded
        raw, self.pending = self.pending[:used], self.pending[used:]
        return frame, raw, None

    def expect_frame(self, expected, timeout=DEFAULT_WAIT, hint=None):
        """Expects the next frame to equal expected; returns it."""
        return self.expect_frame_where(lambda f: f == expected,
                                       frames.shown(self.codec, expected), timeout, hint)

    def expect_frame_where(self, test, description, timeout=DEFAULT_WAIT, hint=None):
        """Expects the next frame to pass test(frame); description says what that is."""
        action = f"{self.label}: expect {description}"
        frame, raw, instead = self.next_frame(timeout)
        if instead is not None:
            self.story.fail(action, description, instead, hint)
        if not test(frame):
            self.story.fail(action, description,
                            f"{self.codec.describe(frame)}  {frames.hex_of(raw)}", hint)
        self.story.step(action)
        return frame

    def receive_all(self, size, timeout=DEFAULT_WAIT):
        """Returns up to size bytes gathered within timeout (no expectation)."""
        self._recv_until(lambda p: len(p) >= size, timeout)
        got, self.pending = self.pending[:size], self.pending[size:]
        return got


def _what_came(got, state, timeout):
    return _what_came_text(show(got) if got else "nothing", state, timeout)


def _what_came_text(what, state, timeout):
    if state == "eof":
        return f"{what}, then the connection closed"
    if state == "timeout":
        return f"{what}, then nothing more for {timeout:.1f} s"
    if state == "ok":
        return what
    return f"{what}, then the error '{state}'"


def fmt(address):
    return format_address(address)


class FakeServer:
    """A listening socket the grader owns, to test a student's client."""

    def __init__(self, story, host="127.0.0.1", label="test server", codec=None, path=None):
        """On host with a port of its own, or (path given) on an AF_UNIX path, whose
        file is made the student's (mode 0600, their uid) so their client may
        connect to it."""
        if path is not None:
            self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            self.sock.bind(str(path))
            os.chmod(path, 0o600)
            sandbox.give_file_to_student(path)
            self.address = str(path)
        else:
            self.sock = socket.socket(family_of((host, 0)), socket.SOCK_STREAM)
            self.sock.bind((host, 0))  # the grader keeps it open: no race
            self.address = (host, self.sock.getsockname()[1])
        self.sock.listen(8)
        self.story = story
        self.label = label
        self.codec = codec
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
        return Conversation(conn, self.story, self.label, self.codec)

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
