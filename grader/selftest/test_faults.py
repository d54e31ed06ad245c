"""libfaults (grader/faults): short sends, short receives and EINTR injected
inside a program by LD_PRELOAD, on a seeded schedule.

The first tests run selftest/data/faults_probe.c, a deterministic program that prints
what each of its socket calls returned; the last ones run lab 01's reference
solution, and two broken copies of it, the way the grader runs a student's
programs (gradelib.process.Program, sandboxed when we are root).
"""

import os
import re
import shutil
import socket
import subprocess
import time

import pytest

from gradelib import faults, labs, sandbox
from gradelib.process import Program

import kit

FAULTS_DIR = os.path.join(labs.GRADER_DIR, "faults")
ROUNDS = 40  # rounds of 100 bytes per probe run


# -- the library and its probe ------------------------------------------------
@pytest.fixture(scope="module")
def probe(tmp_path_factory):
    """(libfaults.so, the probe binary), built in a folder of their own."""
    out = str(tmp_path_factory.mktemp("faults"))
    lib = faults.build(out)
    binary = os.path.join(out, "probe")
    subprocess.run(["cc", "-std=c17", "-O1", "-Wall", "-Wextra", "-o", binary,
                    os.path.join(os.path.dirname(__file__), "data", "faults_probe.c")], check=True, timeout=60)
    return lib, binary


def run_probe(probe, tmp_path, args, kinds, seed=1, run="run"):
    """Runs the probe with the library; returns ([(call, result)], log, stderr)."""
    lib, binary = probe
    log = tmp_path / f"{run}.faults.log"
    env = {**os.environ, **faults.env(lib, seed, kinds, log=str(log))}
    out = subprocess.run([binary, *args], env=env, capture_output=True, timeout=20)
    assert out.returncode == 0, out.stdout.decode()[-2000:] + out.stderr.decode()
    calls = [tuple(line.partition(" ")[::2]) for line in out.stdout.decode().splitlines()]
    return calls, faults.read_log(log), out.stderr.decode()


def results(calls, name):
    return [r for c, r in calls if c == name]


def counts(values):
    return [int(v) for v in values if v.lstrip("-").isdigit()]


def test_library_compiles_without_warnings_and_is_built_once(tmp_path):
    lib = tmp_path / "libfaults.so"
    out = subprocess.run(["cc", "-shared", "-fPIC", "-O2", "-Wall", "-Wextra", "-o",
                          str(lib), faults.SOURCE, "-ldl"],
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0 and out.stderr == "", out.stderr
    first = faults.build(str(tmp_path / "out"))
    stamp = os.stat(first).st_mtime_ns
    assert faults.build(str(tmp_path / "out")) == first
    assert os.stat(first).st_mtime_ns == stamp, "built a second time"
    assert sorted(os.listdir(tmp_path / "out")) == ["libfaults.so"]


def test_env_names_the_library_schedule_and_log(tmp_path):
    env = faults.env("lib/libfaults.so", 7, faults.SHORT, log="f.log")
    assert env == {"LD_PRELOAD": os.path.abspath("lib/libfaults.so"), "FAULTS_SEED": "7",
                   "FAULTS": "short-send,short-recv", "FAULTS_LOG": os.path.abspath("f.log")}
    with pytest.raises(ValueError):
        faults.env("libfaults.so", 7, ["short-sends"])
    assert "seed 7" in faults.describe(7, faults.ALL, "echo-server")


@pytest.mark.parametrize("call", ["send", "write", "sendto"])
def test_short_send_makes_one_send_short_and_a_send_loop_still_delivers(
        probe, tmp_path, call):
    calls, log, _ = run_probe(probe, tmp_path, ["stream", call, "recv", str(ROUNDS)],
                              ["short-send"])
    sent = counts(results(calls, call))
    assert len(sent) == ROUNDS, calls  # no EINTR, no error
    assert min(sent) >= 1 and any(n < 100 for n in sent), sent
    assert all(n == 100 or n <= 7 for n in sent), sent
    assert calls[-1] == ("intact", ""), "a correct send loop lost or reordered bytes"
    assert log and {e["kind"] for e in log} == {"short-send"}
    assert all(1 <= e["gave"] <= 7 and e["gave"] < e["asked"] for e in log), log
    assert call in {e["call"] for e in log}


@pytest.mark.parametrize("call", ["recv", "read", "recvfrom"])
def test_short_recv_reads_1_to_3_bytes_and_a_read_loop_still_gets_all(
        probe, tmp_path, call):
    calls, log, _ = run_probe(probe, tmp_path, ["stream", "send", call, str(ROUNDS)],
                              ["short-recv"])
    got = counts(results(calls, call))
    assert len(got) == len(results(calls, call)), calls  # no EINTR, no error
    assert sum(1 for n in got if n <= 3) > ROUNDS / 2, got
    assert results(calls, "send") == ["100"] * ROUNDS, "short-recv changed a send"
    assert calls[-1] == ("intact", "")
    assert log and {e["kind"] for e in log} == {"short-recv"}
    assert all(1 <= e["gave"] <= 3 for e in log), log
    assert {e["call"] for e in log} == {call}


def test_eintr_fails_some_calls_never_twice_in_a_row_and_retries_complete(
        probe, tmp_path):
    calls, log, _ = run_probe(probe, tmp_path, ["stream", "send", "recv", str(ROUNDS)],
                              ["eintr"])
    assert "EINTR" in results(calls, "send") and "EINTR" in results(calls, "recv")
    reads = results(calls, "recv")
    assert not any(a == b == "EINTR" for a, b in zip(reads, reads[1:])), reads
    assert all(r in ("EINTR", "100") for r in reads), "eintr made a call short"
    assert calls[-1] == ("intact", "")
    assert {e["kind"] for e in log} == {"eintr"} and all(e["gave"] == -1 for e in log)


@pytest.mark.parametrize("kind, spared", [("eintr-send", "recv"), ("eintr-recv", "send")])
def test_eintr_can_spare_one_direction(probe, tmp_path, kind, spared):
    calls, log, _ = run_probe(probe, tmp_path, ["stream", "send", "recv", str(ROUNDS)],
                              [kind])
    hit = "send" if spared == "recv" else "recv"
    assert "EINTR" in results(calls, hit)
    assert "EINTR" not in results(calls, spared)
    assert {e["call"] for e in log} == {hit}


def test_same_seed_gives_the_same_faults(probe, tmp_path):
    args = ["stream", "send", "recv", str(ROUNDS)]
    first = run_probe(probe, tmp_path, args, faults.ALL, seed=5, run="first")
    again = run_probe(probe, tmp_path, args, faults.ALL, seed=5, run="again")
    other = run_probe(probe, tmp_path, args, faults.ALL, seed=6, run="other")
    assert len(first[1]) > ROUNDS, "too few faults to compare"
    assert first[:2] == again[:2]
    assert first[1] != other[1]


def test_stdout_pipes_and_files_are_untouched(probe, tmp_path):
    calls, log, err = run_probe(probe, tmp_path, ["files"], faults.ALL)
    assert err.split("\n") == ["stdout 1000", "pipe-write 1000", "pipe-read 1000",
                               "file-write 1000", "file-read 1000", ""], err
    assert log == []


def test_datagrams_are_never_cut(probe, tmp_path):
    calls, log, _ = run_probe(probe, tmp_path, ["dgram", str(ROUNDS)], faults.ALL)
    assert {r for _, r in calls} == {"100", "EINTR"}, calls
    assert {e["kind"] for e in log} == {"eintr"}


def test_calls_that_cannot_block_never_get_eintr(probe, tmp_path):
    calls, log, _ = run_probe(probe, tmp_path, ["nonblocking", str(ROUNDS)], faults.ALL)
    assert "EINTR" not in {r for _, r in calls}, calls
    assert any(e["kind"] == "short-send" for e in log)  # the library did act


# -- lab 01's reference solution, and two mistakes it must reveal --------------
LAB = "01-sync-echo"
NET_C = "net.c"
SEND_LOOP = re.compile(
    r"(ssize_t send_all\(int fd, const void \*buf, size_t len\)\n)\{.*?\n\}\n", re.S)
SINGLE_SEND = r"""\1{
	ssize_t n = send(fd, buf, len, 0); /* the mistake: one send(2) is not always all */

	return n == -1 ? -1 : (ssize_t)len;
}
"""
READ_AT_END = "recv(lr->fd, lr->buf + lr->len, sizeof lr->buf - lr->len, 0)"
READ_AT_START = "recv(lr->fd, lr->buf, sizeof lr->buf - lr->len, 0)"  # forgets what it holds


@pytest.fixture(scope="module")
def lab01():
    """{'lib', 'reference', 'single-send', 'forgetful-reader', 'root'}: libfaults and
    three builds of lab 01, where a sandboxed program can reach them."""
    import grade  # its scratch folder is outside the /tmp a sandboxed program sees
    root = grade.make_scratch()
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv(sandbox.UID_ENV, str(sandbox.pick_uid_base()))
        mp.delenv("PYTEST_XDIST_WORKER", raising=False)
        trees = {"lib": faults.build(os.path.join(root, "faults")), "root": root}
        for name in ("reference", "single-send", "forgetful-reader"):
            tree = os.path.join(root, name)
            kit.reference_tree(LAB, tree)
            _break(os.path.join(tree, NET_C), name)
            subprocess.run(["make", "-s", "-C", tree, "bin/echo-server", "bin/echo-client"],
                           check=True, capture_output=True, timeout=120)
            trees[name] = tree
        yield trees
    shutil.rmtree(root, ignore_errors=True)


def _break(path, how):
    with open(path) as f:
        text = f.read()
    if how == "single-send":
        text, n = SEND_LOOP.subn(SINGLE_SEND, text)
        assert n == 1, "send_all() of the reference changed: update SEND_LOOP"
    elif how == "forgetful-reader":
        assert READ_AT_END in text, "the reference's line reader changed: update READ_AT_END"
        text = text.replace(READ_AT_END, READ_AT_START)
    with open(path, "w") as f:
        f.write(text)


@pytest.fixture
def workdir(lab01, request):
    work = os.path.join(lab01["root"], "work", request.node.name.replace("/", "_"))
    os.makedirs(work)
    sandbox.give_to_student(work, root=lab01["root"])
    return work


def start(lab01, tree, workdir, argv, kinds, seed=11, stdin=None):
    """Starts bin/argv[0] of a build; with kinds, under libfaults logging to workdir."""
    env = None
    if kinds:
        env = faults.env(lab01["lib"], seed, kinds,
                         log=os.path.join(workdir, f"{argv[0]}.faults.log"))
    path = os.path.join(lab01[tree], "bin", argv[0])
    return Program([path, *argv[1:]], workdir, name=argv[0], stdin=stdin, env=env).start()


def echo(address, data, expect_len, timeout=5.0):
    """Sends data in one write, returns what comes back (until expect_len or EOF)."""
    with socket.create_connection(address, timeout=timeout) as s:
        s.sendall(data)
        got = b""
        deadline = time.monotonic() + timeout
        while len(got) < expect_len and time.monotonic() < deadline:
            try:
                chunk = s.recv(65536)
            except socket.timeout:
                break  # what came is the answer: the rest was lost
            if not chunk:
                break
            got += chunk
        return got


LINES = (b"hello\n" + b"x" * 4095 + b"\n" + b"one\ntwo\nthree\n"
         + bytes(range(1, 10)) + b"\xff\r\n")


def test_reference_server_echoes_under_every_fault(lab01, workdir):
    server = start(lab01, "reference", workdir, ["echo-server", "0"], faults.ALL)
    try:
        address = server.wait_ready()
        assert echo(address, LINES, len(LINES)) == LINES
        assert echo(address, b"ex" + b"it\n", 4) == b"bye\n"
        assert server.alive(), server.stderr()
    finally:
        server.kill()
    kinds = {e["kind"] for e in faults.read_log(os.path.join(workdir, "echo-server.faults.log"))}
    assert kinds == {"short-send", "short-recv", "eintr"}, "the library did not act"


def test_reference_client_and_server_talk_under_faults(lab01, workdir):
    server = start(lab01, "reference", workdir, ["echo-server", "0"], faults.ALL)
    try:
        host, port = server.wait_ready()
        # Enough send(2) calls that each fault is all but sure to come up.
        text = b"".join(f"line {n}\n".encode() for n in range(20)) + b"y" * 3000 + b"\n"
        client = start(lab01, "reference", workdir, ["echo-client", host, str(port)],
                       [*faults.SHORT, "eintr-send"], stdin=text)
        assert client.wait(10) == 0, client.stderr()
        assert client.stdout() == text
    finally:
        server.kill()
    log = faults.read_log(os.path.join(workdir, "echo-client.faults.log"))
    assert {e["kind"] for e in log} == {"short-send", "short-recv", "eintr"}


ROUNDS_OF_LINES = [f"line {n}: ".encode() + b"z" * 60 + b"\n" for n in range(8)]


def exchange(address, lines, timeout):
    """Sends each line in a write of its own and reads its echo before the next;
    returns the echoes, up to the first that is wrong. A fault hits a line with
    odds 1 in 2: eight lines miss a broken program once in 256 seeds."""
    echoes = []
    with socket.create_connection(address, timeout=timeout) as s:
        for line in lines:
            s.sendall(line)
            got = b""
            while len(got) < len(line):
                try:
                    chunk = s.recv(len(line) - len(got))
                except socket.timeout:
                    break
                if not chunk:
                    break
                got += chunk
            echoes.append(got)
            if got != line:
                break
    return echoes


@pytest.mark.parametrize("variant, kind", [("single-send", "short-send"),
                                           ("forgetful-reader", "short-recv")])
def test_broken_helper_fails_only_under_its_fault(lab01, workdir, variant, kind):
    """single-send: send_all() that calls send(2) once and returns len.
    forgetful-reader: a line reader that recv()s over the bytes it holds."""
    plain = start(lab01, variant, workdir, ["echo-server", "0"], None)
    faulty = start(lab01, variant, workdir, ["echo-server", "0"], [kind])
    try:
        assert exchange(plain.wait_ready(), ROUNDS_OF_LINES, 5.0) == ROUNDS_OF_LINES, \
            "the mistake shows without faults: this test proves nothing"
        assert exchange(faulty.wait_ready(), ROUNDS_OF_LINES, 0.5) != ROUNDS_OF_LINES, \
            f"{kind} did not reveal the {variant} mistake"
    finally:
        plain.kill()
        faulty.kill()
