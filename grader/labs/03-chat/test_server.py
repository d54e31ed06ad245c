"""Behaviour of bin/chat-server (contract sections 0 and 3), driven over loopback
by the grader's clients.

Each test names, in its docstring, the mistake it is there to catch.
"""

import socket
import time

import pytest

from chat_frames import (CODEC, ERROR, JOIN, LEAVE, MSG, WELCOME_FRAME, Users, connect,
                         error, storm_shot,
                         hello, join, leave, msg, send)
from gradelib import checks, frames
from gradelib.conversation import DEFAULT_WAIT, Conversation

points = pytest.mark.points
handout = pytest.mark.handout

SILENCE = 0.5
PROTOCOL_ERROR = error(b"protocol error")
# MSGs of 3,000 bytes queued at a user that stopped reading, before its ERROR:
# more than its receive buffer holds, so that the ERROR waits in the server.
ERROR_BACKLOG = 10


def _expect_error_and_close(c, reason, hint=None):
    c.expect_frame(reason, hint=hint)
    c.expect_eof(hint="after ERROR the server shuts down its sending half and closes")


@points(1)
@handout("Command line and output")
def test_bad_usage_exits_with_2(start, story):
    """Catches: missing operands not checked, or an unknown option accepted."""
    checks.usage_errors_exit_with_2(start, story, [("chat-server", []),
                                                   ("chat-server", ["-x", "0"])])


@points(2)
@handout("Joining")
def test_first_user_gets_welcome(room):
    """Catches: no WELCOME, a WELCOME with a payload, or a JOIN of the user itself."""
    alice = room.join(b"alice")
    alice.expect_silence(SILENCE, hint="a user never gets its own JOIN")


@points(3)
@handout("Joining")
def test_newcomer_gets_those_online_oldest_first_then_welcome(room):
    """Catches: the JOIN list in the wrong order (newest first), WELCOME before the
    list, or the newcomer's JOIN missing at the others."""
    room.join(b"alice")
    room.join(b"bob")
    carol = room.join(b"carol")
    carol.expect_silence(SILENCE, hint="a user never gets its own JOIN")


@points(2)
@handout("Joining")
def test_a_thousand_names_arrive_as_joins(room, chat_server, story):
    """Catches: the list of users sent in one frame (1,000 names do not fit in
    8,192 bytes), a fixed-size client table, or a select()-based server."""
    room.join(b"u0")  # one user end to end first
    n = 998
    users = Users(chat_server.address, n, story, f"{n} more users")
    try:
        users.send_each(lambda i: CODEC.encode(hello(b"u%d" % (i + 1))),
                        "each sends HELLO(uN)")
        missing = users.wait(lambda got: WELCOME_FRAME in got, 20)
        story.check(not missing, f"{n} more users: wait for WELCOME at each",
                    "WELCOME at every user", _missing(users, missing),
                    hint="a server for 1,000 clients: poll(2) or epoll(7), and a "
                    "client table that grows")
        last = connect(chat_server.address, story, "last")
        last.send_frame(hello(b"last"))
        names = []
        for _ in range(n + 1):
            frame, raw, instead = last.next_frame()
            if frame is None or frame.type != JOIN:
                break
            names.append(frame.payload)
        story.check(names == [b"u%d" % i for i in range(n + 1)] or
                    (len(names) == n + 1 and names[0] == b"u0" and
                     sorted(names) == sorted(b"u%d" % i for i in range(n + 1))),
                    "last: read the JOIN list", f"{n + 1} JOINs, one per user online, "
                    "u0 first", f"{len(names)} JOINs" + (f", then {instead}" if
                                                        instead else ""),
                    hint="one JOIN per user: a list of any length fits that way")
        last.expect_frame(WELCOME_FRAME)
    finally:
        users.close()


def _missing(users, missing):
    """What went wrong for the users in missing, in words."""
    closed = users.closed()
    if closed:
        return f"the server closed user {closed[0] + 1}'s connection"
    shown = ", ".join(str(i + 1) for i in missing[:5])
    return (f"{len(missing)} users without it (users {shown}"
            f"{', ...' if len(missing) > 5 else ''}), nothing more for 2 s")


@points(3)
@handout("Messages")
def test_msg_reaches_every_user_sender_included(room):
    """Catches: the sender left out of the fan-out, or MSG built without the
    name's length byte."""
    room.join(b"alice")
    bob = room.join(b"bob")
    room.join(b"carol")
    bob.send_frame(send(b"hello everyone"))
    room.expect_everyone(msg(b"bob", b"hello everyone"),
                         hint="a SEND becomes MSG(name, text) for every user, the "
                         "sender included")


@points(3)
@handout("Messages")
def test_every_user_sees_the_same_order(room, chat_server, story):
    """Catches: a user's own MSG sent to it at once while the others' wait in its
    queue, per-sender queues flushed in different orders, or frames handed to
    some users directly and queued for others."""
    users = [room.join(b"u%d" % i) for i in range(4)]
    resume = chat_server.pause(story)  # all 60 SENDs wait: one round sees them all
    try:
        for k in range(20):
            for i, u in enumerate(users[:3]):
                u.sock.sendall(CODEC.encode(send(b"m%d from %d" % (k, i))))
    except OSError as e:
        story.fail("u0, u1, u2 each send 20 SENDs at once", "the server to take them",
                   e.strerror or str(e))
    finally:
        story.step("u0, u1, u2 each send 20 SENDs at once, without waiting")
        resume()
    orders = []
    for i, u in enumerate(users):
        seen = []
        for _ in range(60):
            seen.append(u.expect_frame_where(lambda f: f.type == MSG, "a MSG").payload)
        orders.append(seen)
    differ = [i for i, o in enumerate(orders) if o != orders[0]]
    story.check(not differ, "compare the orders",
                "the same order of the 60 MSGs at every user",
                f"u{differ[0]} saw them in another order than u0" if differ else "",
                hint="one loop, one order: queue each MSG for every user, the sender "
                "included, behind what its queue already holds")
    for i in range(3):
        mine = [p for p in orders[0] if p.endswith(b" from %d" % i)]
        story.check(mine == [b"\x02u%dm%d from %d" % (i, k, i) for k in range(20)],
                    f"u{i}'s messages", "in the order u%d sent them" % i,
                    "another order", hint="one client's frames are handled in order")


@points(2)
@handout("A streaming decoder")
def test_frames_split_at_every_byte(room, chat_server, story):
    """Catches: a frame taken as whatever one recv() returned, or a header read
    in one piece."""
    alice = room.join(b"alice")
    data = CODEC.encode(hello(b"bob")) + CODEC.encode(send(b"split"))
    bob = connect(chat_server.address, story, "bob")
    bob.send_pieces([data[i:i + 1] for i in range(len(data))], pause=0.01)
    bob.expect_frame(join(b"alice"))
    bob.expect_frame(WELCOME_FRAME)
    alice.expect_frame(join(b"bob"))
    alice.expect_frame(msg(b"bob", b"split"))
    bob.expect_frame(msg(b"bob", b"split"))


@points(2)
@handout("A streaming decoder")
def test_many_frames_in_one_segment(room, chat_server, story):
    """Catches: only the first frame of a recv() handled, the rest dropped."""
    alice = room.join(b"alice")
    bob = connect(chat_server.address, story, "bob")
    data = CODEC.encode(hello(b"bob")) + b"".join(CODEC.encode(send(b"n%d" % i))
                                                  for i in range(30))
    bob.send(data, note=" (HELLO and 30 SENDs in one write)")
    bob.expect_frame(join(b"alice"))
    bob.expect_frame(WELCOME_FRAME)
    alice.expect_frame(join(b"bob"))
    for i in range(30):
        alice.expect_frame(msg(b"bob", b"n%d" % i))


@points(2)
@handout("Joining")
def test_first_frame_must_be_hello(room, chat_server, story):
    """Catches: a SEND accepted before HELLO (a MSG with no name), or no ERROR."""
    alice = room.join(b"alice")
    x = connect(chat_server.address, story, "nameless")
    x.send_frame(send(b"who am I"))
    _expect_error_and_close(x, PROTOCOL_ERROR)
    alice.expect_silence(SILENCE, hint="a client that never joined has no LEAVE")


@points(2)
@handout("Joining")
def test_invalid_names_are_refused(room, chat_server, story):
    """Catches: an empty name, a space or a 33-byte name accepted."""
    room.join(b"alice")
    for bad in (b"", b"bob smith", b"x" * 33, b"tab\tbed"):
        x = connect(chat_server.address, story, "newcomer")
        x.send_frame(hello(bad))
        _expect_error_and_close(x, error(b"invalid name"))
    room.join(b"bob")


@points(2)
@handout("Joining")
def test_taken_name_is_refused_and_free_again_after_leave(room, chat_server, story):
    """Catches: two users with one name, or a name kept after its user left."""
    room.join(b"alice")
    room.join(b"bob")
    x = connect(chat_server.address, story, "second alice")
    x.send_frame(hello(b"alice"))
    _expect_error_and_close(x, error(b"name taken"))
    room.forget(b"alice").close_noted()
    room.expect_everyone(leave(b"alice"))
    room.join(b"alice")


BAD_FRAMES = [
    ("an unknown type", b"\x00\x00\x00\x02\x09z"),
    ("a type the server sends (MSG)", CODEC.encode(msg(b"x", b"y"))),
    ("a second HELLO", CODEC.encode(hello(b"again"))),
    ("an empty SEND", CODEC.encode(send(b""))),
    ("a SEND of 4097 bytes", CODEC.encode(send(b"y" * 4097))),
    ("a SEND holding a LF", CODEC.encode(send(b"line\nbreak"))),
]


@points(2)
@handout("Protocol errors")
def test_bad_frames_get_error_leave_and_close(room, chat_server, story):
    """Catches: a bad frame ignored or handled, no LEAVE for the others, or the
    name kept after the error."""
    alice = room.join(b"alice")
    for what, data in BAD_FRAMES:
        story.step(f"--- mallory sends {what}")
        m = room.join(b"mallory")
        m.send(data)
        _expect_error_and_close(m, PROTOCOL_ERROR)
        room.forget(b"mallory")
        alice.expect_frame(leave(b"mallory"), hint="a client that gets ERROR leaves")
    alice.send_frame(send(b"still here"))
    alice.expect_frame(msg(b"alice", b"still here"))


@points(2)
@handout("Protocol errors")
def test_bad_length_is_refused_from_the_header(room, chat_server, story):
    """Catches: a length of 0 or over 8192 waited for (the server hangs) or
    allocated, instead of refused at once."""
    alice = room.join(b"alice")
    for what, header in (("length 0", b"\x00\x00\x00\x00"),
                         ("length 8193", b"\x00\x00\x20\x01"),
                         ("length 2^31", b"\x80\x00\x00\x00")):
        story.step(f"--- mallory sends a header with {what}, and nothing more")
        m = room.join(b"mallory")
        m.send(header)
        _expect_error_and_close(m, PROTOCOL_ERROR, hint="check the length as soon as "
                                "its 4 bytes are in")
        room.forget(b"mallory")
        alice.expect_frame(leave(b"mallory"))


def _small_window_user(room, chat_server, story, name, online):
    """Joins name on a socket whose receive buffer is 4 KiB from the start (set
    before connect(), so that the window it offers stays small): a few frames
    it does not read fill it. Not kept in the room."""
    label = name.decode()
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.settimeout(DEFAULT_WAIT)
    try:
        sock.connect(chat_server.address)
    except OSError as e:
        sock.close()
        story.fail(f"{label}: connect", "the connection to be accepted",
                   e.strerror or str(e))
    story.step(f"{label}: connect, with a receive buffer of 4 KiB")
    c = Conversation(sock, story, label, codec=CODEC)
    c.send_frame(hello(name))
    for other in online:
        c.expect_frame(join(other))
    c.expect_frame(WELCOME_FRAME)
    room.expect_everyone(join(name))
    return c


@points(2)
@handout("Protocol errors")
def test_error_arrives_whole_while_the_client_keeps_sending(room, chat_server, story):
    """Catches: a close right after ERROR while the client still sends (its next
    bytes meet a closed socket, and the reset destroys the ERROR still on its
    way), or no shutdown of the sending half."""
    alice = room.join(b"alice")
    m = _small_window_user(room, chat_server, story, b"mallory", [b"alice"])
    count = ERROR_BACKLOG
    story.step(f"mallory stops reading; alice sends {count} messages of 3,000 bytes")
    alice.send(CODEC.encode(send(b"a" * 3000)) * count, note=f" ({count} SENDs)")
    for i in range(count):
        alice.expect_frame(msg(b"alice", b"a" * 3000))
    m.send(CODEC.encode(hello(b"again")), note=" (a second HELLO)")
    for i in range(20):
        time.sleep(0.01)
        try:
            m.sock.sendall(b"z" * 1000)
        except OSError:
            break  # closed: the ERROR must still be there to read
    story.step("mallory sends 20,000 more bytes, 1,000 every 10 ms, then reads")
    last = None
    for i in range(count + 1):  # the MSGs queued before the ERROR may be dropped
        last = m.expect_frame_where(lambda f: f.type in (MSG, ERROR),
                                    "a MSG or the ERROR")
        if last.type == ERROR:
            break
    story.check(last == PROTOCOL_ERROR, "mallory: look for the ERROR",
                CODEC.describe(PROTOCOL_ERROR), CODEC.describe(last),
                hint="shut down the sending half after ERROR and drain what the client "
                "still sends before closing: closing while it sends makes a reset, "
                "which destroys the bytes not yet delivered")
    m.expect_eof()


@points(2)
@handout("Leaving")
def test_leave_when_a_user_closes(room):
    """Catches: no LEAVE when recv() returns 0, or a LEAVE sent to the user who left."""
    room.join(b"alice")
    room.join(b"bob")
    room.join(b"carol")
    room.forget(b"bob").close_noted()
    room.expect_everyone(leave(b"bob"))


@points(2)
@handout("Leaving")
def test_leave_when_a_user_resets(room):
    """Catches: a reset (ECONNRESET) that kills the server or leaves a ghost user."""
    room.join(b"alice")
    room.join(b"bob")
    room.forget(b"bob").reset()
    room.expect_everyone(leave(b"bob"))
    room.join(b"bob")


@points(2)
@handout("Leaving")
def test_frames_before_the_close_are_handled_first(room, chat_server, story):
    """Catches: POLLHUP or POLLRDHUP taken as the end before reading what came
    with it, so the last messages are lost."""
    alice = room.join(b"alice")
    bob = room.join(b"bob")
    resume = chat_server.pause(story)  # the SENDs and the close arrive together
    try:
        bob.send(b"".join(CODEC.encode(send(b"last words %d" % i)) for i in range(3)),
                 note=" (three SENDs)")
        room.forget(b"bob").close_noted()
    finally:
        resume()
    for i in range(3):
        alice.expect_frame(msg(b"bob", b"last words %d" % i),
                           hint="read until recv() returns 0, and handle every whole "
                           "frame before it, even when poll() reports the hang-up")
    alice.expect_frame(leave(b"bob"))


@points(2)
@handout("Messages")
def test_two_hundred_clients_each_receive_every_message(room, chat_server, story):
    """Catches: a limit on clients below 200, clients served one at a time, or a
    fan-out that skips some."""
    first = room.join(b"c0")  # one user end to end first
    n = 199
    users = Users(chat_server.address, n, story, f"{n} more users")
    try:
        users.send_each(lambda i: CODEC.encode(hello(b"c%d" % (i + 1))),
                        "each sends HELLO(cN)")
        missing = users.wait(lambda got: len(got) >= n + 1, 15)
        story.check(not missing, f"{n} more users: wait for the JOIN lists and JOINs",
                    f"{n + 1} frames at each (the JOINs of the 199 others, WELCOME)",
                    _missing(users, missing))
        users.send_each(lambda i: CODEC.encode(send(b"from %d" % (i + 1))) if i < 5
                        else b"", "users c1 to c5 each send one SEND")
        missing = users.wait(lambda got: sum(f.type == MSG for f in got) >= 5, 10)
        story.check(not missing, f"{n} more users: wait for the MSGs",
                    "5 MSGs at each user", _missing(users, missing),
                    hint="every MSG goes to every joined user")
        for i in range(200):
            frame = first.expect_frame_where(lambda f: f.type in (JOIN, MSG),
                                             "a JOIN or a MSG")
            if frame.type == MSG:
                break
        for k in range(4):
            first.expect_frame_where(lambda f: f.type == MSG, "a MSG")
    finally:
        users.close()


@points(4)
@handout("Slow readers: the 1 MiB rule")
def test_slow_reader_is_dropped_and_the_others_keep_receiving(room, story):
    """Catches: no bound on a client's queue (the server's memory grows without
    end), back-pressure that freezes the room, or a blocking send()."""
    slow = room.join(b"slow")
    slow.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    reader = room.join(b"reader")
    flooder = room.join(b"flooder")
    room.forget(b"slow")
    story.step("slow stops reading; flooder sends 4,000-byte messages as fast as the "
               "server takes them, while reader and flooder read everything")
    frame = CODEC.encode(send(b"f" * 4000))
    want = CODEC.encode(msg(b"flooder", b"f" * 4000))
    left = CODEC.encode(leave(b"slow"))
    for c in (reader, flooder):
        c.sock.setblocking(False)
    got = {reader: bytearray(), flooder: bytearray()}
    sent, out, start = 0, b"", time.monotonic()
    last_progress = start
    dropped_at = None
    while time.monotonic() - start < 20 and sent < 8000:
        if dropped_at is None or sent < dropped_at + 50:
            if not out:
                out = frame
            try:
                n = flooder.sock.send(out)
                out = out[n:]
                sent += 0 if out else 1
            except BlockingIOError:
                pass
        for c in (reader, flooder):
            try:
                chunk = c.sock.recv(1 << 20)
                if chunk:
                    got[c] += chunk
                    last_progress = time.monotonic()
            except BlockingIOError:
                pass
        if dropped_at is None and left in got[reader]:
            dropped_at = sent
        if dropped_at is not None and not out and sent >= dropped_at + 50 and \
                got[reader].count(want) >= sent:
            break
        if time.monotonic() - last_progress > 3:
            break
        time.sleep(0)
    for c in (reader, flooder):
        c.sock.setblocking(True)
    story.check(dropped_at is not None, "reader: look for LEAVE(slow)",
                "LEAVE(slow) once over 1 MiB was queued for slow",
                f"no LEAVE after {sent} messages ({sent * 4010 // 1024} KiB) to slow",
                hint="before queueing a frame, check that the queue stays within 1 MiB; "
                "else drop that client")
    story.check(got[reader].count(want) >= sent, "reader: count the MSGs",
                f"all {sent} messages, within 3 s of each other",
                f"{got[reader].count(want)}",
                hint="a slow reader must not slow the others: never wait for it")


@points(1)
@handout("Leaving")
def test_server_survives_a_client_that_vanishes_mid_frame(room, chat_server, story):
    """Catches: a server that dies or hangs when a client leaves in the middle of a
    frame."""
    alice = room.join(b"alice")
    x = connect(chat_server.address, story, "x")
    x.send(CODEC.encode(hello(b"x")) + b"\x00\x00\x10\x00\x03half a frame")
    x.expect_frame(join(b"alice"))
    x.expect_frame(WELCOME_FRAME)
    alice.expect_frame(join(b"x"))
    x.reset()
    alice.expect_frame(leave(b"x"))
    alice.send_frame(send(b"ok"))
    alice.expect_frame(msg(b"alice", b"ok"))


@points(2)
@handout("A storm of bad input")
def test_storm_of_bad_input_neither_kills_nor_stalls_the_server(chat_server, storm, start):
    """Catches: a server that trusts a length, a name or a type from the wire
    somewhere no other test looks (it crashes on one byte pattern), that dies
    when a client resets or vanishes, or that waits for one client's missing
    bytes while the others are ready."""
    s = storm(chat_server, restart=lambda: start("chat-server", "0", ready=True))
    s.run(storm_shot, _good_user, rounds=30, per_round=5)


def _good_user(server, story):
    """Joins "good" (steps written into story) and returns its probe: one SEND,
    and its own MSG back, other users' events skipped."""
    good = connect(server.address, story, "good")
    good.send_frame(hello(b"good"))
    good.expect_frame(WELCOME_FRAME, hint="the first user gets WELCOME at once")

    def probe(r):
        token = b"still here %d" % r
        good.send_frame(send(token))
        mine = msg(b"good", token)
        action = f"good: expect {CODEC.describe(mine)} (other users' events skipped)"
        deadline = time.monotonic() + DEFAULT_WAIT
        while True:
            frame, raw, instead = good.next_frame(max(0.0, deadline - time.monotonic()))
            if instead is not None:
                story.fail(action, CODEC.describe(mine), instead)
            if frame == mine:
                story.step(action)
                return
            if frame.type not in (MSG, JOIN, LEAVE):
                story.fail(action, CODEC.describe(mine),
                           f"{CODEC.describe(frame)}  {frames.hex_of(raw)}",
                           hint="a joined user that keeps to the protocol gets only "
                           "MSG, JOIN and LEAVE, whatever the others send")
    return probe
