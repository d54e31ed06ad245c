"""The sandbox around student processes: who they run as, where they can
write, what limits hold. Needs root (as in CI); says so and skips otherwise."""

import os
import sys

import pytest

from gradelib import sandbox
from gradelib.process import Program, describe_status

pytestmark = pytest.mark.skipif(not sandbox.enabled(), reason="the sandbox needs root")


@pytest.fixture(autouse=True)
def own_uid(monkeypatch):
    """Each test its own uid, as each grading run has: limits do not carry over."""
    monkeypatch.setenv(sandbox.UID_ENV, str(sandbox.pick_uid_base()))
    monkeypatch.delenv("PYTEST_XDIST_WORKER", raising=False)


@pytest.fixture
def student_dir(tmp_path):
    root = tmp_path
    work = tmp_path / "work"
    work.mkdir()
    sandbox.give_to_student(str(work), root=str(root))
    return work


def _run(student_dir, code, **kw):
    prog = Program([sys.executable, "-c", code], str(student_dir), name="prog", **kw).start()
    prog.wait(20)
    return prog


def test_runs_as_an_unprivileged_uid(student_dir):
    prog = _run(student_dir, "import os; print(os.getuid(), os.getgid(), os.getgroups())")
    uid = str(sandbox.student_uid())
    assert int(uid) >= 200000
    assert prog.stdout().decode().split() == [uid, uid, "[]"]


def test_writes_only_in_its_folder_and_a_private_tmp(student_dir, tmp_path):
    prog = _run(student_dir, """if True:
        import os
        open("mine.txt", "w").write("ok")               # its own folder: allowed
        open("/tmp/socketlab-sandbox-probe", "w").write("ok")   # a private /tmp: allowed
        for path in ("/etc/socketlab-probe", "/var/lib/socketlab-probe"):
            try:
                open(path, "w")
                print("WROTE", path)
            except OSError as e:
                print("refused", path)
    """)
    assert (student_dir / "mine.txt").read_text() == "ok"
    assert not os.path.exists("/tmp/socketlab-sandbox-probe"), "the private /tmp leaked"
    assert "WROTE" not in prog.stdout().decode(), prog.stdout()


def test_process_limit_stops_a_fork_bomb(student_dir):
    prog = _run(student_dir, """if True:
        import os, sys
        n = 0
        try:
            for _ in range(500):
                if os.fork() == 0:
                    import time; time.sleep(5); os._exit(0)
                n += 1
        except OSError:
            print("stopped after", n); sys.stdout.flush(); os._exit(0)
        print("forked", n)
    """)
    out = prog.stdout().decode()
    prog.kill()
    assert out.startswith("stopped after"), out


def test_file_size_limit_stops_a_flood(student_dir):
    prog = Program(["yes"], str(student_dir), name="yes").start()  # Python ignores SIGXFSZ
    prog.wait(20)
    assert describe_status(prog.returncode()).startswith("was killed by SIGXFSZ")
    assert os.path.getsize(prog.stdout_path) <= 64 * 1024 * 1024


def test_cpu_limit_stops_a_spinning_program(student_dir, monkeypatch):
    import resource
    monkeypatch.setitem(sandbox.PROGRAM_LIMITS, resource.RLIMIT_CPU, (1, 2))
    prog = _run(student_dir, "while True: pass")
    assert describe_status(prog.returncode()).startswith(("was killed by SIGXCPU",
                                                          "was killed by SIGKILL"))


def test_the_build_runs_sandboxed_too(tmp_path):
    from gradelib.process import run_bounded
    work = tmp_path / "w"
    work.mkdir()
    sandbox.give_to_student(str(work), root=str(tmp_path))
    rc, _ = run_bounded(["sh", "-c", "id -u; touch /etc/socketlab-probe"], str(work), 10,
                        str(tmp_path / "out"), student=True)
    out = (tmp_path / "out").read_text()
    assert out.startswith(str(sandbox.student_uid())) and rc != 0 and not os.path.exists("/etc/socketlab-probe")
