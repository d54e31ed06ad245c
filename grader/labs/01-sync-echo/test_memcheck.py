"""Lab 01's memory check: a realistic session with both programs under
Valgrind memcheck (--leak-check=full --track-fds=yes); the server is
stopped with SIGTERM. The session runs once; each test grades one finding,
and only if the session ran to its end."""

import pytest

from gradelib import memcheck
from gradelib.conversation import Conversation

points = pytest.mark.points
handout = pytest.mark.handout("Checking memory with Valgrind")
pytestmark = pytest.mark.xdist_group("01-sync-echo-memcheck")  # one session, one worker

CLIENT_INPUT = b"hello\nsecond line\n" + b"z" * 3000 + b"\nexit\n"
WAIT = 10.0  # seconds for each step under Valgrind (start-up alone takes 0.5)


@pytest.fixture(scope="module")
def session(request, tmp_path_factory):
    s = memcheck.Session(request, tmp_path_factory, "Checking memory with Valgrind")
    server = s.program("echo-server", "0", tag="server")
    with s.running():
        s.start_server("server", timeout=WAIT)
        _misbehaving_clients(server.address, s.story)
        client = s.program("echo-client", *server.address, tag="client",
                           stdin=CLIENT_INPUT)
        client.start()
        s.story.step("start `valgrind ... bin/echo-client` with 4 lines, the last `exit`")
        s.story.check(client.wait(2 * WAIT) is not None, "wait for the client to end",
                      "it to end after `bye`", f"the client {client.status()}")
        s.story.step(f"the client {client.status()}")
        s.story.check(server.alive(), "check that the server still runs, before SIGTERM",
                      "it to keep running until it is stopped",
                      f"the server {server.status()} by itself")
        server.terminate(grace=WAIT)
        s.story.step(f"SIGTERM the server: it {server.status()}")
    yield s


def _misbehaving_clients(address, story):
    """The server's error paths run under Valgrind too: a reset, a too-long line."""
    c = Conversation.connect(address, story, "client that resets")
    c.send(b"a line\n")
    c.expect_line(b"a line\n", timeout=WAIT)
    c.reset()
    c = Conversation.connect(address, story, "client with a long line")
    c.send(b"w" * 5000 + b"\n")
    c.expect_line(b"error: line too long\n", timeout=WAIT)
    c.close()


@points(3)
@handout
def test_server_has_no_memory_errors_and_exits_0(session):
    """Catches: memory errors on the server's paths, or an exit status other than 0
    after SIGTERM."""
    session.check_errors_and_exit("server", 0, "after SIGTERM")


@points(4)
@handout
def test_server_leaks_no_memory(session):
    """Catches: getaddrinfo()'s list or the line reader's buffer never freed."""
    session.check_leaks("server", "on SIGTERM")


@points(3)
@handout
def test_server_closes_its_descriptors(session):
    """Catches: the listening socket or a client's socket not closed at exit."""
    session.check_descriptors("server", "close the listening socket and the client's "
                              "socket", "on SIGTERM")


@points(5)
@handout
def test_client_is_clean_under_valgrind(session):
    """Catches: memory errors, leaks (getline's buffer) or open descriptors in the
    client, or an exit status other than 0 after `bye`."""
    session.check_errors_and_exit("client", 0, "after `bye`")
    session.check_leaks("client", "after `bye`")
    session.check_descriptors("client", "close the socket before exiting", "after `bye`")
