"""Fixtures of lab 03: a chat server and a room of grader-driven users around it.
The protocol (frames, codec, Room) is in chat_frames.py."""

import pytest

from chat_frames import Room
from gradelib import starts


@pytest.fixture
def chat_server(start):
    """`bin/chat-server 0`, ready."""
    return start("chat-server", "0", ready=True)


@pytest.fixture
def answers(request, built):
    """The record, shared by this grading's tests, of servers that never answered."""
    return starts.Record(request.config.getoption("--scratch"), built["lab"])


@pytest.fixture
def room(chat_server, story, answers):
    r = Room(chat_server, story, answers)
    yield r
    r.close_all()
