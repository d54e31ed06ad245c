"""A lossy UDP relay: a proxy between clients and one server that drops,
duplicates, delays and reorders datagrams, in a way that replays exactly.

    relay = lossy_relay(server.address, loss=0.3, duplicate=0.2, delay=0.5,
                        max_delay=0.025)                  # the fixture (fixtures.py)
    client = start("udp-client", *relay.address, ...)     # talks to the relay

Clients send to relay.address. For each client address the relay opens one
upstream socket of its own, kept for the whole test, and forwards the
client's datagrams from it to the server; what the server sends to that
socket goes back to that client, from relay.address. So the server sees one
stable address per client, and the client sees replies from the address it
sent to.

Every decision about a datagram (drop it? send it twice? delay each copy, by
how much?) is a function of (seed, direction, bytes, occurrence) only, where
occurrence counts the earlier datagrams with the same bytes in the same
direction: the first "1 INCR 1" and its retransmission get decisions of their
own, and a second run with the same seed makes the same decisions. Delays stay
below max_delay, which a test keeps under half of the client's first timeout,
so that a round trip through the relay never outlasts that timeout: the only
retransmissions are those that losses cause, and the run replays.

Each decision is a step of the story (log=True), so a failure shows what the
network did; the first step gives the seed and the command that replays it.
"""

import hashlib
import heapq
import itertools
import os
import select
import socket
import threading
import time
import zlib

from .failure import show
from .process import format_address

SEED_ENV = "SOCKETLAB_RELAY_SEED"
MAX_DATAGRAM = 65535
TO_SERVER, TO_CLIENT = "c->s", "s->c"


def seed_for(name):
    """The seed of a test: SOCKETLAB_RELAY_SEED if set, else one derived from
    the test's name, so that a grading makes the same decisions every time."""
    chosen = os.environ.get(SEED_ENV)
    if chosen:
        return int(chosen, 0)
    return zlib.crc32(name.encode())


def replay_command(lab_number, test_name, seed):
    """The command a student runs to replay one test with one seed."""
    return f"{SEED_ENV}={seed} make grade LAB={lab_number} TEST={test_name}"


class Decision:
    """What the relay does with one datagram: copies (0, 1 or 2) and their delays."""

    def __init__(self, seed, direction, data, occurrence, loss, duplicate, delay,
                 max_delay):
        digest = hashlib.blake2b(f"{seed}|{direction}|{occurrence}|".encode() + data,
                                 digest_size=32).digest()
        u = [int.from_bytes(digest[i:i + 4], "big") / 2**32 for i in range(0, 32, 4)]
        self.delays = []
        if u[0] < loss:
            return  # dropped
        copies = 2 if u[1] < duplicate else 1
        for c in range(copies):
            late = u[2 + 2 * c] < delay
            self.delays.append(u[3 + 2 * c] * max_delay if late else 0.0)

    def describe(self):
        if not self.delays:
            return "dropped"
        parts = [f"delayed {d * 1000:.0f} ms" if d else "at once" for d in self.delays]
        return ("duplicated: " if len(parts) == 2 else "") + ", ".join(parts)


class LossyRelay:
    """A UDP proxy on 127.0.0.1 in front of one server (see the module's text)."""

    def __init__(self, story, server, seed, loss=0.3, duplicate=0.2, delay=0.5,
                 max_delay=0.025, replay=None, log=True, label="relay"):
        self.story = story
        self.server = tuple(server)
        self.seed = seed
        self.rates = dict(loss=loss, duplicate=duplicate, delay=delay, max_delay=max_delay)
        self.log = log
        self.label = label
        self.front = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.front.bind(("127.0.0.1", 0))
        self.address = self.front.getsockname()[:2]
        self.upstream = {}     # client address -> its socket towards the server
        self.client_of = {}    # upstream socket's fileno -> client address
        self.occurrences = {}  # (direction, bytes) -> times seen
        self.queue = []        # heap of (when, order, socket, data, destination)
        self.order = itertools.count()
        self.counts = {"datagrams": 0, "dropped": 0, "duplicated": 0, "delayed": 0}
        self.lock = threading.Lock()
        self.wake_r, self.wake_w = socket.socketpair()
        self.stopping = False
        self.thread = threading.Thread(target=self._run, name="lossy-relay", daemon=True)
        how = (f"loss {loss:.0%}, duplication {duplicate:.0%}, {delay:.0%} of copies "
               f"delayed up to {max_delay * 1000:.0f} ms, seed {seed}")
        story.step(f"start the lossy {label} {format_address(self.address)} -> server "
                   f"{format_address(self.server)}: {how}"
                   + (f" (replay this run: {replay})" if replay else ""))

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.close()

    def close(self):
        """Stops the relay and closes its sockets; writes its totals in the story."""
        if self.stopping:
            return
        self.stopping = True
        self.wake_w.send(b"x")
        if self.thread.is_alive():
            self.thread.join(5.0)
        for sock in [self.front, self.wake_r, self.wake_w, *self.upstream.values()]:
            sock.close()
        c = self.counts
        self.story.step(f"{self.label}: {c['datagrams']} datagrams, {c['dropped']} dropped, "
                        f"{c['duplicated']} duplicated, {c['delayed']} copies delayed")

    # -- the relay's thread --------------------------------------------------
    def _run(self):
        while not self.stopping:
            timeout = None
            if self.queue:
                timeout = max(0.0, self.queue[0][0] - time.monotonic())
            readable, _, _ = select.select(
                [self.front, self.wake_r, *self.upstream.values()], [], [], timeout)
            for sock in readable:
                if sock is self.wake_r:
                    return
                self._receive(sock)
            self._send_due()

    def _receive(self, sock):
        try:
            data, source = sock.recvfrom(MAX_DATAGRAM)
        except (BlockingIOError, ConnectionRefusedError):
            return  # an ICMP error for an earlier datagram: the network's business
        if sock is self.front:
            client = source[:2]
            up = self._upstream_for(client)
            self._forward(TO_SERVER, data, up, self.server, f"from {format_address(client)}")
        else:
            client = self.client_of[sock.fileno()]
            self._forward(TO_CLIENT, data, self.front, client, f"to {format_address(client)}")

    def _upstream_for(self, client):
        up = self.upstream.get(client)
        if up is None:
            up = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            up.bind(("127.0.0.1", 0))
            self.upstream[client] = up
            self.client_of[up.fileno()] = client
        return up

    def _forward(self, direction, data, sock, destination, who):
        key = (direction, data)
        occurrence = self.occurrences.get(key, 0)
        self.occurrences[key] = occurrence + 1
        decision = Decision(self.seed, direction, data, occurrence, **self.rates)
        c = self.counts
        c["datagrams"] += 1
        c["dropped"] += not decision.delays
        c["duplicated"] += len(decision.delays) == 2
        c["delayed"] += sum(1 for d in decision.delays if d)
        if self.log:
            self.story.step(f"{self.label} {direction} {show(data, 60)} {who}: "
                            f"{decision.describe()}")
        now = time.monotonic()
        for d in decision.delays:
            heapq.heappush(self.queue, (now + d, next(self.order), sock, data, destination))
        self._send_due()

    def _send_due(self):
        now = time.monotonic()
        while self.queue and self.queue[0][0] <= now:
            _, _, sock, data, destination = heapq.heappop(self.queue)
            try:
                sock.sendto(data, destination)
            except OSError:
                pass  # a datagram the network could not deliver: lost, as UDP allows
