"""Helpers for the kit's own tests: grading a tree the way `make grade` does."""

import json
import os
import subprocess
import sys

from gradelib import labs

GRADE = os.path.join(labs.GRADER_DIR, "grade.py")


def grade(submission, report_dir, lab=None, jobs=2, test=None):
    """Runs grade.py on submission; returns (status, {lab: [results.json tests]})."""
    argv = [sys.executable, GRADE, "--submission", str(submission),
            "--report-dir", str(report_dir), "--jobs", str(jobs), "--quiet"]
    if lab:
        argv += ["--lab", lab]
    if test:
        argv += ["--test", test]
    proc = subprocess.run(argv, capture_output=True, text=True, timeout=300)
    path = os.path.join(report_dir, "results.json")
    by_lab = {}
    if os.path.exists(path):
        with open(path) as f:
            for t in json.load(f)["tests"]:
                lab_name, name = t["name"].split(": ", 1)
                by_lab.setdefault(lab_name, {})[name] = t
    return proc, by_lab


def total(tests):
    return sum(t["score"] for t in tests.values() if t["max_score"] > 0)


def failed(tests):
    return sorted(name for name, t in tests.items() if t["status"] == "failed")


def grader_errors(tests):
    return [name for name, t in tests.items() if "GRADER ERROR" in t["output"]
            or "Traceback" in t["output"]]
