"""Fixtures of lab 01: a running echo-server, connections to it."""

import pytest

from gradelib.conversation import Conversation


@pytest.fixture
def server(start):
    """bin/echo-server started on a free port, ready."""
    return start("echo-server", "0", ready=True)


@pytest.fixture
def connect(server, story):
    """connect(label) -> a Conversation with the running server."""
    opened = []

    def _connect(label="client"):
        conv = Conversation.connect(server.address, story, label)
        opened.append(conv)
        return conv
    yield _connect
    for conv in opened:
        conv.close()


@pytest.fixture
def still_serving(connect, story, server):
    """still_serving() checks that the server runs and answers a new client."""
    def _check(label="next client"):
        if not server.alive():
            story.fail("check that the server still runs", "it to keep running",
                       f"the server {server.status()}")
        with connect(label) as c:
            c.send(b"still there?\n")
            c.expect_line(b"still there?\n")
    return _check
