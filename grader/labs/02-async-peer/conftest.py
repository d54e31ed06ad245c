"""Fixtures of lab 02: a peer in either mode with the grader on the other end,
and OpenBSD netcat as a real other side.

A Session gathers what a test drives: the peer program, the grader's end of
the connection (`conn`, a Conversation), the peer's keyboard (`keys`, a
Typist on its stdin) and its screen (`screen`, its stdout as it arrives).
"""

import re
import time
from dataclasses import dataclass

import pytest

from gradelib.conversation import Conversation, FakeServer
from gradelib.process import Program
from gradelib.stdio import Screen, Typist

NC_READY = re.compile(rb"Listening on (\S+) (\d+)")


@dataclass
class Session:
    peer: Program
    conn: Conversation
    keys: Typist
    screen: Screen


@pytest.fixture
def fake(story):
    """A listening socket of the grader's, for the peer in connect mode."""
    with FakeServer(story, label="other side") as server:
        yield server


@pytest.fixture
def listen_session(start, story):
    """`bin/peer -l 0` with its stdin a pipe, and the grader connected to it."""
    peer = start("peer", "-l", "0", stdin="pipe", ready=True)
    conn = Conversation.connect(peer.address, story, "other side")
    yield Session(peer, conn, Typist(peer, story), Screen(peer, story))
    conn.close()


@pytest.fixture
def connect_session(start, story, fake):
    """`bin/peer 127.0.0.1 PORT` with its stdin a pipe, connected to the grader."""
    peer = start("peer", *fake.address, stdin="pipe")
    conn = fake.accept(client=peer)
    yield Session(peer, conn, Typist(peer, story), Screen(peer, story))
    conn.close()


@pytest.fixture
def netcat(story, workdir):
    """netcat(*args) -> OpenBSD `nc` started with its stdin a pipe, watched by the story
    (so it is killed when the test ends, and its stderr shows in a failure)."""
    def _start(*args):
        nc = story.watch(Program(["nc", *map(str, args)], str(workdir), name="nc",
                                 stdin="pipe"))
        nc.start()
        story.step("start `nc " + " ".join(map(str, args)) + "`")
        return nc
    return _start


@pytest.fixture
def netcat_listening(netcat, story):
    """netcat_listening() -> (nc, port): `nc -lvnN 127.0.0.1 0`, ready.

    No race for the port: nc binds port 0 itself, and with -v it prints
    `Listening on 127.0.0.1 PORT` once listen(2) is done; that line is read
    back the way the grader reads the students' `listening on` lines.
    """
    def _start(timeout=5.0):
        nc = netcat("-l", "-v", "-n", "-N", "127.0.0.1", "0")
        deadline = time.monotonic() + timeout
        while True:
            found = NC_READY.search(nc.stderr())
            if found:
                port = int(found.group(2))
                story.step(f"nc printed `Listening on 127.0.0.1 {port}`")
                return nc, port
            if not nc.alive() or time.monotonic() > deadline:
                raise RuntimeError(f"grader error: `nc -l` did not start ({nc.status()}): "
                                   f"{nc.stderr()!r}")
            time.sleep(0.01)
    return _start
