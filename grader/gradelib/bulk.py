"""Moving megabytes through a student's program, and saying what differs.

A failure over megabytes cannot show the bytes: it shows sizes, SHA-256
digests and where the data first differs.
"""

import fcntl
import hashlib
import struct
import termios
import time

LETTERS = b"abcdefghij klmnopqrstuvwxyz"


def digest(data):
    """The first 16 hex digits of the SHA-256 of data."""
    return hashlib.sha256(data).hexdigest()[:16]


def summary(data, expected=None):
    """'16777216 bytes, sha256 ...', and where data first differs from expected."""
    text = f"{len(data)} bytes, sha256 {digest(data)}"
    if expected is None or data == expected:
        return text
    same = next((i for i, (a, b) in enumerate(zip(data, expected)) if a != b),
                min(len(data), len(expected)))
    if same < min(len(data), len(expected)):
        return text + f" (first difference at byte {same})"
    ends = "stops" if len(data) < len(expected) else "goes on"
    return text + f" (the first {same} bytes are right, then it {ends})"


def lines(rng, size):
    """About size bytes of text lines of random lengths (1 to 300 bytes)."""
    out = bytearray()
    while len(out) < size:
        n = rng.randrange(300)
        out += bytes(rng.choice(LETTERS) for _ in range(n)) + b"\n"
    return bytes(out)


def receive_until_eof(sock, deadline):
    """Everything sock receives until end of stream, an error or deadline
    (time.monotonic()); what came is returned either way, for the check."""
    data = bytearray()
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            return bytes(data)
        sock.settimeout(left)
        try:
            chunk = sock.recv(1 << 20)
        except OSError:  # time-out or reset: the check shows what came
            return bytes(data)
        if not chunk:
            return bytes(data)
        data += chunk


def unread(sock):
    """How many bytes wait unread in sock, or in a pipe (either end) (FIONREAD)."""
    return struct.unpack("i", fcntl.ioctl(sock, termios.FIONREAD, b"\0" * 4))[0]


def wait_until_sending_stops(sock, still=0.3, bound=5.0):
    """Waits until no more bytes arrive unread in sock for still seconds (the other
    side's send is stuck on full buffers); returns how many wait."""
    last, since = -1, time.monotonic()
    deadline = since + bound
    while time.monotonic() < deadline:
        queued = unread(sock)
        if queued != last:
            last, since = queued, time.monotonic()
        elif time.monotonic() - since >= still:
            break
        time.sleep(0.01)
    return last
