"""Tests of the grader's own Python (gradelib), without any lab."""

import os
import socket
import struct
import subprocess
import sys
import textwrap
import threading
import time
import xml.etree.ElementTree as ET

import psutil
import pytest

from gradelib import frames, memcheck, reports, results
from gradelib.datagram import Datagrams
from gradelib.results import Result
from gradelib.conversation import Conversation, FakeServer
from gradelib.failure import Failure, Story, show
from gradelib.process import Program, describe_status, parse_address, run_bounded

DATA = os.path.join(os.path.dirname(__file__), "data")


# -- failure texts ----------------------------------------------------------
def test_show_quotes_text_and_escapes_control_bytes():
    assert show(b"bye\r\n") == '"bye\\r\\n" (5 bytes)'


def test_show_prints_binary_as_hex():
    assert show(b"\x00\x01ab") == "hex 00 01 61 62 (4 bytes)"


def test_show_elides_the_middle_of_long_text():
    shown = show(b"a" * 1000 + b"END")
    assert "[...]" in shown and "END" in shown and "(1003 bytes)" in shown


def test_story_failure_lists_steps_and_hint():
    story = Story(read_more='labs/x/README.md, "Y"')
    story.step("connect")
    with pytest.raises(Failure) as info:
        story.fail("expect the line", '"bye\\n"', "nothing", hint="answer exit")
    text = str(info.value)
    assert "step 1  connect" in text
    assert 'FAILED: expected "bye\\n", got nothing' in text
    assert "hint: answer exit" in text and 'read: labs/x/README.md, "Y"' in text


# -- processes --------------------------------------------------------------
def test_describe_status_names_signals():
    assert describe_status(-11).startswith("was killed by SIGSEGV (a segmentation fault")
    assert describe_status(2) == "exited with status 2"


@pytest.mark.parametrize("line, address", [
    ("echo-server: listening on 127.0.0.1:40123", ("127.0.0.1", 40123)),
    ("listening on [::1]:5000", ("::1", 5000)),
    ("unix-server: listening on /tmp/t/lab.sock", "/tmp/t/lab.sock"),
    ("listening on nowhere", None),
])
def test_parse_address(line, address):
    assert parse_address(line) == address


def _python(tmp_path, code, **kw):
    return Program([sys.executable, "-c", textwrap.dedent(code)], str(tmp_path),
                   name="prog", **kw)


def test_wait_ready_reads_the_listening_line(tmp_path):
    prog = _python(tmp_path, """
        import sys, time
        print("prog: listening on 127.0.0.1:4321", file=sys.stderr, flush=True)
        time.sleep(30)
    """).start()
    try:
        assert prog.wait_ready(5) == ("127.0.0.1", 4321)
    finally:
        prog.kill()


def test_wait_ready_fails_with_the_exit_status(tmp_path):
    prog = _python(tmp_path, "import sys; sys.exit(3)").start()
    with pytest.raises(Failure, match="exited with status 3 before printing"):
        prog.wait_ready(5)


def test_kill_reaches_children_in_other_sessions(tmp_path):
    """A grandchild that called setsid() escapes killpg; the sweep still gets it."""
    prog = _python(tmp_path, """
        import os, time
        if os.fork() == 0:
            os.setsid()
            time.sleep(60)
        time.sleep(60)
    """).start()
    time.sleep(0.5)
    children = psutil.Process(prog.pid).children(recursive=True)
    assert len(children) == 1
    prog.kill()
    gone, alive = psutil.wait_procs(children, timeout=3)
    assert not alive


def test_terminate_returns_the_exit_status(tmp_path):
    prog = _python(tmp_path, """
        import signal, sys, time
        signal.signal(signal.SIGTERM, lambda *a: sys.exit(0))
        time.sleep(30)
    """).start()
    time.sleep(0.3)
    assert prog.terminate(grace=2) == 0


def test_terminate_kills_a_program_that_ignores_sigterm(tmp_path):
    prog = _python(tmp_path, """
        import signal, time
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        time.sleep(30)
    """).start()
    time.sleep(0.3)
    started = time.monotonic()
    assert prog.terminate(grace=0.5) == -9
    assert time.monotonic() - started < 5


def test_terminate_does_not_wait_out_the_grace_of_a_program_asleep(tmp_path):
    """A program back asleep after SIGTERM has ignored it: not waited for 30 s."""
    prog = _python(tmp_path, """
        import signal, time
        signal.signal(signal.SIGTERM, lambda *a: None)
        while True:
            time.sleep(30)
    """).start()
    time.sleep(0.3)
    started = time.monotonic()
    assert prog.terminate(grace=30, settled=0.5) == -9
    assert time.monotonic() - started < 5


def test_spins_tells_a_busy_loop_from_a_server_that_waits(tmp_path):
    ready = "import sys; print('listening on /x', file=sys.stderr, flush=True)\n"
    busy = _python(tmp_path, ready + "while True: pass").start()
    idle = _python(tmp_path, ready + "import time; time.sleep(30)").start()
    try:
        busy.wait_ready(10)  # Python's own start-up sleeps in system calls too
        idle.wait_ready(10)
        assert busy.spins(window=1.0, busy=0.3)
        assert not idle.spins(window=1.0, busy=0.3)
    finally:
        busy.kill()
        idle.kill()


def test_run_bounded_stops_a_command_that_never_ends(tmp_path):
    out = tmp_path / "out"
    started = time.monotonic()
    rc, timed_out = run_bounded(["sleep", "30"], str(tmp_path), 0.5, str(out))
    assert timed_out and time.monotonic() - started < 5


# -- conversations ----------------------------------------------------------
def _echo_once(listener):
    conn, _ = listener.accept()
    with conn:
        data = conn.recv(100)
        conn.sendall(data[:3])
        time.sleep(0.3)
        conn.sendall(data[3:])


def test_expect_line_joins_pieces_and_reports_what_came():
    listener = socket.create_server(("127.0.0.1", 0))
    threading.Thread(target=_echo_once, args=(listener,), daemon=True).start()
    story = Story()
    c = Conversation.connect(listener.getsockname(), story)
    c.send(b"hello\n")
    c.expect_line(b"hello\n")
    with pytest.raises(Failure, match="then the connection closed"):
        c.expect_line(b"more\n")
    c.close()
    listener.close()


def test_expect_silence_fails_when_bytes_arrive():
    story = Story()
    with FakeServer(story) as fake:
        peer = socket.create_connection(fake.address)
        conn = fake.accept()
        peer.sendall(b"early")
        with pytest.raises(Failure, match='expected silence, got "early"'):
            conn.expect_silence(0.5)
        peer.close()
        conn.close()


def test_conversation_over_an_af_unix_path(tmp_path):
    path = str(tmp_path / "s.sock")
    listener = socket.socket(socket.AF_UNIX)
    listener.bind(path)
    listener.listen()
    threading.Thread(target=_echo_once, args=(listener,), daemon=True).start()
    story = Story()
    with Conversation.connect(path, story) as c:
        c.send(b"over a path\n")
        c.expect_line(b"over a path\n")
    assert story.steps[0][0] == f"client: connect {path}"
    listener.close()


class _Tlv(frames.Codec):
    """A toy framing: length (uint16, big-endian, counts the type), type, payload."""

    def encode(self, frame):
        kind, payload = frame
        return struct.pack("!HB", len(payload) + 1, kind) + payload

    def decode(self, data):
        if len(data) < 2:
            return None
        (length,) = struct.unpack("!H", data[:2])
        if length == 0:
            raise ValueError("length 0")
        if len(data) < 2 + length:
            return None
        return (data[2], data[3:2 + length]), 2 + length

    def describe(self, frame):
        return f"T{frame[0]}({frame[1].decode(errors='replace')})"


def test_connect_waits_out_a_full_accept_queue_as_a_blocking_connect_does(tmp_path):
    """AF_UNIX refuses a connect with a time-out at once (EAGAIN) while the accept
    queue is full; a server with a short backlog that accepts a moment later is
    correct, so the grader's clients wait, and fail only when it stays full."""
    path = str(tmp_path / "short.sock")
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(path)
    listener.listen(0)
    accepted = []

    def accept_late():
        time.sleep(0.3)
        for _ in range(4):
            accepted.append(listener.accept()[0])
    t = threading.Thread(target=accept_late)
    t.start()
    story = Story()
    try:
        clients = [Conversation.connect(path, story, f"c{i}") for i in range(4)]
    finally:
        t.join(5)
    assert len(clients) == 4 and len(accepted) == 4
    with pytest.raises(Failure, match="queue of connections waiting for accept.2. "
                       "stayed full"):
        for i in range(16):  # nobody accepts now: the queue fills
            clients.append(Conversation.connect(path, story, f"extra {i}", timeout=0.3))
    for sock in [*accepted, listener]:
        sock.close()
    for c in clients:
        c.close()


def test_frames_are_sent_expected_and_shown_decoded_with_their_bytes():
    story = Story()
    with FakeServer(story, codec=_Tlv()) as fake:
        peer = socket.create_connection(fake.address)
        conn = fake.accept()
        conn.send_frame((1, b"hi"))
        assert peer.recv(100) == b"\x00\x03\x01hi"
        peer.sendall(b"\x00\x03\x02o")  # split: the frame completes later
        peer.sendall(b"k\x00\x02\x05z")
        assert conn.expect_frame((2, b"ok")) == (2, b"ok")
        with pytest.raises(Failure) as info:
            conn.expect_frame((2, b"no"))
        text = str(info.value)
        assert "expected T2(no)  [00 03 02 6e 6f]" in text and "got T5(z)  [00 02 05 7a]" in text
        peer.sendall(b"\x00\x00")
        with pytest.raises(Failure, match=r"not a valid frame \(length 0\): \[00 00\]"):
            conn.expect_frame((1, b""))
        peer.sendall(b"\x00\x09\x01abc")
        peer.close()
        with pytest.raises(Failure, match="6 bytes, not a whole frame .*then the connection closed"):
            conn.expect_frame((1, b""), timeout=2)
        conn.close()


def test_datagrams_show_their_source_and_silence():
    story = Story()
    with Datagrams(story, "a") as a, Datagrams(story, "b") as b:
        a.send(b"ping", to=b.address)
        b.expect(b"ping", source=a.address)
        b.send(b"pong", to=a.address)
        with pytest.raises(Failure, match=r'expected "pang" \(4 bytes\), got "pong"'):
            a.expect(b"pang", source=b.address)
        a.send(b"\x00\xff", to=b.address)
        with pytest.raises(Failure, match="expected silence, got hex 00 ff"):
            b.expect_silence(0.3)
        with pytest.raises(Failure, match="nothing within 0.2 s"):
            b.expect(b"more", timeout=0.2)


# -- memcheck reports -------------------------------------------------------
def test_memcheck_reads_errors_leaks_and_open_descriptors():
    report = memcheck.read(DATA, "leaky")
    assert len(report.errors) == 1 and "uninitialised" in report.errors[0]
    assert "l.c:4 (in main)" in report.errors[0]
    assert len(report.leaks) == 3
    assert report.open_fds == ["Open file descriptor 6: /etc/hostname",
                               "Open AF_INET socket 5: <unbound> <-> unbound"]
    assert report.complete


def test_memcheck_calls_a_cut_off_report_incomplete(tmp_path):
    text = open(os.path.join(DATA, "leaky.4242.xml")).read()
    (tmp_path / "cut.7.xml").write_text(text[: len(text) // 2])
    assert not memcheck.read(str(tmp_path), "cut").complete


# -- reports ----------------------------------------------------------------
ENTRIES = [
    Result(lab="01-x", name="build", points=0, part="build", passed=True),
    Result(lab="01-x", name="a", points=60, part="p", part_title="part p", passed=True,
           duration=0.5),
    Result(lab="01-x", name="b", points=40, part="p", part_title="part p", passed=False,
           kind="fail", output="step 1 ...", duration=0.5),
    Result(lab="01-x", name="c", points=5, bonus=True, part="p", part_title="part p",
           passed=True, duration=0.1),
]


def test_results_survive_their_file(tmp_path):
    results.dump(ENTRIES, tmp_path / "r.json")
    assert results.load(tmp_path / "r.json") == ENTRIES


def test_gradescope_scores_and_extra_credit():
    data = reports.gradescope(ENTRIES)
    assert (data["score"], data["max_score"]) == (65, 100)
    bonus = [t for t in data["tests"] if t["name"] == "01-x: c"][0]
    assert (bonus["score"], bonus["max_score"]) == (5, 0)
    assert all(set(t) >= {"name", "score", "max_score", "output"} for t in data["tests"])


def test_junit_marks_failures_and_points():
    root = ET.fromstring(reports.junit(ENTRIES).split("?>", 1)[1])
    suite = root.find("testsuite")
    assert suite.get("tests") == "4" and suite.get("failures") == "1"
    failed = [c for c in suite.iter("testcase") if c.find("failure") is not None]
    assert [c.get("name") for c in failed] == ["b"]


def test_terminal_table_shows_totals_and_failures():
    text = reports.terminal(ENTRIES, [{"lab": "01-x", "built": True}])
    assert "60/60" in text and "0/40" in text and "60/100" in text
    assert "bonus 5/5" in text and "step 1 ..." in text and "part p (60/100)" in text


# -- Criterion reports ------------------------------------------------------
def test_criterion_report_keeps_messages_with_quotes_and_crashes(tmp_path):
    from gradelib import criterion
    source = tmp_path / "t.c"
    source.write_text(textwrap.dedent(r'''
        #include <criterion/criterion.h>
        #include <signal.h>
        TestSuite(s, .timeout = 1);
        Test(s, ok) { cr_assert(1); }
        Test(s, quoted) { cr_assert_eq(1, 2, "got \"%s\" <&>", "a\"b"); }
        Test(s, crash) { raise(SIGSEGV); }
    '''))
    binary = tmp_path / "t"
    subprocess.run(["cc", str(source), "-lcriterion", "-o", str(binary)], check=True)
    subprocess.run([str(binary), f"--xml={tmp_path / 'r.xml'}"], capture_output=True)
    tests = criterion._parse(str(tmp_path / "r.xml"))
    assert tests["s/ok"]["status"] == "PASSED"
    assert tests["s/quoted"]["status"] == "FAILED"
    assert 'got "a"b" <&>' in tests["s/quoted"]["messages"][0]
    assert tests["s/crash"] == {"status": "ERRORED", "messages": ["The test crashed."]}


def test_stderr_tail_keeps_head_and_tail_and_says_what_it_left_out(tmp_path):
    prog = _python(tmp_path, """
        import sys
        for i in range(1000):
            print(f"line {i}", file=sys.stderr)
    """).start()
    prog.wait(10)
    tail = prog.stderr_tail(lines=2, head=2)
    assert tail == ["line 0", "line 1", "[... 996 lines not shown ...]", "line 998", "line 999"]


def test_stderr_tail_of_a_flood_reads_only_the_ends(tmp_path):
    prog = _python(tmp_path, """
        import sys
        sys.stderr.write("start\\n" + "x" * 5_000_000 + "\\nend\\n")
    """).start()
    prog.wait(10)
    tail = prog.stderr_tail(lines=1, head=1)
    assert tail[0] == "start" and tail[-1] == "end"
    assert "bytes not shown" in tail[1]
