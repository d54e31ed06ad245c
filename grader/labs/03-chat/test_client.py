"""Behaviour of bin/chat-client (contract sections 0 and 3), against a fake
server of the grader's that speaks the chat's frames.

Each test names, in its docstring, the mistake it is there to catch.
"""

import socket
import threading
import time

import pytest

from gradelib import bulk, checks
from gradelib.conversation import DEFAULT_WAIT, FakeServer, refusing_port
from gradelib.stdio import Screen, Typist, expect_exit, expect_stderr_has
from chat_frames import CODEC, WELCOME_FRAME, error, hello, join, leave, msg, send

points = pytest.mark.points
handout = pytest.mark.handout


@pytest.fixture
def server(story):
    with FakeServer(story, label="server", codec=CODEC) as s:
        yield s


class Session:
    """chat-client NAME connected to the fake server, HELLO read, WELCOME sent."""

    def __init__(self, start, story, server, name=b"alice", online=()):
        self.client = start("chat-client", *server.address, name.decode(), stdin="pipe")
        self.conn = server.accept(client=self.client)
        self.keys = Typist(self.client, story)
        self.screen = Screen(self.client, story)
        self.conn.expect_frame(hello(name), hint="the first frame is HELLO(NAME)")
        for other in online:
            self.conn.send_frame(join(other))
        self.conn.send_frame(WELCOME_FRAME)
        self.screen.expect(b"* welcome " + name + b"\n")
        if online:
            self.screen.expect(b"* online: " + b", ".join(online) + b"\n")


@pytest.fixture
def session(start, story, server):
    s = Session(start, story, server)
    yield s
    s.conn.close()


@points(1)
@handout("Command line and output")
def test_bad_usage_and_bad_names_exit_with_2(start, story):
    """Catches: a missing NAME accepted, or a name with a space sent to the server."""
    checks.usage_errors_exit_with_2(start, story, [
        ("chat-client", ["127.0.0.1", "9"]),
        ("chat-client", ["127.0.0.1", "9", "bob smith"]),
        ("chat-client", ["127.0.0.1", "9", "x" * 33]),
    ])


@points(3)
@handout("The frame format")
def test_sends_hello_then_exact_send_frames(session, story):
    """Catches: a length in host byte order, a length that leaves out the type byte,
    the LF (or a CR) sent as part of the text."""
    session.keys.type(b"hello there\n")
    session.conn.expect_bytes(b"\x00\x00\x00\x0c\x03hello there",
                              hint="length 12 (type + 11 bytes), big-endian; no LF")
    session.keys.type(b"with cr\r\n\n")
    session.conn.expect_frame(send(b"with cr"), hint="one CR before the LF is "
                              "dropped; an empty line is not sent")


@points(2)
@handout("The client")
def test_prints_welcome_and_who_is_online(start, story, server):
    """Catches: the online list printed as separate lines, in another order, or
    JOINs before WELCOME printed as `joined`."""
    s = Session(start, story, server, name=b"carol", online=(b"alice", b"bob"))
    s.screen.expect_silence(0.3)
    s.conn.close()


@points(2)
@handout("The client")
def test_prints_msg_join_and_leave(session):
    """Catches: MSG printed without splitting name and text, or events printed
    late (stdout not flushed)."""
    session.conn.send_frame(msg(b"bob", b"hi alice"))
    session.screen.expect(b"[bob] hi alice\n")
    session.conn.send_frame(join(b"dave"))
    session.screen.expect(b"* dave joined\n")
    session.conn.send_frame(leave(b"bob"))
    session.screen.expect(b"* bob left\n")


@points(2)
@handout("The client")
def test_server_error_exits_1_with_its_reason(session, story):
    """Catches: ERROR printed to stdout, ignored, or exit status 0."""
    session.conn.send_frame(error(b"name taken"))
    expect_exit(story, session.client, 1)
    expect_stderr_has(story, session.client, b"chat-client: server error: name taken")


@points(1)
@handout("The client")
def test_server_close_exits_1(session, story):
    """Catches: a close taken as a normal end (status 0), or a client that spins."""
    session.conn.close_noted()
    expect_exit(story, session.client, 1)
    expect_stderr_has(story, session.client,
                      b"chat-client: server closed the connection")


@points(2)
@handout("The client")
def test_quit_sends_everything_then_waits_for_the_close(session, story):
    """Catches: /quit sent as a message, lines typed before it lost, a close()
    instead of a shutdown, or exiting before the server closes."""
    session.keys.type(b"one\ntwo\n/quit\nnever sent\n")
    session.conn.expect_frame(send(b"one"))
    session.conn.expect_frame(send(b"two"))
    session.conn.expect_eof(hint="after /quit the client shuts down its sending half")
    session.conn.send_frame(msg(b"bob", b"late"))
    session.screen.expect(b"[bob] late\n", hint="after /quit it keeps printing until "
                          "the server closes")
    session.conn.close_noted()
    expect_exit(story, session.client, 0)


# 10 MB: more than the kernel buffers hold (the client's send buffer alone may
# grow to 4 MiB, tcp_wmem), so that a client that blocks in send() is blocked.
PASTE = [b"line %05d " % i + b"p" * 200 for i in range(48000)]


def _paste_while_the_server_talks(story, client, conn):
    """The server sends 1.6 MB of MSGs before it reads anything, while the client
    has 10 MB of stdin to send (more than the kernel buffers hold): a client that
    waits in send() stops reading, and the server's send times out. Then every
    line must arrive, the half-close, and status 0 once the server closes."""
    conn.sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 1 << 16)
    _wait_until_sending_stalls(conn.sock, client)
    story.step("the server reads nothing until the client's sending stalls")
    ping = b"[bob] are you still reading?\n"
    conn.send_frame(msg(b"bob", ping[6:-1]))
    _wait_for_stdout(story, client, ping, hint="while the socket cannot take more, "
                     "stop reading stdin but keep reading the socket and printing: a "
                     "client blocked in send() prints nothing")
    story.step("then the server sends 1.6 MB of MSGs, still reading nothing")
    big = CODEC.encode(msg(b"bob", b"b" * 4000))
    conn.sock.settimeout(10)
    try:
        conn.sock.sendall(big * 400)
    except OSError as e:
        story.fail("server: send 400 MSGs of 4,000 bytes", "the client to read them "
                   "while it sends", f"{e} (the client stopped reading its socket)",
                   hint="while the socket cannot take more, stop reading stdin, but "
                   "keep reading the socket (poll(2) says a file is always readable)")
    finally:
        conn.sock.settimeout(3)
    expected = b"".join(CODEC.encode(send(line)) for line in PASTE)
    got = conn.pending + bulk.receive_until_eof(conn.sock, time.monotonic() + 30)
    conn.pending = b""
    story.check(got == expected, "server: read the SENDs until the end of stream",
                f"{len(PASTE)} SENDs, one per line, then the half-close",
                bulk.summary(got, expected), hint="nothing typed may be lost; at the "
                "end of stdin the client shuts down its sending half")
    conn.close_noted()
    expect_exit(story, client, 0, timeout=10)
    want = b"[bob] " + b"b" * 4000 + b"\n"
    out = Screen(client, story).rest()
    story.check(out.count(want) == 400, "count the MSGs on stdout", "400",
                str(out.count(want)))


def _wait_for_stdout(story, client, wanted, hint, timeout=DEFAULT_WAIT):
    """Waits until wanted is somewhere on the client's stdout."""
    action = f"expect {wanted!r} on {client.name}'s stdout"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with open(client.stdout_path, "rb") as f:
            if wanted in f.read():
                story.step(action)
                return
        time.sleep(0.02)
    story.fail(action, repr(wanted), f"not there after {timeout:.1f} s", hint)


def _wait_until_sending_stalls(sock, client, quiet=0.3, timeout=10.0):
    """Waits until the bytes waiting in sock (unread) and, when the client's stdin
    is a pipe, those waiting in that pipe stay the same for `quiet` seconds: the
    client's sending is held back by the full buffers and it has stopped reading
    stdin (a client still filling its own send buffer is not stalled yet)."""
    pipe = client.proc.stdin
    last, since, deadline = None, time.monotonic(), time.monotonic() + timeout
    while time.monotonic() < deadline:
        state = (bulk.unread(sock), None if pipe is None or pipe.closed else bulk.unread(pipe))
        now = time.monotonic()
        if state != last:
            last, since = state, now
        elif now - since >= quiet:
            return
        time.sleep(0.05)


@points(2)
@handout("The client")
def test_long_paste_arrives_whole_while_the_server_talks(session, story):
    """Catches: lines lost at the end of stdin, a blocking send, or a client that
    stops reading the socket while it sends (and would be dropped)."""
    data = b"\n".join(PASTE)  # the last line has no LF
    typing = threading.Thread(target=lambda: (session.keys.type(data, timeout=30),
                                              session.keys.end()))
    typing.start()
    story.step(f"type {len(data):,} bytes ({len(PASTE)} lines, the last without LF)")
    try:
        _paste_while_the_server_talks(story, session.client, session.conn)
    except BaseException:
        session.client.kill()  # the typing stops at once, not after its 30 s
        raise
    finally:
        typing.join(30)


@points(2)
@handout("The client")
def test_lines_the_protocol_cannot_carry_are_refused(session, story):
    """Catches: a line over 4096 bytes sent cut or whole, or a control byte sent."""
    session.keys.type(b"x" * 5000 + b"\n" + b"tab\there\n" + b"y" * 4096 + b"\nok\n")
    session.conn.expect_frame(send(b"y" * 4096), hint="a line of 4096 bytes is "
                              "valid; one of 5000 is refused whole, not cut")
    session.conn.expect_frame(send(b"ok"))
    expect_stderr_has(story, session.client, b"chat-client: ")


@points(1)
@handout("The client")
def test_end_of_stdin_sends_the_last_line_and_exits_0(session, story):
    """Catches: a last line without LF dropped, or exit before the server closes."""
    session.keys.type(b"first\nlast, no LF")
    session.keys.end()
    session.conn.expect_frame(send(b"first"))
    session.conn.expect_frame(send(b"last, no LF"))
    session.conn.expect_eof()
    session.conn.close_noted()
    expect_exit(story, session.client, 0)


@points(1)
@handout("Command line and output")
def test_refused_connection_exits_1(start, story):
    """Catches: a crash, a silent exit or a status other than 1 when nothing
    listens, or perror() instead of a `chat-client: ` message."""
    with refusing_port() as port:
        checks.refused_connection_exits_1(start, story, "chat-client", "127.0.0.1",
                                          port, "alice", stdin="pipe", timeout=3.0)


@points(1)
@handout("The client")
def test_paste_from_a_file_arrives_whole_while_the_server_talks(start, story, server):
    """Catches: a client that reads a file on stdin to its end before it reads the
    socket again (a file is always readable), so that it would be dropped as a
    slow reader, or lines lost at the end of the file."""
    client = start("chat-client", *server.address, "alice",
                   stdin=b"\n".join(PASTE) + b"\n")
    story.step(f"the client's stdin is a file of {len(PASTE)} lines")
    conn = server.accept(client=client)
    conn.expect_frame(hello(b"alice"))
    conn.send_frame(WELCOME_FRAME)
    _paste_while_the_server_talks(story, client, conn)
