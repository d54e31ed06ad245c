"""Fixtures of lab 02: a peer in either mode with the grader on the other end.

A Session gathers what a test drives: the peer program, the grader's end of
the connection (`conn`, a Conversation), the peer's keyboard (`keys`, a
Typist on its stdin) and its screen (`screen`, its stdout as it arrives).
The grader's listening socket (`fake`) and netcat come from the core.
"""

from dataclasses import dataclass

import pytest

from gradelib.conversation import Conversation
from gradelib.process import Program
from gradelib.stdio import Screen, Typist


@dataclass
class Session:
    peer: Program
    conn: Conversation
    keys: Typist
    screen: Screen


@pytest.fixture
def fake_label():
    return "other side"


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
