"""Hostile submissions: lab 01's reference with one small edit each that
attacks the grader rather than making an honest mistake (it never becomes
ready, spins, ignores SIGTERM, leaves daemons, floods its output, crashes,
never finishes its build, fails it with pages of errors, writes outside its
folder). Each grading must end within its bound, fail the tests it affects
with a reason a student understands, and leave nothing behind: no process,
no file, no scratch folder, no listening socket.

A hostile submission is a patch in hostile/<lab>/<name>.patch against
solutions/<lab> (applied with `patch -p1`, as in test_variants.py), headed by:

    Mistake: what the submission does.
    Run: the tests to grade, as a -k expression (short, but showing it)
    Fails: the tests (names as in the table) that must fail; any other test
           graded must pass, the build too unless named here
    Expect: TEST: a text TEST's failure output must hold (one line each)
    Bound: the seconds the whole grading must take less than
    Build-timeout: N   (optional) grade only the build, in-process, with
                       gradelib.build.BUILD_TIMEOUT set to N seconds
    Needs: sandbox     (optional) skipped unless the sandbox is on (root)

In the patched tree and in the Expect lines, @MARKER@ becomes a name unique
to the test (files the submission leaves are looked for by it) and
@KIT_DIR@ the kit's folder.

Each submission is graded once (through grade.py, with SOCKETLAB_UID set
here so that the run's uids are known) and every test below reads that
grading. Needs root for the sandbox, as in CI; without it the cases that
need the sandbox are skipped.
"""

import glob
import os
import shutil
import tempfile
import threading
import time
import uuid

import psutil
import pytest

from gradelib import build, labs, sandbox

import kit

HERE = os.path.dirname(os.path.abspath(__file__))
CASES = sorted(glob.glob(os.path.join(HERE, "hostile", "*", "*.patch")))
SCRATCH_ROOT = "/var/lib/socketlab-grader"  # grade.py's scratch folders, when sandboxed
TMP_DIRS = ("/tmp", "/var/tmp", "/dev/shm")


_header = kit.patch_header


def _id(path):
    return f"{os.path.basename(os.path.dirname(path))}/{os.path.basename(path)[:-6]}"


def _fill(text, marker):
    return text.replace("@MARKER@", marker).replace("@KIT_DIR@", labs.KIT_DIR)


def _places(marker):
    """Where the writing submission tries to leave a file, outside the temporary folders."""
    home = os.environ.get("HOME") or "/root"
    return [os.path.join(d, marker) for d in
            (home, "/root", "/etc", labs.KIT_DIR, os.path.join(labs.KIT_DIR, "grader"),
             SCRATCH_ROOT)]


# -- what a grading run may leave behind ------------------------------------
class Leftovers:
    """The machine before a grading run, to find what the run left after it.

    Only what the run made counts (other gradings may run meanwhile): its
    uids, its scratch folders (seen while it runs), its own folder, and
    files named with its marker.
    """

    def __init__(self, uid_base, marker, own_dir):
        self.uids = range(uid_base, uid_base + 16)
        self.marker = marker
        self.own_dir = str(own_dir)
        self.scratches = set()
        self.procs = {(p.pid, p.info["create_time"])
                      for p in psutil.process_iter(["create_time"])}
        self.listening = self._listening()
        self._stop = threading.Event()
        self._watcher = None

    def watch(self):
        """Notes the scratch folders of the run while it runs (grade.py names them)."""
        def loop():
            while not self._stop.is_set():
                self.scratches |= _scratches(self.marker)
                self._stop.wait(0.05)
        self._watcher = threading.Thread(target=loop, daemon=True)
        self._watcher.start()
        return self

    def stop(self):
        self._stop.set()
        if self._watcher:
            self._watcher.join()

    def _ours(self, proc):
        """True when proc belongs to the run: one of its uids, its paths in argv,
        or its working folder in the run's scratch."""
        uids, cmdline = proc.info["uids"], " ".join(proc.info["cmdline"] or [])
        if uids and uids.real in self.uids:
            return True
        if (proc.pid, proc.info["create_time"]) in self.procs:
            return False
        return (any(s in cmdline for s in [*self.scratches, self.own_dir, self.marker])
                or _inside(proc.info["cwd"], self.scratches))

    def _processes(self):
        left = []
        for proc in psutil.process_iter(["uids", "cmdline", "create_time", "name", "status",
                                         "cwd"]):
            try:
                if self._ours(proc):
                    left.append(f"process {proc.pid} (uid {proc.info['uids'].real}, "
                                f"{proc.info['status']}): "
                                f"{' '.join(proc.info['cmdline'] or [proc.info['name']])}")
            except psutil.NoSuchProcess:
                pass
        return left

    @staticmethod
    def _listening():
        return {(c.laddr, c.pid) for c in psutil.net_connections(kind="tcp")
                if c.status == psutil.CONN_LISTEN}

    def found(self, settle=3.0):
        """What the run left: a list of lines, empty when nothing.

        A process killed at the very end may take a moment to be gone (and,
        re-parented to init, to be reaped): it has settle seconds.
        """
        deadline = time.monotonic() + settle
        while True:
            left = self._processes()
            if not left or time.monotonic() > deadline:
                break
            time.sleep(0.1)
        for laddr, pid in self._listening() - self.listening:
            try:  # a socket psutil cannot tie to a process is not held by the run's
                if pid and self._ours(_Info(psutil.Process(pid))):
                    left.append(f"a listening socket {laddr} of pid {pid}")
            except psutil.NoSuchProcess:
                pass
        for top in TMP_DIRS:
            for dirpath, dirnames, filenames in os.walk(top):
                if dirpath == os.path.dirname(self.own_dir):  # the selftest's tmp_path
                    dirnames[:] = [d for d in dirnames
                                   if os.path.join(dirpath, d) != self.own_dir]
                for name in dirnames + filenames:
                    path = os.path.join(dirpath, name)
                    try:
                        uid = os.lstat(path).st_uid
                    except FileNotFoundError:
                        continue
                    if uid in self.uids or self.marker in name:
                        left.append(f"a file {path} (uid {uid})")
        left += [f"a file {p}" for p in _places(self.marker) if os.path.lexists(p)]
        left += [f"the scratch folder {s}" for s in sorted(self.scratches)
                 if os.path.exists(s)]
        return left


class _Info:
    """A psutil.Process with .info filled, as process_iter gives them."""

    def __init__(self, proc):
        self.pid = proc.pid
        self.info = proc.as_dict(["uids", "cmdline", "create_time", "cwd"])


def _scratches(marker):
    """The scratch folders of the runs whose submission holds the file HOSTILE-marker."""
    tags = [tag for root in (SCRATCH_ROOT, tempfile.gettempdir())  # with, without sandbox
            for tag in glob.glob(os.path.join(root, "grade-*", "*", "src",
                                              "HOSTILE-" + marker))]
    return {tag.split(os.sep + "src" + os.sep)[0].rsplit(os.sep, 1)[0] for tag in tags}


def _inside(path, folders):
    return bool(path) and any(path == f or path.startswith(f + os.sep) for f in folders)


def _clean_up(uid_base, marker):
    """Whatever the run left, so that a failing test does not spoil the next ones
    (a grade.py killed on time-out leaves its processes and its scratch folder)."""
    sandbox.kill_run(uid_base)
    scratches = _scratches(marker)
    for proc in psutil.process_iter(["cwd"]):  # without the sandbox, no uid tells them
        if _inside(proc.info["cwd"], scratches):
            try:
                proc.kill()
            except psutil.NoSuchProcess:
                pass
    for path in _places(marker) + [os.path.join(d, marker) for d in TMP_DIRS]:
        if os.path.lexists(path):
            os.remove(path)
    for scratch in scratches:
        shutil.rmtree(scratch, ignore_errors=True)


# -- grading ----------------------------------------------------------------
def _grade(submission, report_dir, lab, test, env, timeout):
    """kit.grade with env added to grade.py's environment and a time-out.

    Returns (stdout + stderr, {table name: results.json test}, timed out).
    """
    proc, by_lab = kit.grade(submission, report_dir, lab=lab, test=test,
                             env={**os.environ, **env}, timeout=timeout)
    tests = next(iter(by_lab.values()), {})
    return proc.stdout + proc.stderr, tests, proc.timed_out


def _build_only(lab_name, submission, scratch, seconds):
    """Builds in-process as grade.py does, with the build's time bound set to seconds.

    This checks the build module itself; test_build_bound_can_be_set_for_a_run
    checks the same bound through grade.py (SOCKETLAB_BUILD_TIMEOUT).
    """
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(build, "BUILD_TIMEOUT", seconds)
        record = build.prepare(labs.find(lab_name), str(submission), scratch)
    return {"build": {"status": "passed" if record["built"] else "failed",
                      "output": record["output"]}}


class Graded:
    """One hostile submission, graded once; the tests below read it."""

    def __init__(self, case, tmp_path):
        self.header = header = _header(case)
        self.lab = os.path.basename(os.path.dirname(case))
        self.mistake = header["mistake"][0]
        self.marker = marker = f"socketlab-hostile-{uuid.uuid4().hex[:12]}"
        self.bound = float(header["bound"][0])
        self.fails = header["fails"][0].split()
        self.expect = [self._split(line) for line in header.get("expect", [])]
        submission = self._submission(case, tmp_path)
        uid_base = sandbox.pick_uid_base()
        leftovers = Leftovers(uid_base, marker, tmp_path)
        self.out, self.timed_out = "", False
        started = time.monotonic()
        try:
            if "build-timeout" in header:
                self.tests = self._build(submission, uid_base, leftovers)
            else:
                leftovers.watch()
                self.out, self.tests, self.timed_out = _grade(
                    submission, tmp_path / "reports", self.lab[:2], header["run"][0],
                    {sandbox.UID_ENV: str(uid_base)}, self.bound + 30)
            self.elapsed = time.monotonic() - started
            leftovers.stop()
            self.left = leftovers.found()
        finally:
            leftovers.stop()
            _clean_up(uid_base, marker)

    def _split(self, line):
        test, _, text = line.partition(": ")
        return test, _fill(text, self.marker)

    def _submission(self, case, tmp_path):
        """The reference with the patch applied, placeholders filled, and a tag
        file by which the run's scratch folder is found."""
        submission = tmp_path / "submission"
        tree = submission / self.lab
        kit.patched_solution(self.lab, case, tree)
        for path in tree.rglob("*"):
            text = path.read_text(errors="replace") if path.is_file() else ""
            if "@MARKER@" in text or "@KIT_DIR@" in text:
                path.write_text(_fill(text, self.marker))
        (tree / f"HOSTILE-{self.marker}").touch()
        return submission

    def _build(self, submission, uid_base, leftovers):
        import grade  # its scratch folder, as a grading run has it
        with pytest.MonkeyPatch.context() as mp:
            mp.setenv(sandbox.UID_ENV, str(uid_base))
            mp.delenv("PYTEST_XDIST_WORKER", raising=False)
            scratch = grade.make_scratch()
            leftovers.scratches.add(scratch)
            try:
                return _build_only(self.lab, submission, scratch,
                                   int(self.header["build-timeout"][0]))
            finally:
                shutil.rmtree(scratch, ignore_errors=True)

    def show(self):
        """The grading as the tests below print it (seen with -s, or on failure)."""
        lines = [self.mistake, f"graded in {self.elapsed:.1f} s (bound {self.bound:.0f} s)"]
        for name, t in self.tests.items():
            lines.append(f"--- {name}: {t['status']}\n{t['output']}")
        return "\n".join(lines)


_GRADED = {}


@pytest.fixture
def graded(tmp_path_factory):
    """graded(case) -> Graded: each hostile submission is graded once per session."""
    def _graded(case):
        header = _header(case)
        if "sandbox" in header.get("needs", []) and not sandbox.enabled():
            pytest.skip("needs the sandbox (run as root)")
        if case not in _GRADED:
            folder = tmp_path_factory.mktemp(_id(case).replace("/", "-"))
            _GRADED[case] = Graded(case, folder)
        print(_GRADED[case].show())
        return _GRADED[case]
    return _graded


@pytest.mark.parametrize("case", CASES, ids=[_id(c) for c in CASES])
def test_hostile_submission_is_contained(case, graded):
    g = graded(case)
    tests = g.tests
    assert not g.timed_out and g.elapsed < g.bound, (
        f"{g.mistake}\nthe grading took {g.elapsed:.1f} s, its bound is {g.bound:.0f} s"
        f"\n{g.out}")
    assert tests, f"{g.mistake}\nno results:\n{g.out}"
    assert kit.grader_errors(tests) == [], "\n\n".join(
        f"{n}:\n{tests[n]['output']}" for n in kit.grader_errors(tests))
    assert set(g.fails) <= set(tests), (
        f"Fails: names tests that were not graded: {set(g.fails) - set(tests)}")
    passed = [n for n in g.fails if tests[n]["status"] != "failed"]
    assert not passed, f"{g.mistake}\nthese tests should have failed: {passed}"
    failed = [n for n, t in tests.items() if t["status"] == "failed" and n not in g.fails]
    assert not failed, f"{g.mistake}\nthese tests should have passed: {failed}"
    for test, text in g.expect:
        assert text in tests[test]["output"], f"{g.mistake}\n{test} should say {text!r}"
    assert g.left == [], f"{g.mistake}\nthe grading left behind:\n" + "\n".join(g.left)


def test_build_bound_can_be_set_for_a_run(tmp_path):
    """A grading run honours SOCKETLAB_BUILD_TIMEOUT: a build that never ends
    is stopped after that many seconds, and the grading goes on."""
    case = os.path.join(HERE, "hostile", "01-sync-echo", "build-never-ends.patch")
    submission = tmp_path / "submission"
    tree = submission / "01-sync-echo"
    kit.patched_solution("01-sync-echo", case, tree)
    marker = f"socketlab-hostile-{uuid.uuid4().hex[:12]}"
    (tree / f"HOSTILE-{marker}").touch()
    uid_base = sandbox.pick_uid_base()
    try:
        out, tests, timed_out = _grade(submission, tmp_path / "reports", "01",
                                       "usage_errors_exit_with_2",
                                       {sandbox.UID_ENV: str(uid_base),
                                        "SOCKETLAB_BUILD_TIMEOUT": "2"}, timeout=8)
    finally:
        _clean_up(uid_base, marker)
    assert not timed_out, "the grading ran past 8 s: the build was given more than 2 s"
    assert "did not finish within 2 s" in tests["build"]["output"]
