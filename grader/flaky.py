#!/usr/bin/python3
"""Grades the same submission N times in a row, optionally with both cores
busy, and reports every test whose result changed between runs.

    flaky.py [--runs N] [--lab NN]... [--submission DIR] [--load]

Exit status: 0 when every run gave every test the same result, 1 otherwise.
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

GRADER_DIR = os.path.dirname(os.path.abspath(__file__))
KIT_DIR = os.path.dirname(GRADER_DIR)


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--lab", action="append", default=[])
    parser.add_argument("--submission", default=os.path.join(KIT_DIR, "solutions"))
    parser.add_argument("--load", action="store_true",
                        help="keep both cores busy (stress-ng) while grading")
    return parser.parse_args(argv)


def start_load():
    """Two CPU hogs for the length of the runs; stress-ng when installed."""
    if shutil.which("stress-ng"):
        return [subprocess.Popen(["stress-ng", "--cpu", "2", "--quiet"],
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)]
    hog = "while True: pass"
    return [subprocess.Popen([sys.executable, "-c", hog]) for _ in range(2)]


def grade_once(args, report_dir):
    argv = [sys.executable, os.path.join(GRADER_DIR, "grade.py"), "--quiet",
            "--submission", args.submission, "--report-dir", report_dir]
    for lab in args.lab:
        argv += ["--lab", lab]
    started = time.monotonic()
    subprocess.run(argv, stdout=subprocess.DEVNULL, check=False)
    elapsed = time.monotonic() - started
    with open(os.path.join(report_dir, "results.json")) as f:
        data = json.load(f)
    return data, elapsed


def main(argv=None):
    args = parse_args(argv)
    load = start_load() if args.load else []
    outcomes = {}  # test name -> list of statuses, one per run
    scores, times = [], []
    work = tempfile.mkdtemp(prefix="socketlab-flaky-")
    try:
        for run in range(1, args.runs + 1):
            data, elapsed = grade_once(args, os.path.join(work, str(run)))
            scores.append(data["score"])
            times.append(elapsed)
            for test in data["tests"]:
                outcomes.setdefault(test["name"], []).append(test["status"])
            print(f"run {run:>2}: {data['score']}/{data['max_score']} in {elapsed:.1f} s",
                  flush=True)
    finally:
        for proc in load:
            proc.kill()
            proc.wait()
        shutil.rmtree(work, ignore_errors=True)
    changed = {name: s for name, s in outcomes.items() if len(set(s)) > 1}
    print(f"\n{args.runs} runs{' with both cores busy' if load else ''}: scores "
          f"{min(scores)}..{max(scores)}, {min(times):.1f}..{max(times):.1f} s a run")
    if not changed:
        print("every test gave the same result in every run")
        return 0
    print(f"{len(changed)} test(s) changed result between runs:")
    for name, statuses in sorted(changed.items()):
        print(f"  {name}: failed in {statuses.count('failed')} of {len(statuses)} runs")
    return 1


if __name__ == "__main__":
    sys.exit(main())
