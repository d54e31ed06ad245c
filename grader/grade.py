#!/usr/bin/python3
"""Grades a submission: builds each lab, runs its unit tests, behaviour tests
and memory check, and writes the reports.

    grade.py [--submission DIR] [--lab NN]... [--test TEXT] [--report-dir DIR]
             [--private DIR] [--title TEXT]

--private DIR: an instructor's own tests, outside the kit, laid out like
grader/labs (DIR/01-sync-echo/test_private.py, ...). They run with the lab's
tests, add the points they declare, and are hidden from students in
results.json (Gradescope's "visibility") and report.html.

Exit status: 0 when grading ran to its end (whatever the score), 2 on bad
usage, 3 when the grader itself failed (a bug to report).
"""

import argparse
import os
import shutil
import signal
import subprocess
import sys
import tempfile

GRADER_DIR = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, GRADER_DIR)

from gradelib import (build, criterion, labs, mistakes, process, reports,  # noqa: E402
                      results, sandbox)


def parse_args(argv):
    parser = argparse.ArgumentParser(description="Grade the labs of a submission.")
    parser.add_argument("--submission", default=os.path.join(labs.KIT_DIR, "labs"),
                        help="a folder laid out like labs/ (default: labs)")
    parser.add_argument("--lab", action="append", default=[],
                        help="grade only this lab (01, 02, ...); may be repeated")
    parser.add_argument("--test", help="run only the tests whose name contains TEXT "
                        "(a pytest -k expression)")
    parser.add_argument("--report-dir", default=os.path.join(labs.KIT_DIR, "reports"))
    parser.add_argument("--jobs", type=int, default=2, help="tests run in parallel")
    parser.add_argument("--keep", action="store_true", help="keep the scratch folder")
    parser.add_argument("--quiet", action="store_true", help="print only the totals")
    parser.add_argument("--private", help="a folder of private tests, laid out like "
                        "grader/labs (DIR/NN-name/test_*.py)")
    parser.add_argument("--title", default="Grading report",
                        help="the heading of report.html (a student's name, say)")
    args = parser.parse_args(argv)
    if not os.path.isdir(args.submission):
        parser.error(f"{args.submission}: no such folder")
    if args.private and not os.path.isdir(args.private):
        parser.error(f"{args.private}: no such folder")
    return args


def select_labs(args):
    """The labs asked for, or every lab present in the submission."""
    if args.lab:
        chosen = []
        for sel in args.lab:
            lab = labs.find(sel)
            if lab is None:
                sys.exit(f"grade: no lab {sel!r}; the grader knows: "
                         f"{', '.join(labs.names())}")
            chosen.append(lab)
        return chosen
    return [labs.load(name) for name in labs.names()
            if os.path.isdir(os.path.join(args.submission, name))]


def build_all(chosen, submission, scratch, say):
    records = []
    for lab in chosen:
        say(f"building {lab.name} ...")
        record = build.prepare(lab, submission, scratch)
        if record["built"]:
            criterion.run(lab, record["src"], os.path.join(scratch, lab.name))
        records.append(record)
    return records


SCRATCH_ROOT = "/var/lib/socketlab-grader"  # as root: outside the /tmp students get


def make_scratch():
    """A fresh folder for one grading; reachable by `nobody` when sandboxed."""
    root = None
    if sandbox.enabled():
        os.makedirs(SCRATCH_ROOT, mode=0o755, exist_ok=True)
        root = SCRATCH_ROOT
    scratch = tempfile.mkdtemp(prefix="grade-", dir=root)
    os.chmod(scratch, 0o755)
    return scratch


def network_isolation():
    """The prefix that runs a command in a network namespace with only loopback
    up, or (None, why) when this machine does not allow it."""
    if os.environ.get("SOCKETLAB_NETNS", "1") == "0":
        return None, "SOCKETLAB_NETNS=0"
    if shutil.which("unshare") is None or shutil.which("ip") is None:
        return None, "unshare or ip is missing"
    prefix = ["unshare", "--net"] if os.geteuid() == 0 else ["unshare", "--net", "--map-root-user"]
    prefix += ["--", "sh", "-c", 'ip link set lo up && exec "$@"', "netns"]
    probe = subprocess.run(prefix + ["true"], capture_output=True, text=True)
    if probe.returncode != 0:
        return None, (probe.stderr.strip().splitlines() or ["unshare failed"])[-1]
    return prefix, None


def run_tests(chosen, scratch, args, notes):
    """Runs pytest over the chosen labs; returns (entries, pytest status).

    What the student should know about how it ran is added to notes."""
    results_path = os.path.join(scratch, "results.json")
    private = [os.path.join(args.private, lab.name) for lab in chosen
               if args.private and os.path.isdir(os.path.join(args.private, lab.name))]
    argv = [sys.executable, "-m", "pytest", *[lab.tests_dir for lab in chosen], *private,
            "-p", "gradelib.plugin", f"--scratch={scratch}", f"--results={results_path}",
            f"--basetemp={os.path.join(scratch, 'pytest')}",
            "-p", "no:terminal", "-p", "no:cacheprovider"]
    if args.jobs > 1:
        argv += ["-n", str(args.jobs), "--dist", "loadgroup"]  # tests one by one, but a
        # module marked xdist_group (a memory-check session) stays on one worker
    if private:  # tests outside grader/: keep grader/pytest.ini as the configuration
        argv += ["-c", os.path.join(GRADER_DIR, "pytest.ini"), f"--rootdir={GRADER_DIR}"]
        os.environ[labs.PRIVATE_ENV] = os.path.abspath(args.private)
    if args.test:
        argv += ["-k", args.test]
    if os.path.realpath(args.submission) != os.path.realpath(os.path.join(labs.KIT_DIR,
                                                                           "labs")):
        argv.append(f"--rerun-submission={args.submission}")
    prefix, why = network_isolation()
    if prefix:
        argv = prefix + argv
    else:
        notes.append(f"graded without network isolation ({why}): the programs could "
                     "reach other addresses, and the tests shared the machine's ports")
    if not sandbox.enabled():
        notes.append("graded without the sandbox (it needs root): the programs ran as "
                     "you, with resource limits only")
    out = subprocess.DEVNULL if args.quiet else None
    if not args.quiet:
        argv.append("--progress")
        print("testing (. passed, F failed, E failed while setting up; details below)",
              flush=True)
    status = subprocess.run(argv, cwd=GRADER_DIR, stdout=out,
                            preexec_fn=process.die_with_parent).returncode
    if not os.path.exists(results_path):
        return [], status
    return results.load(results_path), status


def _stop(signo, frame):
    """SIGTERM or SIGHUP: leave through the finally clauses, which clean up."""
    raise SystemExit(128 + signo)


def main(argv=None):
    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGHUP, _stop)
    args = parse_args(argv)
    try:
        chosen = select_labs(args)
    except labs.LabError as e:
        print(f"grade: {e}: this is a grader error, please report it", file=sys.stderr)
        return 3
    if not chosen:
        sys.exit(f"grade: no lab folder (01-sync-echo, ...) in {args.submission}")
    say = (lambda msg: None) if args.quiet else (lambda msg: print(msg, flush=True))
    os.environ.setdefault(sandbox.UID_ENV, str(sandbox.pick_uid_base()))
    if not sandbox.enabled():
        # Decided here, once: inside the network namespace of a user who is not
        # root, pytest runs as a mapped root that must not try the sandbox.
        os.environ["SOCKETLAB_SANDBOX"] = "0"
    scratch = make_scratch()
    notes = []
    try:
        records = build_all(chosen, os.path.abspath(args.submission), scratch, say)
        entries, status = run_tests(chosen, scratch, args, notes)
    finally:
        if sandbox.enabled():
            sandbox.kill_run(int(os.environ[sandbox.UID_ENV]))
        if args.keep:
            print(f"scratch folder kept: {scratch}")
        else:
            shutil.rmtree(scratch, ignore_errors=True)
    if status == 5:
        sys.exit(f"grade: no test matches {args.test!r}")
    if status not in (0, 1) or not entries:
        print(f"grade: the test run failed (pytest status {status}): this is a grader "
              "error, please report it", file=sys.stderr)
        return 3
    if not args.test:
        public = [e for e in entries if not e.hidden]  # private tests add their points
        for lab, (_, worth, _, _) in reports.lab_totals(public).items():
            if worth != reports.LAB_POINTS:  # a test file that failed to load, or bad points
                print(f"grade: {lab} is worth {worth} points, not {reports.LAB_POINTS}: "
                      "this is a grader error, please report it", file=sys.stderr)
                return 3
    entries = reports.build_entries(records) + entries
    # The likely mistake, from the whole lab's failures only (not with --test).
    advice = {} if args.test else {lab.name: mistakes.advice(lab, entries) for lab in chosen}
    notes += [f"{lab}: {line}" for lab, lines in advice.items() for line in lines]
    reports.write_all(args.report_dir, entries, notes, args.title)
    if args.quiet:
        for lab, (s, m, bs, bm) in reports.lab_totals(
                [e for e in entries if not e.is_build]).items():
            print(f"{lab} {s}/{m}" + (f" bonus {bs}/{bm}" if bm else ""))
    else:
        print()
        print(reports.terminal(entries, records, color=sys.stdout.isatty(), advice=advice))
        for note in notes[:len(notes) - sum(map(len, advice.values()))]:
            print(f"note: {note}")
        where = os.path.relpath(args.report_dir)
        print(f"reports: {where}/results.json, {where}/junit.xml"
              + (f", {where}/report.html" if os.path.exists(
                  os.path.join(args.report_dir, "report.html")) else ""))
    errors = [e for e in entries if e.kind == "grader-error"]
    return 3 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
