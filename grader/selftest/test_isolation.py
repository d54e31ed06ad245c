"""The network namespace around a test run, and grading without it."""

import json
import os
import pathlib
import shutil
import subprocess
import sys
import tempfile

import pytest

from gradelib import labs

import kit

sys.path.insert(0, labs.GRADER_DIR)
import grade  # noqa: E402


def test_test_run_sees_only_loopback():
    """Read from /proc/net/dev inside the namespace: no traffic is sent."""
    prefix, why = grade.network_isolation()
    if prefix is None:
        pytest.skip(f"no network namespace on this machine: {why}")
    out = subprocess.run(prefix + ["cat", "/proc/net/dev"], capture_output=True,
                         text=True, check=True).stdout
    interfaces = [line.split(":")[0].strip() for line in out.splitlines()[2:]]
    assert interfaces == ["lo"]


def test_grading_without_isolation_still_works_and_says_so(tmp_path, monkeypatch):
    monkeypatch.setenv("SOCKETLAB_NETNS", "0")
    proc, by_lab = kit.grade(os.path.join(labs.KIT_DIR, "solutions"), tmp_path, lab="01",
                             test="echoes_a_line")
    assert by_lab["01-sync-echo"]["echoes_a_line"]["status"] == "passed", proc.stderr
    with open(tmp_path / "results.json") as f:
        assert "graded without network isolation" in json.load(f)["output"]


@pytest.mark.parametrize("lab", ["01", "05"])
def test_a_student_who_is_not_root_gets_the_same_grade(lab):
    """`make grade` on a student's own machine runs as that student: no sandbox,
    a user namespace for the network. As root, grade as `nobody` and compare."""
    from gradelib import sandbox
    if not sandbox.real_root():
        pytest.skip("needs root, to grade as another user")
    tmp_path = pathlib.Path(tempfile.mkdtemp(prefix="socketlab-nobody-"))
    tmp_path.chmod(0o777)  # nobody's home and report folder
    # A copy of the kit nobody can read: the checkout may sit in a folder only
    # root may enter (a CI clone in a mktemp folder, mode 0700).
    copy = tmp_path / "kit"
    outputs = shutil.ignore_patterns("bin", "build", "*.o", "*.a", "__pycache__",
                                     "node_modules", "reports", "dist")
    for part in ("grader", "labs", "solutions"):
        shutil.copytree(os.path.join(labs.KIT_DIR, part), copy / part, ignore=outputs)
    subprocess.run(["chmod", "-R", "a+rX", str(copy)], check=True)
    env = {**os.environ, "HOME": str(tmp_path)}
    env.pop(sandbox.UID_ENV, None)
    argv = ["setpriv", f"--reuid={sandbox.NOBODY}", f"--regid={sandbox.NOBODY}",
            "--clear-groups", sys.executable, str(copy / "grader" / "grade.py"),
            "--submission", str(copy / "solutions"), "--lab", lab,
            "--report-dir", str(tmp_path / "reports"), "--quiet"]
    try:
        proc = kit.run_killable(argv, timeout=300, env=env)
        assert proc.returncode == 0, proc.stdout + proc.stderr
        with open(tmp_path / "reports" / "results.json") as f:
            results = json.load(f)
    finally:
        shutil.rmtree(tmp_path, ignore_errors=True)
    assert "graded without the sandbox" in results["output"]
    failed = [t["name"] for t in results["tests"] if t["status"] != "passed"]
    assert not failed and results["max_score"] == 100, (failed, proc.stdout)
