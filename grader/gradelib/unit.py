"""Grading one Criterion test from the results grade.py saved."""

import json
import os

import pytest

from .failure import Failure


def params(table):
    """pytest params for a lab's table {suite/name: (points, handout section)}."""
    return [pytest.param(name, marks=pytest.mark.points(pts), id=name)
            for name, (pts, _) in table.items()]


def grade(request, lab, table, name):
    """Raises Failure unless the Criterion test `name` of lab passed."""
    results = load(request.config.getoption("--scratch"), lab)
    check(results, name, f"{lab.handout}, \"{table[name][1]}\"", students_paths(lab))


def students_paths(lab):
    """{the grader's path of each unit-test file: the student's copy of it}."""
    return {os.path.join(lab.tests_dir, s): lab.students_copy(s) for s in lab.unit_tests}


def load(scratch, lab):
    path = os.path.join(scratch, lab.name, "unit.json")
    if not os.path.exists(path):
        raise Failure(f"{lab.name} did not build, so its unit tests cannot run. "
                      f"The compiler's output is in the build report ('{lab.name}: build').")
    with open(path) as f:
        return json.load(f)


def check(results, name, read_more, paths=None):
    """Raises Failure unless the Criterion test `suite/name` passed."""
    if results["error"]:
        raise Failure(results["error"])
    test = results["tests"].get(name)
    if test is None:
        raise Failure(f"the unit test {name} did not run (its binary stopped early?)")
    if test["status"] == "PASSED":
        return
    status = {"FAILED": "failed", "ERRORED": "crashed or timed out"}.get(test["status"],
                                                                      test["status"])
    lines = [f"the unit test {name} {status}:"]
    messages = test["messages"]
    for graders, students in (paths or {}).items():  # the student's copy of the file
        messages = [m.replace(graders, students) for m in messages]
    lines += ["  " + m for m in messages] or ["  (no message: the test "
                                                      "process exited early)"]
    lines.append(f"read: {read_more}")
    raise Failure("\n".join(lines))
