#!/usr/bin/python3
"""Times the grading of each lab: the reference (full marks), the skeleton, and
each hostile submission of the kit's self-tests (a failing submission should
be graded about as fast as a passing one); then runs each lab's own benchmark,
grader/labs/NN-name/bench.py, where there is one (lab 03: a chat server under
load).

    bench.py [--lab NN]... [--repeat N] [--no-hostile] [--no-lab-bench]

Prints one line per lab and tree with the median wall time of N gradings.
"""

import argparse
import glob
import os
import statistics
import subprocess
import sys
import tempfile
import time

GRADER_DIR = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, GRADER_DIR)
sys.path.insert(0, os.path.join(GRADER_DIR, "selftest"))

from gradelib import labs  # noqa: E402

import kit  # noqa: E402


def time_grading(submission, lab, report_dir):
    started = time.monotonic()
    out = subprocess.run([sys.executable, os.path.join(GRADER_DIR, "grade.py"), "--quiet",
                          "--submission", submission, "--lab", lab.number,
                          "--report-dir", report_dir], capture_output=True, text=True)
    return time.monotonic() - started, out.stdout.strip()


def line(lab, tree, times, score):
    print(f"{lab.name:<16} {tree:<32} {statistics.median(times):>7.1f}s "
          f"{len(times):>5}  {score}", flush=True)


def bench_trees(lab, repeat, reports):
    for tree in ("solutions", "labs"):
        submission = os.path.join(labs.KIT_DIR, tree)
        if not os.path.isdir(os.path.join(submission, lab.name)):
            continue
        times, score = [], ""
        for _ in range(repeat):
            elapsed, score = time_grading(submission, lab, reports)
            times.append(elapsed)
        line(lab, tree, times, score)


def bench_hostile(lab, reports):
    """Each hostile submission of the lab, graded whole once (builds that never end
    apart: the build's own bound, 120 s, decides those)."""
    cases = sorted(glob.glob(os.path.join(GRADER_DIR, "selftest", "hostile", lab.name,
                                          "*.patch")))
    for case in cases:
        name = os.path.basename(case)[:-len(".patch")]
        if name.startswith("build-"):
            continue
        with tempfile.TemporaryDirectory() as tree:
            kit.patched_solution(lab.name, case, os.path.join(tree, lab.name))
            elapsed, score = time_grading(tree, lab, reports)
        line(lab, f"hostile: {name}", [elapsed], score)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lab", action="append", default=[])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--no-hostile", action="store_true")
    parser.add_argument("--no-lab-bench", action="store_true")
    args = parser.parse_args()
    chosen = [labs.find(sel) for sel in args.lab] or labs.all_labs()
    print(f"{'lab':<16} {'submission':<32} {'median':>8} {'runs':>5}  score")
    with tempfile.TemporaryDirectory() as reports:
        for lab in chosen:
            bench_trees(lab, args.repeat, reports)
            if not args.no_hostile:
                bench_hostile(lab, reports)
    print(f"\nmachine: {os.cpu_count()} cores; each time includes the build, the unit "
          "tests, the behaviour tests and the memory check")
    if not args.no_lab_bench:
        for lab in chosen:
            own = os.path.join(lab.tests_dir, "bench.py")
            if os.path.exists(own):
                print(f"\n{lab.name}: {os.path.relpath(own, labs.KIT_DIR)}", flush=True)
                subprocess.run([sys.executable, own], check=False)


if __name__ == "__main__":
    main()
