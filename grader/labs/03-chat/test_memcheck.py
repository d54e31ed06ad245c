"""Lab 03's memory check: whole sessions of bin/chat-server and bin/chat-client
under Valgrind memcheck (--leak-check=full --track-fds=yes), each ended the
way the contract says. Each session runs once; each test judges one finding,
and only if the session ran to its end."""

import os

import pytest

from gradelib import memcheck
from gradelib.conversation import DEFAULT_WAIT, Conversation, FakeServer
from gradelib.process import Program
from gradelib.stdio import Screen, Typist
from chat_frames import (CODEC, NEVER_ANSWERED, WELCOME_FRAME, Users, error, hello,
                         join, leave, msg, send)

pytestmark = pytest.mark.xdist_group("03-chat-memcheck")  # one session, one worker
points = pytest.mark.points
SECTION = "Checking memory with Valgrind"
handout = pytest.mark.handout(SECTION)
WAIT = 10.0  # seconds for each step under Valgrind


def _user(address, story, name, online):
    c = Conversation.connect(address, story, name.decode(), codec=CODEC, timeout=WAIT)
    c.send_frame(hello(name))
    for other in online:
        c.expect_frame(join(other), timeout=WAIT)
    c.expect_frame(WELCOME_FRAME, timeout=WAIT)
    return c


def _answers_a_first_hello(s):
    """Starts bin/chat-server without Valgrind and checks that it answers a first
    HELLO with WELCOME, then stops it: a server that does not (a skeleton) fails
    here within seconds instead of waiting out every step under Valgrind. One
    that stays silent is recorded, so the behaviour tests fail at once too."""
    story = s.story
    prog = story.watch(Program([os.path.join(s.build["src"], "bin", "chat-server"),
                                "0"], s.work, name="chat-server"))
    try:
        prog.start()
        prog.wait_ready(5)
        story.step(f"start `bin/chat-server 0` (without Valgrind): it printed "
                   f"`listening on {prog.shown_address}`")
        c = Conversation.connect(prog.address, story, "first user", codec=CODEC)
        c.send_frame(hello(b"alice"))
        frame, raw, instead = c.next_frame()
        if frame != WELCOME_FRAME:
            if frame is None and not raw and prog.alive() and "nothing more" in instead:
                s.starts.fail(NEVER_ANSWERED, "a first user sent HELLO to a new server "
                              f"and got nothing for {DEFAULT_WAIT:.1f} s")
            story.fail("first user: expect WELCOME", "WELCOME",
                       instead or CODEC.describe(frame))
        story.step("first user: expect WELCOME")
        c.close()
    finally:
        prog.kill()
    story.step("stop the server: now the same under Valgrind")


@pytest.fixture(scope="module")
def server_run(request, tmp_path_factory):
    """Users join, talk and leave every way there is; 40 more come and go; then
    SIGTERM."""
    s = memcheck.Session(request, tmp_path_factory, SECTION, name="memcheck-server")
    server = s.program("chat-server", "0", tag="server")
    story = s.story
    with s.running():
        known = s.starts.failed(NEVER_ANSWERED)
        if known:
            story.fail("join the server under Valgrind", "WELCOME", "no answer to the "
                       "first HELLO in a behaviour test (not tried again):\n" + known)
        _answers_a_first_hello(s)
        s.start_server("server", timeout=WAIT + 5)
        addr = server.address
        alice = _user(addr, story, b"alice", [])
        bob = _user(addr, story, b"bob", [b"alice"])
        alice.expect_frame(join(b"bob"), timeout=WAIT)
        bob.send_frame(send(b"x" * 4000))
        for c in (alice, bob):
            c.expect_frame(msg(b"bob", b"x" * 4000), timeout=WAIT)
        for name, how in ((b"carol", "close"), (b"dave", "reset"), (b"mallory", "error")):
            c = _user(addr, story, name, [b"alice", b"bob"])
            for u in (alice, bob):
                u.expect_frame(join(name), timeout=WAIT)
            if how == "close":
                c.close_noted()
            elif how == "reset":
                c.reset()
            else:
                c.send(b"\x00\x00\x00\x01\x09" + b"z" * 5000)
                c.expect_frame(error(b"protocol error"), timeout=WAIT)
                c.expect_eof(timeout=WAIT)
            for u in (alice, bob):
                u.expect_frame(leave(name), timeout=WAIT)
        users = Users(addr, 40, story, "40 more users")
        try:
            users.send_each(lambda i: CODEC.encode(hello(b"c%d" % i)), "each sends HELLO")
            missing = users.wait(lambda got: WELCOME_FRAME in got, WAIT * 2, stall=WAIT)
            story.check(not missing, "40 users: wait for WELCOME", "WELCOME at each",
                        f"{len(missing)} without it")
        finally:
            users.close()
        story.step("the 40 users close")
        server.terminate(grace=WAIT)
        story.step(f"send SIGTERM to the server: it {server.status()}")
        alice.close()
        bob.close()
    yield s


@pytest.fixture(scope="module")
def client_run(request, tmp_path_factory):
    """chat-client joins the grader's fake server, prints events, sends typed lines,
    and ends with /quit."""
    s = memcheck.Session(request, tmp_path_factory, SECTION, name="memcheck-client")
    story = s.story
    with FakeServer(story, label="server", codec=CODEC) as fake:
        client = s.program("chat-client", *fake.address, "alice", tag="client",
                           stdin="pipe")
        with s.running():
            client.start()
            story.step("start `valgrind ... bin/chat-client 127.0.0.1 PORT alice`")
            conn = fake.accept(timeout=WAIT + 5, client=client)
            keys, screen = Typist(client, story), Screen(client, story)
            conn.expect_frame(hello(b"alice"), timeout=WAIT)
            conn.send_frame(join(b"bob"))
            conn.send_frame(WELCOME_FRAME)
            screen.expect(b"* welcome alice\n* online: bob\n", timeout=WAIT)
            conn.send_frame(msg(b"bob", b"y" * 3000))
            screen.expect(b"[bob] " + b"y" * 3000 + b"\n", timeout=WAIT)
            keys.type(b"hello\n" + b"z" * 5000 + b"\nbye\n/quit\n")
            conn.expect_frame(send(b"hello"), timeout=WAIT)
            conn.expect_frame(send(b"bye"), timeout=WAIT)
            conn.expect_eof(timeout=WAIT)
            conn.close_noted()
            code = client.wait(WAIT * 2)
            story.check(code is not None, "wait for the client to end",
                        "it ends once the server closed", "still running")
            story.step(f"the client {client.status()}")
    yield s


@points(3)
@handout
def test_server_has_no_memory_errors_and_exits_0(server_run):
    """Catches: a client freed while the loop still uses it (a GONE client read
    after a fan-out dropped it), or a non-zero exit on SIGTERM."""
    server_run.check_errors_and_exit("server", 0, "on SIGTERM")


@points(2)
@handout
def test_server_leaks_no_memory(server_run):
    """Catches: clients or their queues never freed (on a drop, a reset, or at the
    end), or getaddrinfo()'s list kept."""
    server_run.check_leaks("server", "on SIGTERM")


@points(2)
@handout
def test_server_closes_its_descriptors(server_run):
    """Catches: a client's socket not closed on leaving, or the listener kept."""
    server_run.check_descriptors("server", "close every client and the listening "
                                 "socket", "on SIGTERM")


@points(1)
@handout
def test_client_has_no_memory_errors_and_exits_0(client_run):
    """Catches: an uninitialised decoder or queue, or a non-zero exit after /quit."""
    client_run.check_errors_and_exit("client", 0, "after /quit and the server's close")


@points(1)
@handout
def test_client_leaks_no_memory(client_run):
    """Catches: the send queue or the online list never freed."""
    client_run.check_leaks("client", "after /quit")


@points(1)
@handout
def test_client_closes_its_descriptors(client_run):
    """Catches: the socket not closed before exiting."""
    client_run.check_descriptors("client", "close the socket", "after /quit")
