"""Lab 05's memory check: one whole session with both programs under Valgrind
memcheck (--leak-check=full --track-fds=yes); the server is stopped with
SIGTERM. The session runs once; each test grades one finding, and only if the
session ran to its end (a server that does not answer earns nothing here)."""

import os

import pytest

from gradelib import memcheck
from gradelib.conversation import Conversation

points = pytest.mark.points
handout = pytest.mark.handout("Checking memory with Valgrind")
pytestmark = pytest.mark.xdist_group("05-unix-socket-memcheck")  # one session, one worker

CLIENT_INPUT = b"WHOAMI\nECHO hello\nECHO " + b"z" * 3000 + b"\nQUIT\n"
WAIT = 10.0  # seconds for each step under Valgrind (start-up alone takes 0.5)


@pytest.fixture(scope="module")
def session(request, tmp_path_factory):
    s = memcheck.Session(request, tmp_path_factory, "Checking memory with Valgrind")
    path = os.path.join(s.work, "s.sock")
    server = s.program("unix-server", path, tag="server")
    with s.running():
        server.start()
        server.wait_ready(timeout=WAIT + 5)
        s.story.step(f"start `valgrind ... bin/unix-server {path}`")
        _grader_clients(path, s.story)
        client = s.program("unix-client", path, tag="client", stdin=CLIENT_INPUT)
        client.start()
        s.story.step("start `valgrind ... bin/unix-client` with 4 lines, the last `QUIT`")
        s.story.check(client.wait(2 * WAIT) is not None, "wait for the client to end",
                      "it to end after `bye`", f"the client {client.status()}")
        s.story.step(f"the client {client.status()}")
        server.terminate(grace=WAIT)
        s.story.step(f"SIGTERM the server: it {server.status()}")
        s.story.check(not os.path.lexists(path), f"lstat {path}",
                      "no file: the server removed its socket", "the file is still there")
    yield s


def _grader_clients(path, story):
    """The server's paths run under Valgrind too: several clients at once, a
    reset, a line too long, QUIT."""
    a = Conversation.connect(path, story, "client A")
    b = Conversation.connect(path, story, "client B")
    a.send(b"WHOAMI\n")
    b.send(b"ECHO from b\n")
    b.expect_line(b"from b\n", timeout=WAIT)
    a.receive_all(1, timeout=WAIT)
    a.reset()
    c = Conversation.connect(path, story, "client with a long line")
    c.send(b"w" * 5000 + b"\n")
    c.expect_line(b"ERR line too long\n", timeout=WAIT)
    c.expect_eof(timeout=WAIT)
    c.close()
    b.send(b"QUIT\n")
    b.expect_line(b"bye\n", timeout=WAIT)
    b.expect_eof(timeout=WAIT)
    b.close()


@points(4)
@handout
def test_server_has_no_memory_errors_and_exits_0(session):
    """Catches: memory errors on the server's paths, or an exit status other than 0
    after SIGTERM."""
    session.check_errors_and_exit("server", 0, "after SIGTERM")


@points(4)
@handout
def test_server_leaks_no_memory(session):
    """Catches: a client's state never freed (when it leaves, or at exit)."""
    session.check_leaks("server", "on SIGTERM")


@points(4)
@handout
def test_server_closes_its_descriptors(session):
    """Catches: the listening socket or a client's socket not closed at exit."""
    session.check_descriptors("server", "close the listening socket and every "
                              "client's socket", "on SIGTERM")


@points(3)
@handout
def test_client_is_clean_under_valgrind(session):
    """Catches: memory errors, leaks (getline's buffer) or open descriptors in the
    client, or an exit status other than 0 after `bye`."""
    session.check_errors_and_exit("client", 0, "after `bye`")
    session.check_leaks("client", "after `bye`")
    session.check_descriptors("client", "close the socket before exiting", "after `bye`")
