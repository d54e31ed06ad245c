#!/usr/bin/python3
"""Times the grading of each lab: the reference (full marks) and the skeleton.

    bench.py [--lab NN]... [--repeat N]

Prints one line per lab and tree with the median wall time of N gradings.
"""

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time

GRADER_DIR = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, GRADER_DIR)

from gradelib import labs  # noqa: E402


def time_grading(submission, lab, report_dir):
    started = time.monotonic()
    out = subprocess.run([sys.executable, os.path.join(GRADER_DIR, "grade.py"), "--quiet",
                          "--submission", submission, "--lab", lab.number,
                          "--report-dir", report_dir], capture_output=True, text=True)
    return time.monotonic() - started, out.stdout.strip()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lab", action="append", default=[])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    chosen = [labs.find(sel) for sel in args.lab] or labs.LABS
    print(f"{'lab':<16} {'tree':<10} {'median':>8} {'runs':>5}  score")
    with tempfile.TemporaryDirectory() as reports:
        for lab in chosen:
            for tree in ("solutions", "labs"):
                submission = os.path.join(labs.KIT_DIR, tree)
                if not os.path.isdir(os.path.join(submission, lab.name)):
                    continue
                times, score = [], ""
                for _ in range(args.repeat):
                    elapsed, score = time_grading(submission, lab, reports)
                    times.append(elapsed)
                print(f"{lab.name:<16} {tree:<10} {statistics.median(times):>7.1f}s "
                      f"{args.repeat:>5}  {score}", flush=True)
    print(f"\nmachine: {os.cpu_count()} cores; each time includes the build, the unit "
          "tests, the behaviour tests and the memory check")


if __name__ == "__main__":
    main()
