"""Fixtures of lab 04: a running udp-server, and the grader's UDP socket playing
the server for udp-client. The grader's client sockets (`sockets`), the lossy
relay and `descriptors` are the core's (gradelib/fixtures.py)."""

import pytest

from gradelib.datagram import Datagrams


@pytest.fixture
def server(start):
    """bin/udp-server started on port 0, ready (a fresh one for each test:
    a client's port may be reused by a later client, see the handout,
    "Incarnation numbers")."""
    return start("udp-server", "0", ready=True)


@pytest.fixture
def sockets(datagrams):
    """sockets(label) -> a Datagrams of the grader's: one client, as the server sees it."""
    return datagrams


@pytest.fixture
def udp_fake(story):
    """The grader's UDP socket playing the server, for a udp-client to talk to.
    The kernel stamps each datagram's arrival (Datagrams.receive_stamped)."""
    with Datagrams(story, "test server", stamped=True) as d:
        yield d
