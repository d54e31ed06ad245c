"""Lab 02's memory check: two realistic sessions with bin/peer under Valgrind
memcheck (--leak-check=full --track-fds=yes), one in each mode, each ended
the way the contract says. Each session runs once; each test grades one
finding, and only if its session ran to its end."""

import pytest

from gradelib import memcheck
from gradelib.conversation import Conversation, FakeServer
from gradelib.stdio import Screen, Typist

points = pytest.mark.points
handout = pytest.mark.handout("Checking memory with Valgrind")
pytestmark = pytest.mark.xdist_group("02-async-peer-memcheck")  # one session, one worker

SECTION = "Checking memory with Valgrind"
WAIT = 10.0  # seconds for each step under Valgrind (start-up alone takes 0.5)
BIG = bytes(range(32, 127)) * 2000 + b"\n"  # 190 KB in one line: several reads
TYPED = bytes(range(32, 127)) * 200 + b"\n"  # 19 KB: less than a pipe holds, so
# typing it never blocks the grader, whatever the peer does with its stdin


@pytest.fixture(scope="module")
def listen_run(request, tmp_path_factory):
    """`peer -l 0`: traffic both ways, then the other side half-closes, then stdin ends."""
    s = memcheck.Session(request, tmp_path_factory, SECTION, name="memcheck-listen")
    peer = s.program("peer", "-l", "0", tag="peer", stdin="pipe")
    story = s.story
    with s.running():
        s.start_server("peer", timeout=WAIT)
        keys, screen = Typist(peer, story), Screen(peer, story)
        with Conversation.connect(peer.address, story, "other side") as conn:
            conn.send(b"hello\n")
            screen.expect(b"hello\n", timeout=WAIT)
            keys.type(b"typed line\n" + TYPED)
            conn.expect_bytes(b"typed line\n" + TYPED, timeout=WAIT,
                              action="other side: expect the typed lines (19 KB)")
            conn.send(BIG)
            screen.expect(BIG, timeout=WAIT)
            conn.send(b"last line\nex")
            conn.shutdown_write()
            screen.expect(b"last line\nex", timeout=WAIT)
            keys.type(b"typed last, no LF")
            keys.end()
            conn.expect_bytes(b"typed last, no LF", timeout=WAIT)
            conn.expect_eof(timeout=WAIT)
            peer.wait(WAIT * 2)
            story.step(f"the peer {peer.status()}")
    yield s


@pytest.fixture(scope="module")
def connect_run(request, tmp_path_factory):
    """`peer 127.0.0.1 PORT`: traffic both ways, then `exit` typed on stdin."""
    s = memcheck.Session(request, tmp_path_factory, SECTION, name="memcheck-connect")
    story = s.story
    with FakeServer(story, label="other side") as fake:
        peer = s.program("peer", *fake.address, tag="peer", stdin="pipe")
        with s.running():
            peer.start()
            story.step(f"start `valgrind ... bin/peer {fake.address[0]} {fake.address[1]}`")
            keys, screen = Typist(peer, story), Screen(peer, story)
            with fake.accept(timeout=WAIT + 5, client=peer) as conn:
                conn.send(b"hi\n" + BIG)
                screen.expect(b"hi\n" + BIG, timeout=WAIT)
                keys.type(b"one\ntwo\n" + TYPED)
                conn.expect_bytes(b"one\ntwo\n" + TYPED, timeout=WAIT,
                                  action="other side: expect the typed lines (19 KB)")
                conn.send(b"exi")  # held back by the peer when `exit` is typed
                keys.type(b"exit\n")
                conn.expect_line(b"exit\n", timeout=WAIT)
                conn.expect_eof(timeout=WAIT)
                peer.wait(WAIT * 2)
                story.step(f"the peer {peer.status()}")
    yield s


AFTER_CLOSE = "after both directions ended"
AFTER_EXIT = "after `exit` was typed"


@points(3)
@handout
def test_listen_mode_has_no_memory_errors_and_exits_0(listen_run):
    """Catches: a decision taken on uninitialised state (a flag of the session never
    set), bytes sent or printed that were never received or read, a heap buffer
    overrun, or a non-zero exit."""
    listen_run.check_errors_and_exit("peer", 0, AFTER_CLOSE)


@points(3)
@handout
def test_listen_mode_leaks_no_memory(listen_run):
    """Catches: getaddrinfo()'s list never freed (freeaddrinfo forgotten), or a buffer
    allocated with malloc() and never freed."""
    listen_run.check_leaks("peer", AFTER_CLOSE)


@points(2)
@handout
def test_listen_mode_closes_its_descriptors(listen_run):
    """Catches: the listening socket kept after accept, or the connection not closed."""
    listen_run.check_descriptors("peer", "close the connected socket, and the listening "
                                 "socket right after accept", AFTER_CLOSE)


@points(3)
@handout
def test_connect_mode_has_no_memory_errors_and_exits_0(connect_run):
    """Catches: memory errors on the `exit` path (a held-back line, the queue drained
    while closing), or a non-zero exit after `exit`."""
    connect_run.check_errors_and_exit("peer", 0, AFTER_EXIT)


@points(2)
@handout
def test_connect_mode_leaks_no_memory(connect_run):
    """Catches: the `exit` path returning without freeing what the session holds
    (freeaddrinfo forgotten, queues not freed)."""
    connect_run.check_leaks("peer", AFTER_EXIT)


@points(2)
@handout
def test_connect_mode_closes_its_descriptors(connect_run):
    """Catches: the socket not closed on the `exit` path, or a socket of a failed
    connect attempt left open."""
    connect_run.check_descriptors("peer", "close the socket before exiting", AFTER_EXIT)
