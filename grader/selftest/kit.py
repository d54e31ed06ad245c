"""Helpers for the kit's own tests: grading a tree the way `make grade` does."""

import json
import os
import shutil
import signal
import subprocess
import sys

from gradelib import labs

GRADE = os.path.join(labs.GRADER_DIR, "grade.py")


def _loadable():
    """Every lab of the grader that loads (test_labs.py fails for one that does not).

    SOCKETLAB_SELFTEST_LABS=01,02 limits the self-tests to those labs, for a
    maintainer who works on one while another is half-built."""
    only = os.environ.get("SOCKETLAB_SELFTEST_LABS")
    found = []
    for name in labs.names():
        if only and name[:2] not in only.split(","):
            continue
        try:
            found.append(labs.load(name))
        except labs.LabError:
            pass
    return found


LABS = _loadable()
LAB_IDS = [lab.name for lab in LABS]


def grade(submission, report_dir, lab=None, jobs=2, test=None, env=None, timeout=300):
    """Runs grade.py on submission; returns (completed process, {lab: {name: test}}).

    env replaces grade.py's environment; past timeout its whole group is killed
    and the completed process says timed_out."""
    argv = [sys.executable, GRADE, "--submission", str(submission),
            "--report-dir", str(report_dir), "--jobs", str(jobs), "--quiet"]
    for one in ([lab] if isinstance(lab, str) else lab or []):
        argv += ["--lab", one]
    if test:
        argv += ["--test", test]
    proc = run_killable(argv, timeout=timeout, env=env)
    path = os.path.join(report_dir, "results.json")
    by_lab = {}
    if os.path.exists(path):
        with open(path) as f:
            for t in json.load(f)["tests"]:
                lab_name, name = t["name"].split(": ", 1)
                by_lab.setdefault(lab_name, {})[name] = t
    return proc, by_lab


def run_killable(argv, timeout, env=None):
    """subprocess.run in a session of its own; on time-out the whole group dies."""
    with subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                          env=env, start_new_session=True) as proc:
        timed_out = False
        try:
            out, err = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            out, err = proc.communicate()
            timed_out = True
    done = subprocess.CompletedProcess(argv, proc.returncode, out, err)
    done.timed_out = timed_out
    return done


def patch_header(path):
    """{key: [values]} from the `Key: value` lines of a patch, before its diff."""
    fields = {}
    with open(path) as f:
        for line in f:
            if line.startswith("--- "):
                break
            key, _, value = line.partition(":")
            if value.strip():
                fields.setdefault(key.strip().lower(), []).append(value.strip())
    return fields


def reference_tree(lab_name, tree):
    """Makes tree the whole reference of a lab: the kit's lab folder with the answer
    files of solutions/<lab_name> over it (no build outputs)."""
    no_outputs = shutil.ignore_patterns("bin", "build", "*.o", "*.a")
    shutil.copytree(os.path.join(labs.KIT_DIR, "labs", lab_name), tree, ignore=no_outputs)
    shutil.copytree(os.path.join(labs.KIT_DIR, "solutions", lab_name), tree,
                    ignore=no_outputs, dirs_exist_ok=True)
    return tree


def patched_solution(lab_name, patch, tree):
    """Makes tree the whole reference of a lab (reference_tree) and applies patch.

    Fails the calling test, with patch's words, if it no longer applies."""
    reference_tree(lab_name, tree)
    with open(patch) as f:
        applied = subprocess.run(["patch", "-p1", "--batch", "--forward", "-s"], cwd=tree,
                                 stdin=f, capture_output=True, text=True)
    assert applied.returncode == 0, f"{patch} no longer applies:\n{applied.stdout}"


def total(tests):
    return sum(t["score"] for t in tests.values() if t["max_score"] > 0)


def failed(tests):
    return sorted(name for name, t in tests.items() if t["status"] == "failed")


def grader_errors(tests):
    return [name for name, t in tests.items() if "GRADER ERROR" in t["output"]
            or "Traceback" in t["output"]]
