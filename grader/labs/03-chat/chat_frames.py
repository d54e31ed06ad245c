"""Lab 03's protocol for the grader: frames, a codec for gradelib.frames, and a
Room of grader-driven users around a student's server.

A `Room` keeps the users it joined (oldest first), so that each step checks
what every user must see: `room.join(b"alice")` expects alice's JOIN list and
WELCOME, then JOIN(alice) at every other user.
"""

import struct
import time
from dataclasses import dataclass

from gradelib import frames
from gradelib.conversation import DEFAULT_WAIT, Conversation
from gradelib.crowd import Crowd
from gradelib.frames import Codec

HELLO, WELCOME, SEND, MSG, JOIN, LEAVE, ERROR = range(1, 8)
NAMES = {HELLO: "HELLO", WELCOME: "WELCOME", SEND: "SEND", MSG: "MSG", JOIN: "JOIN",
         LEAVE: "LEAVE", ERROR: "ERROR"}
LENGTH_MAX = 8192

@dataclass(frozen=True)
class Frame:
    type: int
    payload: bytes = b""


def hello(name):
    return Frame(HELLO, name)


def send(text):
    return Frame(SEND, text)


def msg(name, text):
    return Frame(MSG, bytes([len(name)]) + name + text)


def join(name):
    return Frame(JOIN, name)


def leave(name):
    return Frame(LEAVE, name)


def error(reason):
    return Frame(ERROR, reason)


WELCOME_FRAME = Frame(WELCOME)


class ChatCodec(Codec):
    """Lab 03's frames for gradelib.frames: a 4-byte big-endian length (type +
    payload), the type, the payload."""

    def encode(self, frame):
        return struct.pack(">IB", 1 + len(frame.payload), frame.type) + frame.payload

    def decode(self, data):
        if len(data) < 4:
            return None
        length = struct.unpack(">I", data[:4])[0]
        if length < 1 or length > LENGTH_MAX:
            raise ValueError(f"length field {length}, valid is 1..{LENGTH_MAX}")
        if len(data) < 4 + length:
            return None
        return Frame(data[4], bytes(data[5:4 + length])), 4 + length

    def describe(self, frame):
        name = NAMES.get(frame.type, f"type 0x{frame.type:02x}")
        p = frame.payload
        if frame.type == MSG and p and p[0] <= len(p) - 1:
            return f"MSG(name={_text(p[1:1 + p[0]])}, text={_text(p[1 + p[0]:])})"
        if not p:
            return name
        return f"{name}({_text(p)})"


def _text(b, limit=60):
    s = b[:limit].decode("latin-1")
    shown = "".join(c if 0x20 <= ord(c) < 0x7f and c not in '"\\' else f"\\x{ord(c):02x}"
                    for c in s)
    return f'"{shown}"' + (f"... ({len(b)} bytes)" if len(b) > limit else "")


CODEC = ChatCodec()


def connect(address, story, label):
    return Conversation.connect(address, story, label, codec=CODEC)


# The name, in the record of gradelib.starts, of "this server never answered a
# first HELLO": a server that stays silent costs every test its first wait, so
# once one test has waited it out the others fail at once with its account.
# CORE CANDIDATE: starts.Record for "ready, but never answers a first request".
NEVER_ANSWERED = "chat-server-never-answered-a-first-hello"


class Room:
    """The users the grader joined to one server, oldest first.

    record: a gradelib.starts.Record, shared by the tests of one grading, where
    a server that never answered its first user's HELLO is written down."""

    def __init__(self, server, story, record=None):
        self.server = server
        self.story = story
        self.record = record
        self.users = {}  # name -> Conversation, in the order they joined

    def join(self, name):
        """Connects `name`, checks its JOIN list and WELCOME, and JOIN(name) at
        every user already there. Returns the Conversation."""
        label = name.decode()
        known = self.record.failed(NEVER_ANSWERED) if self.record and not self.users \
            else None
        if known:
            self.story.fail(f"{label}: join an empty room", "WELCOME", "no answer to "
                            "the first HELLO in an earlier test of this grading (not "
                            "waited for again):\n" + known)
        c = connect(self.server.address, self.story, label)
        c.send_frame(hello(name))
        if not self.users:
            self._expect_first_welcome(c)
            self.users[name] = c
            return c
        for other in self.users:
            c.expect_frame(join(other), hint="a new user first gets one JOIN per user "
                           "online, oldest first, then WELCOME")
        c.expect_frame(WELCOME_FRAME, hint="WELCOME comes after the JOIN list")
        for conv in self.users.values():
            conv.expect_frame(join(name), hint="the users online get the newcomer's JOIN")
        self.users[name] = c
        return c

    def _expect_first_welcome(self, c):
        """WELCOME at the first user; a server that stays silent is recorded."""
        action = f"{c.label}: expect {frames.shown(CODEC, WELCOME_FRAME)}"
        hint = "the first user gets WELCOME at once (there is no one to list)"
        frame, raw, instead = c.next_frame()
        if frame is None and not raw and self.record and self.server.alive() \
                and "nothing more" in instead:
            self.record.fail(NEVER_ANSWERED, f"{c.label} sent HELLO to a new server "
                             f"and got nothing for {DEFAULT_WAIT:.1f} s")
        if instead is not None:
            self.story.fail(action, "WELCOME", instead, hint)
        if frame != WELCOME_FRAME:
            self.story.fail(action, "WELCOME",
                            f"{CODEC.describe(frame)}  {frames.hex_of(raw)}", hint)
        self.story.step(action)

    def expect_everyone(self, frame, hint=None, but=()):
        for name, conv in self.users.items():
            if name not in but:
                conv.expect_frame(frame, hint=hint)

    def forget(self, name):
        """name has left: it is no longer expected to see anything."""
        return self.users.pop(name)

    def close_all(self):
        for conv in self.users.values():
            conv.close()


# -- crowds: hundreds of users on gradelib.crowd.Crowd ------------------------
class Users:
    """n users on a Crowd, each with its frames decoded as they come."""

    def __init__(self, address, n, story, label):
        self.story = story
        self.label = label
        self.n = n
        self.crowd = Crowd(address, n, story, label, codec=CODEC)
        self.got = [[] for _ in range(n)]  # frames decoded so far, per user
        self.used = [0] * n                # bytes of received[i] decoded

    def send_each(self, data_of, what):
        try:
            self.crowd.send_each(data_of, what)
        except OSError as e:
            self.story.fail(f"{self.label}: {what}", "the server to take the bytes",
                            e.strerror or str(e))

    def frames(self, i):
        """The frames user i received so far."""
        data = self.crowd.received[i]
        while True:
            try:
                decoded = CODEC.decode(bytes(data[self.used[i]:self.used[i] + 8197]))
            except ValueError:
                break
            if decoded is None:
                break
            self.got[i].append(decoded[0])
            self.used[i] += decoded[1]
        return self.got[i]

    def wait(self, done_for, timeout, stall=2.0):
        """Reads until done_for(frames of i) holds for every user; gives up early
        when one was closed or when nothing arrived for `stall` seconds.
        Returns the users for whom it does not hold."""
        left = set(range(self.n))
        seen = {"bytes": -1, "at": time.monotonic()}

        def over(crowd):
            for i in list(left):
                if done_for(self.frames(i)):
                    left.discard(i)
            if not left or any(crowd.closed):
                return True
            total = sum(map(len, crowd.received))
            now = time.monotonic()
            if total != seen["bytes"]:
                seen.update(bytes=total, at=now)
            return now - seen["at"] > stall

        self.crowd.pump(over, timeout)
        return sorted(left)

    def closed(self):
        return [i for i, c in enumerate(self.crowd.closed) if c]

    def close(self):
        self.crowd.close()


# -- a storm of bad input (gradelib.storm) --------------------------------------
def _frame(t, payload):
    return struct.pack(">IB", 1 + len(payload), t) + payload


def _some_frame(rng):
    """One frame a client might send, valid or not (the server decides), and
    what it is."""
    kind = rng.randrange(7)
    if kind == 0:
        text = rng.randbytes(rng.randint(1, 64)).replace(b"\n", b".")
        return _frame(SEND, text), f"SEND({len(text)} random bytes)"
    if kind == 1:
        return _frame(SEND, bytes(rng.randint(0x20, 0x7E) for _ in range(4096))), \
            "SEND(4096 bytes)"
    if kind == 2:
        text = rng.choice([b"", bytes(4097), b"a\x01b", b"\x7f" * 40])
        return _frame(SEND, text), f"SEND({_text(text, 12)})"
    if kind == 3:
        t = rng.randint(0, 255)
        return _frame(t, rng.randbytes(rng.randint(0, 40))), f"type 0x{t:02x}"
    if kind == 4:
        name = rng.randbytes(rng.randint(0, 40))
        return _frame(HELLO, name), f"HELLO({_text(name, 12)})"
    if kind == 5:  # a header whose length is out of bounds, or on the bound
        length = rng.choice([0, 1, LENGTH_MAX, LENGTH_MAX + 1, 65536, 2**31, 2**32 - 1])
        return struct.pack(">IB", length, rng.randint(0, 255)) + rng.randbytes(8), \
            f"a header of length {length}, 9 bytes"
    t = rng.choice([WELCOME, MSG, JOIN, LEAVE, ERROR])
    return _frame(t, rng.randbytes(4)), f"{NAMES[t]} (a server's type)"


def storm_shot(rng):
    """A gradelib.storm.Shot for lab 03: random bytes, a HELLO with a name of
    any length and any bytes, or a session (a valid HELLO, then frames valid
    and not), often with a few bytes changed; cut anywhere, ended any way."""
    from gradelib import storm
    kind = rng.randrange(5)
    if kind == 0:
        data, note = storm.noise(rng, 1, 64), "random bytes"
    elif kind == 1:
        size = rng.choice([0, 33, rng.randint(34, 300), rng.randint(300, LENGTH_MAX - 1)])
        data, note = _frame(HELLO, rng.randbytes(size)), f"HELLO with a name of {size} bytes"
    else:
        name = b"s%d" % rng.randrange(10**6)
        made = [_some_frame(rng) for _ in range(rng.randint(1, 4))]
        data = _frame(HELLO, name) + b"".join(f for f, _ in made)
        note = ", ".join([f"HELLO({name.decode()})", *(what for _, what in made)])
        if kind == 4:
            data, note = storm.mutate(rng, data), note + "; then bytes changed"
    return storm.Shot(storm.cut(rng, data), end=storm.any_end(rng), note=note)
