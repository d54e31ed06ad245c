"""UDP datagrams as steps of a story.

A Datagrams is one UDP socket of the grader's, bound to a port of its own on
loopback: a test client of a student's server (each Datagrams is a client of
its own: its own source port), or a fake server for a student's client.

    with Datagrams(story, "client A") as a:
        a.send(b"1 INCR 5", to=server.address)
        a.expect(b"1 5", source=server.address)
        a.expect_silence(0.5)

A failure shows each datagram with its size, its bytes (hex when binary)
and the address it came from.
"""

import select
import socket
import struct
import time

from .conversation import family_of
from .failure import show
from .process import format_address

DEFAULT_WAIT = 1.5  # a datagram over loopback takes well under a millisecond
MAX_DATAGRAM = 65535
SO_TIMESTAMPNS = getattr(socket, "SO_TIMESTAMPNS", 35)  # Linux; Python lacks the name


class Datagrams:
    """One UDP socket of the grader's, every action written into the story."""

    def __init__(self, story, label="client", host="127.0.0.1", stamped=False):
        """stamped=True asks the kernel to stamp each datagram's arrival, for
        receive_stamped (tests that time a program's retransmissions)."""
        self.sock = socket.socket(family_of((host, 0)), socket.SOCK_DGRAM)
        self.sock.bind((host, 0))
        if stamped:
            self.sock.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPNS, 1)
        self.address = self.sock.getsockname()[:2]
        self.story = story
        self.label = label
        self.unmatched = []  # (data, source) received while waiting for another

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def close(self):
        if self.sock.fileno() != -1:
            self.sock.close()

    def send(self, data, to, note=""):
        """Sends data as one datagram to address to."""
        action = f"{self.label}: send {show(data)} to {format_address(to)}{note}"
        try:
            self.sock.sendto(data, to)
        except OSError as e:
            self.story.fail(action, "the datagram to leave", e.strerror or str(e))
        self.story.step(action)

    def receive(self, timeout=DEFAULT_WAIT, sender=None):
        """(data, source) of the next datagram, or None after timeout, or as soon
        as the program sender (a Program), if given, has ended without sending
        one. Errors that a UDP socket reports for earlier sends (ECONNREFUSED)
        are skipped."""
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            ended = sender is not None and not sender.alive()
            self.sock.settimeout(0 if ended else min(left, 0.05) if sender else left)
            try:
                data, source = self.sock.recvfrom(MAX_DATAGRAM)
            except (socket.timeout, BlockingIOError):
                if ended:
                    return None  # it ended, and nothing it sent is left to read
                continue
            except ConnectionRefusedError:
                continue  # an ICMP port unreachable for an earlier datagram
            return data, source[:2]

    def receive_stamped(self, timeout):
        """(data, source, arrival) of the next datagram, or None after timeout.
        arrival is the kernel's receive time (CLOCK_REALTIME, seconds; needs
        stamped=True): how late the grader gets to read the datagram does not
        change it, so gaps between arrivals measure the sender, not a busy grader."""
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([self.sock], [], [], left)[0]:
                return None
            try:
                data, ancillary, _, source = self.sock.recvmsg(MAX_DATAGRAM,
                                                               socket.CMSG_SPACE(16))
            except ConnectionRefusedError:
                continue  # an ICMP error for an earlier datagram
            arrival = time.time()
            for level, kind, value in ancillary:
                if level == socket.SOL_SOCKET and kind == SO_TIMESTAMPNS and len(value) >= 16:
                    sec, nsec = struct.unpack("qq", value[:16])
                    arrival = sec + nsec / 1e9
            return data, source[:2], arrival

    def expect(self, expected, source=None, timeout=DEFAULT_WAIT, hint=None, sender=None):
        """Expects the next datagram to be expected (from source, when given).
        sender: the program that should send it; its end stops the wait."""
        return self.expect_where(lambda d: d == expected, show(expected), source,
                                 timeout, hint, sender)

    def expect_where(self, test, description, source=None, timeout=DEFAULT_WAIT,
                     hint=None, sender=None):
        """Expects the next datagram (from source, when given) to pass test(data)."""
        frm = f" from {format_address(source)}" if source else ""
        action = f"{self.label}: expect {description}{frm}"
        got = self.receive(timeout, sender)
        if got is None:
            why = (f"nothing: {sender.name} {sender.status()}"
                   if sender is not None and not sender.alive()
                   else f"nothing within {timeout:.1f} s")
            self.story.fail(action, f"a datagram{frm}", why, hint)
        data, came_from = got
        if source is not None and tuple(came_from) != tuple(source):
            self.story.fail(action, f"a datagram{frm}", f"{show(data)} from "
                            f"{format_address(came_from)}", hint)
        if not test(data):
            self.story.fail(action, description, show(data), hint)
        self.story.step(action)
        return data

    def expect_silence(self, seconds, hint=None):
        """Expects no datagram for the given time."""
        action = f"{self.label}: expect no datagram for {seconds:.1f} s"
        got = self.receive(seconds)
        if got is None:
            self.story.step(action)
            return
        data, came_from = got
        self.story.fail(action, "silence", f"{show(data)} from {format_address(came_from)}",
                        hint)
