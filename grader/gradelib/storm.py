"""A storm of bad input against a server, while a good client keeps talking.

A server MUST NOT die because of a client (contract, section 0), and one
client's garbage must not stop it serving the others. The tests of each rule
send the bad inputs someone thought of; a storm sends the ones nobody did:
random bytes, valid messages with a few bytes changed, pieces cut anywhere,
connections reset in the middle, descriptors nobody asked for. Between
batches of bad input a well-behaved client does one exchange and checks the
answer, so a server that crashes, hangs on one client, or lets the garbage
touch another client's state fails.

    s = storm(server, restart=lambda: start("chat-server", "0", ready=True))
    s.run(shot_of, good_client, rounds=30, per_round=5)

shot_of(rng) -> Shot is the lab's: it knows its protocol's messages and
mutates them (the helpers below do the byte work). good_client(server, story)
is the lab's too: it connects a client that keeps to the protocol (its steps
written into story, which stays quiet unless it fails) and returns
probe(round), one exchange of that client, which fails through the story.

Same code, same storm: the seed comes from the test's name and a digest of
the student's answer files (as for injected faults), so grading the same code
twice gives the same score; SOCKETLAB_STORM_SEED=N replays one seed. The
number of shots is fixed, never a time budget: a slow grader sends the same
storm. A failure tells the seed, and the shots sent since the good client's
last good answer, each with its bytes: the input that did it is among them.
Given restart(), a way to start a fresh server, the storm then tries each of
those shots alone against a fresh one, and names the first that does it alone.
"""

import contextlib
import errno
import os
import random
import re
import socket
import struct
import time
import zlib
from dataclasses import dataclass

from .conversation import connect_stream, family_of
from .failure import Failure, QuietStory, Story, show
from .process import format_address

SEED_ENV = "SOCKETLAB_STORM_SEED"
SHOWN = re.compile(r"storm of bad input, seed (\d+)")  # how run() writes the seed
ENDS = ("close", "reset", "half", "keep")
MAX_KEPT = 6          # bad connections left open at once (the oldest is closed)
CONNECT_WAIT = 2.0    # a server that stops accepting fails in this time
NARROW_BUDGET = 6.0   # seconds the search for the one shot may take (a server
                      # that hangs costs the good client's whole wait each try)
INTERESTING = (0x00, 0x01, 0x0A, 0x0D, 0x1F, 0x20, 0x7E, 0x7F, 0x80, 0xFF)
HINT = ("a server checks every length, byte and state that comes from a client "
        "before it uses it, and never waits for one client while others are ready: "
        "replay this storm with its seed, under a debugger or Valgrind")


def seed_for(name, code=""):
    """SOCKETLAB_STORM_SEED if set (to replay), else one derived from the test's
    name and a digest of the student's code (faults.code_digest): the same code
    meets the same storm, and every edit a new one."""
    chosen = os.environ.get(SEED_ENV)
    if chosen:
        return int(chosen, 0)
    return zlib.crc32(f"storm\0{name}\0{code}".encode())


def seed_in(text):
    """The storm seed a failure text shows, or None."""
    m = SHOWN.search(text)
    return int(m.group(1)) if m else None


@dataclass
class Shot:
    """One piece of bad input.

    pieces  the bytes, written one piece at a time (stream), or one datagram
            (the first piece; a datagram storm sends one piece)
    end     stream only: "close" (FIN), "reset" (RST), "half" (shutdown the
            sending half, stay to read) or "keep" (stay open, never read)
    fds     AF_UNIX only: descriptors (of /dev/null) sent with the first piece
    note    what the lab made it from ("HELLO, name of 300 bytes")
    source  datagram only: which of the storm's sockets sends it
    """
    pieces: list
    end: str = "close"
    fds: int = 0
    note: str = ""
    source: int = 0

    def __post_init__(self):
        if isinstance(self.pieces, (bytes, bytearray)):
            self.pieces = [bytes(self.pieces)]
        if self.end not in ENDS:
            raise ValueError(f"a shot ends with one of {ENDS}, not {self.end!r}")

    def describe(self, datagram):
        data = b"".join(self.pieces)
        what = f"{self.note}: " if self.note else ""
        if datagram:
            return f"{what}{show(data, 80)} from socket {self.source}"
        cut = f" in {len(self.pieces)} writes" if len(self.pieces) > 1 else ""
        fds = f", with {self.fds} descriptor(s)" if self.fds else ""
        ends = {"close": "then close", "reset": "then reset (RST)",
                "half": "then half-close", "keep": "then stay connected, not reading"}
        return f"{what}{show(data, 80)}{cut}{fds}, {ends[self.end]}"


# -- byte work for the labs' shot makers --------------------------------------
def noise(rng, lo=0, hi=64):
    """lo..hi random bytes."""
    return rng.randbytes(rng.randint(lo, hi))


def mutate(rng, data, edits=None):
    """data with 1..3 random edits: a bit flipped, a byte set to an interesting
    value, bytes inserted, a range deleted or repeated, the end cut off."""
    b = bytearray(data)
    for _ in range(edits or rng.randint(1, 3)):
        kind = rng.randrange(6)
        at = rng.randint(0, len(b))
        if kind == 0 and b:
            i = min(at, len(b) - 1)
            b[i] ^= 1 << rng.randrange(8)
        elif kind == 1 and b:
            b[min(at, len(b) - 1)] = rng.choice(INTERESTING)
        elif kind == 2:
            b[at:at] = noise(rng, 1, 8)
        elif kind == 3 and b:
            del b[at:at + rng.randint(1, 8)]
        elif kind == 4 and b:
            b[at:at] = b[at:at + rng.randint(1, 16)] * rng.randint(1, 4)
        elif kind == 5 and len(b) > 1:
            del b[rng.randint(1, len(b) - 1):]
    return bytes(b)


def cut(rng, data, most=4):
    """data cut into 1..most pieces at random places."""
    if len(data) < 2:
        return [data]
    marks = sorted(rng.sample(range(1, len(data)), min(rng.randint(0, most - 1),
                                                       len(data) - 1)))
    return [data[i:j] for i, j in zip([0, *marks], [*marks, len(data)])]


def any_end(rng, keep=0.15):
    """An end for a stream shot: mostly close or reset, sometimes half or keep."""
    r = rng.random()
    if r < keep:
        return "keep"
    if r < keep + 0.1:
        return "half"
    return "reset" if r < 0.55 else "close"


# -- the storm ----------------------------------------------------------------
class _Witness(QuietStory):
    """The good client's story: silent while it is served; when it is not, the
    failure first lists the shots since its last good answer."""

    def __init__(self, storm):
        super().__init__(storm.story)
        self.storm = storm

    def fail(self, action, expected, got, hint=None):
        server = self.storm.server
        if not server.alive():
            server.wait(0.2)
            got = f"{got} ({server.name} {server.status()})"
        self.storm.tell_recent()
        super().fail(action, expected, got, hint or HINT)


class Storm:
    """Bad input from many grader sockets against one server (see the module)."""

    def __init__(self, story, server, seed, replay=None, datagram=False, sources=4,
                 restart=None, label="storm"):
        """server: the student's Program (its .address: (host, port) or a path).
        datagram: UDP shots, from `sources` sockets of the grader's.
        restart() -> a fresh server, ready: to find the one shot that does it."""
        self.story = story
        self.server = server
        self.restart = restart
        self.good_client = None
        self.seed = seed
        self.replay = replay
        self.datagram = datagram
        self.label = label
        self.rng = random.Random(seed)
        self.witness = _Witness(self)
        self.kept = []     # bad stream connections left open
        self.recent = []   # (number, shot) since the last good answer
        self.shots = 0     # sent so far
        self.sockets = _datagram_sockets(server.address, sources) if datagram else []

    def run(self, shot_of, good_client, rounds=30, per_round=5):
        """rounds x (per_round shots, then probe(round)); fails at the first
        round after which the server is gone or the good client unserved."""
        self.good_client = good_client
        probe = good_client(self.server, self.witness)
        total = rounds * per_round
        replay = f"{SEED_ENV}={self.seed} {self.replay or ''}".strip()
        self.story.step(f"{self.label}: storm of bad input, seed {self.seed}: {total} shots "
                        f"in {rounds} rounds of {per_round}, the good client served "
                        f"after each round (replay it: {replay})")
        started = time.monotonic()
        for r in range(rounds):
            for _ in range(per_round):
                shot = shot_of(self.rng)
                self.shots += 1
                self.recent.append((self.shots, shot))
                self._deliver(shot, self.server.address)
            self._drain()
            self._require_alive(f"after round {r + 1}")
            probe(r)
            self._require_alive(f"after the good client's exchange {r + 1}")
            self.recent.clear()
        self.close()
        self.story.step(f"{self.label}: {total} shots sent in {time.monotonic() - started:.1f} "
                        f"s; the server stayed up and served the good client after each of "
                        f"the {rounds} rounds")

    def tell_recent(self):
        """Writes the shots sent since the good client's last good answer, and
        (given restart) the first of them that does it alone."""
        if not self.recent:
            return
        recent, self.recent = self.recent, []
        first, last = recent[0][0], recent[-1][0]
        before = (f"shots 1-{first - 1} were survived, the good client served after "
                  "them; " if first > 1 else "")
        self.story.step(f"{self.label}: {before}the shots sent since its last good answer "
                        f"({first}-{last}):")
        for number, shot in recent:
            self.story.step(f"  shot {number}: {shot.describe(self.datagram)}")
        if self.restart is not None and self.good_client is not None:
            self._narrow(recent)

    def _narrow(self, recent):
        """Tries each shot alone against a fresh server; names the first that
        kills it or leaves the good client unserved."""
        self.story.step(f"{self.label}: to find the shot that does it, each one alone "
                        "against a fresh server, with the good client:")
        give_up = time.monotonic() + NARROW_BUDGET
        for number, shot in recent:
            if time.monotonic() > give_up:
                self.story.step(f"{self.label}: (the search stopped after "
                                f"{NARROW_BUDGET:.0f} s, before shot {number})")
                return
            effect = self._alone(shot)
            if effect:
                self.story.step(f"{self.label}: shot {number} alone, against a fresh "
                                f"server, does it: {effect}")
                return
        self.story.step(f"{self.label}: no one of these shots alone does it, against a "
                        "fresh server: it takes them together (or their timing)")

    def _alone(self, shot):
        """What shot alone does to a fresh server: None, or what went wrong."""
        server = self.restart()
        scratch = Story()
        # the storm's own connections and sockets wait aside; these are the search's
        kept, sockets = self.kept, self.sockets
        self.kept = []
        self.sockets = _datagram_sockets(server.address, len(sockets)) if sockets else []
        try:
            probe = self.good_client(server, QuietStory(scratch))
            self._deliver(shot, server.address)
            time.sleep(0.05)
            self._drain()
            if server.alive():
                probe(0)
                server.wait(0.1)  # a crash the probe did not wait for
            if not server.alive():
                server.wait(0.2)
                return f"{server.name} {server.status()}"
            self.story.unwatch(server)  # it survived: its stderr would only distract
            return None
        except Failure as e:
            if not hasattr(scratch, "failed_with"):
                return str(e)
            expected, got = scratch.failed_with
            return f"the good client expected {expected}, got {got}"
        finally:
            self.close()
            self.kept, self.sockets = kept, sockets
            server.kill()

    def close(self):
        for s, _ in self.kept:
            s.close()
        self.kept.clear()
        for s in self.sockets:
            s.close()
        self.sockets.clear()

    # -- delivering ----------------------------------------------------------
    def _require_alive(self, when):
        if self.server.alive():
            return
        self.server.wait(0.2)
        self.tell_recent()
        self.story.fail(f"{self.label}: check the server {when}",
                        "the server to keep running", f"{self.server.name} "
                        f"{self.server.status()}", HINT)

    def _deliver(self, shot, address):
        if self.datagram:
            self._send_datagram(shot, address)
        else:
            self._send_stream(shot, address)

    def _send_datagram(self, shot, address):
        s = self.sockets[shot.source % len(self.sockets)]
        with contextlib.suppress(BlockingIOError, ConnectionRefusedError):
            s.sendto(shot.pieces[0], address)

    def _send_stream(self, shot, address):
        try:
            s = connect_stream(address, CONNECT_WAIT)
        except OSError as e:
            if address != self.server.address:
                raise Failure(f"connect: {e.strerror or e}") from None  # narrowing
            if not self.server.alive():
                self._require_alive(f"at shot {self.shots}")
            self.tell_recent()
            why = e.strerror or str(e) or "no answer"
            if isinstance(e, socket.timeout) or e.errno in (errno.EAGAIN, errno.ETIMEDOUT):
                why += (f": the server's queue of connections waiting for accept(2) "
                        f"stayed full for {CONNECT_WAIT:.0f} s, so it has stopped accepting")
            self.story.fail(f"{self.label}: connect to {format_address(address)} "
                            f"for shot {self.shots}", "the connection to be "
                            "accepted", why, HINT)
        try:
            for i, piece in enumerate(shot.pieces):
                if i == 0 and shot.fds:
                    self._send_with_fds(s, piece, shot.fds)
                else:
                    s.sendall(piece)
        except OSError:
            pass  # the server closed first (after an ERROR, say): its right
        self._end(s, shot.end)

    @staticmethod
    def _send_with_fds(s, data, n):
        fds = [os.open("/dev/null", os.O_WRONLY) for _ in range(n)]
        try:
            socket.send_fds(s, [data or b"\n"], fds)
        finally:
            for fd in fds:
                os.close(fd)

    def _end(self, s, end):
        if end == "reset":
            s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            s.close()
        elif end == "close":
            s.close()
        else:
            if end == "half":
                with contextlib.suppress(OSError):
                    s.shutdown(socket.SHUT_WR)
            s.setblocking(False)
            self.kept.append((s, end == "half"))
            if len(self.kept) > MAX_KEPT:
                old, _ = self.kept.pop(0)
                old.close()

    def _drain(self):
        """Reads and drops what the server sent to the storm's sockets (those
        that read: a "keep" connection never does)."""
        readers = [s for s, reads in self.kept if reads] + self.sockets
        for s in readers:
            with contextlib.suppress(OSError):
                while s.recv(65536):
                    pass


def _datagram_sockets(address, n):
    """n non-blocking UDP sockets of the grader's, of address's family."""
    family = family_of(address)
    host = "::1" if family == socket.AF_INET6 else "127.0.0.1"
    sockets = []
    for _ in range(n):
        s = socket.socket(family, socket.SOCK_DGRAM)
        s.bind((host, 0))
        s.setblocking(False)
        sockets.append(s)
    return sockets
