"""The storm of bad input (gradelib/storm.py): the same seed makes the same
storm, a robust server passes, and a server that dies on one byte pattern
fails with the shots that did it and the one that does it alone."""

import random
import sys
import textwrap

import pytest

from gradelib import plugin, storm
from gradelib.conversation import Conversation
from gradelib.failure import Failure, Story
from gradelib.process import Program

# A line echo server on one selector; with CRASH_ON it exits 3 when a client
# sends that byte (a server that trusts its input somewhere).
SERVER = """
    import os, selectors, socket, sys
    crash_on = {crash_on!r}
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(64)
    listener.setblocking(False)
    print("prog: listening on 127.0.0.1:%d" % listener.getsockname()[1],
          file=sys.stderr, flush=True)
    sel = selectors.DefaultSelector()
    sel.register(listener, selectors.EVENT_READ)
    while True:
        for key, _ in sel.select():
            if key.fileobj is listener:
                conn, _ = listener.accept()
                sel.register(conn, selectors.EVENT_READ, bytearray())
                continue
            try:
                data = key.fileobj.recv(65536)
            except OSError:
                data = b""
            if crash_on is not None and crash_on in data:
                os._exit(3)
            if not data:
                sel.unregister(key.fileobj)
                key.fileobj.close()
                continue
            key.data.extend(data)
            while b"\\n" in key.data:
                line, _, rest = bytes(key.data).partition(b"\\n")
                key.data[:] = rest
                try:
                    key.fileobj.send(line + b"\\n")
                except OSError:
                    pass
"""


def _server(tmp_path, crash_on=None):
    code = textwrap.dedent(SERVER.format(crash_on=crash_on))
    prog = Program([sys.executable, "-c", code], str(tmp_path), name="prog").start()
    prog.wait_ready(5)
    return prog


def _good_client(server, story):
    c = Conversation.connect(server.address, story, "good")

    def probe(r):
        c.send(b"ping %d\n" % r)
        c.expect_line(b"ping %d\n" % r)
    return probe


def _noise_shot(rng):
    return storm.Shot(storm.cut(rng, storm.noise(rng, 1, 32)), end=storm.any_end(rng),
                      note="random bytes")


def test_helpers_are_functions_of_the_seed():
    def run(seed):
        rng = random.Random(seed)
        return [(storm.mutate(rng, b"1 ECHO hello"), storm.cut(rng, b"abcdefgh"),
                 storm.noise(rng), storm.any_end(rng)) for _ in range(50)]
    assert run(7) == run(7)
    assert run(7) != run(8)


def test_seed_depends_on_test_and_code_and_replays_from_the_environment(monkeypatch):
    monkeypatch.delenv(storm.SEED_ENV, raising=False)
    assert storm.seed_for("t", "code") == storm.seed_for("t", "code")
    assert storm.seed_for("t", "code") != storm.seed_for("t", "edited code")
    assert storm.seed_for("t", "code") != storm.seed_for("u", "code")
    monkeypatch.setenv(storm.SEED_ENV, "1234")
    assert storm.seed_for("t", "code") == 1234


def test_a_shot_refuses_an_unknown_end():
    with pytest.raises(ValueError):
        storm.Shot(b"x", end="vanish")


def test_a_robust_server_weathers_the_storm(tmp_path):
    server = _server(tmp_path)
    story = Story()
    story.watch(server)
    try:
        s = storm.Storm(story, server, seed=5)
        s.run(_noise_shot, _good_client, rounds=10, per_round=5)
    finally:
        server.kill()
    assert story.steps[-1][0].startswith("storm: 50 shots sent in")
    assert "stayed up and served the good client" in story.steps[-1][0]


def test_a_server_that_dies_on_a_byte_is_told_which_shot_did_it(tmp_path):
    server = _server(tmp_path, crash_on=b"\xff")
    story = Story()
    story.watch(server)
    fresh = []

    def restart():
        fresh.append(story.watch(_server(tmp_path, crash_on=b"\xff")))
        return fresh[-1]
    try:
        s = storm.Storm(story, server, seed=11, replay="make grade LAB=99 TEST=storm",
                        restart=restart)
        with pytest.raises(Failure) as caught:
            s.run(_noise_shot, _good_client, rounds=40, per_round=5)
    finally:
        for prog in [server, *fresh]:
            prog.kill()
    text = str(caught.value)
    assert storm.seed_in(text) == 11
    assert "SOCKETLAB_STORM_SEED=11 make grade LAB=99 TEST=storm" in text
    assert "prog exited with status 3" in text
    culprit = [a for a, _ in story.steps if "alone, against a fresh server, does it" in a]
    assert len(culprit) == 1, story.render()
    number = int(culprit[0].split("shot ")[1].split()[0])
    shown = [a for a, _ in story.steps if a.startswith(f"  shot {number}:")]
    assert shown and " ff" in shown[0], "the culprit's bytes are shown, 0xff among them"


def test_the_rerun_command_carries_the_storm_seed():
    text = "step 2  storm: storm of bad input, seed 4242: 150 shots"
    command = plugin.rerun_command("03", "grader/labs/03-chat/test_server.py::test_storm",
                                   text)
    assert command == ("rerun just this test: SOCKETLAB_STORM_SEED=4242 make grade "
                       "LAB=03 TEST=storm")
