#!/usr/bin/python3
"""Grades a class: one folder or archive per student, each graded on its own.

    grade_class.py CLASS_DIR [--out DIR] [--lab NN]... [--private DIR]
                   [--workers N] [--student-timeout S] [--fresh]

CLASS_DIR holds one entry per student: a folder, or a .zip/.tar.gz/.tgz/.tar,
laid out like labs/ (or the kit, or the answer files alone: gradelib/layout.py).
Each student is graded by its own grade.py run (own scratch folder, own uids,
own network namespace), pinned to one core, one student per core at a time, so
that a submission that burns its CPU slows nobody else; a whole grading is
bounded by --student-timeout, then killed with everything it started.

Writes into --out (default reports/class):
  gradebook.csv             student, each lab's score, total, problem
  students/NAME/            report.html, results.json, junit.xml, grade.log, done.json
A student whose done.json matches the submission's digest is not graded again:
an interrupted run resumes where it stopped (--fresh regrades everyone).
"""

import argparse
import concurrent.futures
import csv
import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time

GRADER_DIR = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, GRADER_DIR)

from gradelib import labs, layout, process, sandbox  # noqa: E402

GRADE = os.path.join(GRADER_DIR, "grade.py")


def parse_args(argv):
    parser = argparse.ArgumentParser(description="Grade a class of submissions.")
    parser.add_argument("class_dir", help="one folder or archive per student")
    parser.add_argument("--out", default=os.path.join(labs.KIT_DIR, "reports", "class"))
    parser.add_argument("--lab", action="append", default=[],
                        help="grade only this lab (01, 02, ...); may be repeated")
    parser.add_argument("--private", help="a folder of private tests (see grade.py)")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1,
                        help="students graded at once, one core each (default: the cores)")
    parser.add_argument("--student-timeout", type=float, default=900,
                        help="seconds for one student's whole grading (default 900)")
    parser.add_argument("--fresh", action="store_true", help="regrade every student")
    parser.add_argument("--no-pin", action="store_true",
                        help="do not pin each grading to one core (the scheduler shares "
                        "them: a grading's program and its tests may then use two)")
    args = parser.parse_args(argv)
    if not os.path.isdir(args.class_dir):
        parser.error(f"{args.class_dir}: no such folder")
    return args


def students(class_dir):
    """[(name, path)] of every submission in class_dir, by name; names made unique."""
    found, seen = [], set()
    for entry in sorted(os.listdir(class_dir)):
        path = os.path.join(class_dir, entry)
        if entry.startswith(".") or not layout.is_submission(path):
            continue
        name = layout.student_name(path)
        while name in seen:
            name += "_"
        seen.add(name)
        found.append((name, path))
    return found


def digest(path, chosen, private):
    """What decides a grade: the submission's bytes, the labs asked for, the kit's
    grader version is not included (regrade with --fresh after changing it)."""
    h = hashlib.sha256()
    h.update(repr(sorted(lab.name for lab in chosen)).encode())
    h.update(repr(private).encode())
    if os.path.isdir(path):
        for dirpath, dirnames, filenames in os.walk(path):
            dirnames.sort()
            for f in sorted(filenames):
                full = os.path.join(dirpath, f)
                h.update(os.path.relpath(full, path).encode())
                if os.path.isfile(full) and not os.path.islink(full):
                    with open(full, "rb") as fh:
                        h.update(hashlib.sha256(fh.read()).digest())
    else:
        with open(path, "rb") as fh:
            h.update(fh.read())
    return h.hexdigest()


class Cores:
    """Hands out one core per running grading (pinning keeps a busy submission
    on its own core)."""

    def __init__(self):
        self.free = sorted(os.sched_getaffinity(0))
        self.lock = threading.Lock()

    def take(self):
        with self.lock:
            return self.free.pop(0) if self.free else None

    def give(self, core):
        if core is not None:
            with self.lock:
                self.free.append(core)


def grade_one(name, path, args, chosen, out_dir, work_dir, cores):
    """Grades one student; returns its done.json record."""
    mine = os.path.join(out_dir, "students", name)
    os.makedirs(mine, exist_ok=True)
    started = time.monotonic()
    record = {"student": name, "source": os.path.abspath(path),
              "digest": digest(path, chosen, args.private), "labs": {}, "problem": ""}
    tree = os.path.join(work_dir, name)
    shutil.rmtree(tree, ignore_errors=True)
    try:
        source = path
        if not os.path.isdir(path):
            source = os.path.join(tree, "unpacked")
            layout.unpack(path, source)
        submission = os.path.join(tree, "submission")
        found = layout.arrange(source, submission, chosen)
        record["found"] = found
        missing = [lab.name for lab in chosen if lab.name not in found]
        if missing:
            record["problem"] = "missing " + ", ".join(missing)
        core = None if args.no_pin else cores.take()
        try:
            status, timed_out = _run_grade(submission, mine, name, args, chosen, core)
        finally:
            cores.give(core)
        results = os.path.join(mine, "results.json")
        if timed_out:
            record["problem"] = _join(record["problem"], f"grading took more than "
                                      f"{args.student_timeout:.0f} s and was stopped")
        elif status != 0 or not os.path.exists(results):
            record["problem"] = _join(record["problem"], f"grade.py ended with status "
                                      f"{status}: see grade.log")
        if os.path.exists(results) and not timed_out:
            record["labs"] = lab_scores(results)
    except layout.LayoutError as e:
        record["problem"] = str(e)
    except Exception as e:  # a bug here must not stop the class
        record["problem"] = f"class grader error: {e!r}"
    finally:
        shutil.rmtree(tree, ignore_errors=True)
    record["seconds"] = round(time.monotonic() - started, 1)
    tmp = os.path.join(mine, "done.json.tmp")
    with open(tmp, "w") as f:
        json.dump(record, f, indent=1)
    os.replace(tmp, os.path.join(mine, "done.json"))  # written last: the run is done
    return record


def _join(a, b):
    return f"{a}; {b}" if a else b


def _run_grade(submission, report_dir, name, args, chosen, core):
    """Runs grade.py in a session of its own, pinned to core; (status, timed out)."""
    argv = [sys.executable, GRADE, "--submission", submission, "--report-dir", report_dir,
            "--jobs", "1", "--quiet", "--title", f"Grading report: {name}"]
    for lab in chosen:
        argv += ["--lab", lab.number]
    if args.private:
        argv += ["--private", os.path.abspath(args.private)]
    env = dict(os.environ, **{sandbox.UID_ENV: str(sandbox.pick_uid_base())})

    def setup():
        process.die_with_parent()
        if core is not None:
            os.sched_setaffinity(0, {core})
    with open(os.path.join(report_dir, "grade.log"), "w") as log:
        proc = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT, env=env,
                                start_new_session=True, preexec_fn=setup)
        RUNNING.add(proc)
        try:
            return proc.wait(timeout=args.student_timeout), False
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGTERM)  # grade.py cleans up on SIGTERM
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
            if sandbox.enabled():
                sandbox.kill_run(int(env[sandbox.UID_ENV]))
            return proc.returncode, True
        finally:
            RUNNING.discard(proc)
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()


RUNNING = set()  # the grade.py processes running now


def stop_running(grace=15):
    """SIGTERM to every running grading (grade.py cleans up), SIGKILL after grace."""
    procs = list(RUNNING)
    for proc in procs:
        try:
            os.killpg(proc.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
    deadline = time.monotonic() + grace
    for proc in procs:
        try:
            proc.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)


def lab_scores(results_path):
    """{lab: [score, max]} from a results.json (bonus apart, private tests in)."""
    with open(results_path) as f:
        data = json.load(f)
    scores = {}
    for t in data["tests"]:
        lab = t["name"].split(": ", 1)[0]
        s = scores.setdefault(lab, [0, 0])
        s[0] += t["score"] if t["max_score"] else 0
        s[1] += t["max_score"]
    return scores


def write_gradebook(out_dir, everyone, chosen):
    """gradebook.csv from every student's done.json (done or not)."""
    path = os.path.join(out_dir, "gradebook.csv")
    names = [lab.name for lab in chosen]
    with open(path + ".tmp", "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["student", *names, "total", "max", "problem", "report"])
        for name, _ in everyone:
            done = os.path.join(out_dir, "students", name, "done.json")
            if not os.path.exists(done):
                w.writerow([name, *[""] * len(names), "", "", "not graded yet", ""])
                continue
            with open(done) as fh:
                rec = json.load(fh)
            scores = [rec["labs"].get(n, [0, 0]) for n in names]
            worth = sum(s[1] for s in scores) or 100 * len(names)
            report = os.path.join("students", name, "report.html")
            w.writerow([name, *[s[0] for s in scores], sum(s[0] for s in scores), worth,
                        rec["problem"],
                        report if os.path.exists(os.path.join(out_dir, report)) else ""])
    os.replace(path + ".tmp", path)
    return path


def already_done(out_dir, name, wanted_digest):
    done = os.path.join(out_dir, "students", name, "done.json")
    try:
        with open(done) as f:
            return json.load(f).get("digest") == wanted_digest
    except (OSError, ValueError):
        return False


class Progress:
    """A progress bar with rich when the terminal is one, else one line per student."""

    def __init__(self, total, skipped):
        self.total, self.done = total, skipped
        self.bar = None
        if sys.stdout.isatty():
            try:
                from rich.progress import (BarColumn, MofNCompleteColumn, Progress as Bar,
                                           TextColumn, TimeElapsedColumn,
                                           TimeRemainingColumn)
                self.bar = Bar(TextColumn("grading"), BarColumn(), MofNCompleteColumn(),
                               TimeElapsedColumn(), TextColumn("left"),
                               TimeRemainingColumn(), TextColumn("{task.description}"))
                self.task = self.bar.add_task("", total=total, completed=skipped)
            except ImportError:
                self.bar = None

    def __enter__(self):
        if self.bar:
            self.bar.__enter__()
        return self

    def __exit__(self, *exc):
        if self.bar:
            self.bar.__exit__(*exc)

    def running(self, names):
        if self.bar:
            self.bar.update(self.task, description=", ".join(names))

    def finished(self, rec):
        self.done += 1
        total = sum(s[0] for s in rec["labs"].values())
        line = (f"[{self.done}/{self.total}] {rec['student']}: {total} "
                f"({rec['seconds']} s){'  ' + rec['problem'] if rec['problem'] else ''}")
        if self.bar:
            self.bar.console.print(line)
            self.bar.update(self.task, completed=self.done)
        else:
            print(line, flush=True)


def main(argv=None):
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, lambda s, f: (_ for _ in ()).throw(KeyboardInterrupt()))
    numbers = [n for sel in args.lab for n in sel.replace(",", " ").split()]
    chosen = [labs.find(n) for n in numbers] if numbers else labs.all_labs()
    if None in chosen:
        sys.exit(f"grade-class: no such lab; the grader knows: {', '.join(labs.names())}")
    everyone = students(args.class_dir)
    if not everyone:
        sys.exit(f"grade-class: no folder or archive in {args.class_dir}")
    out_dir = os.path.abspath(args.out)
    work_dir = os.path.join(out_dir, "work")
    os.makedirs(work_dir, exist_ok=True)
    todo = [(n, p) for n, p in everyone
            if args.fresh or not already_done(out_dir, n, digest(p, chosen, args.private))]
    print(f"{len(everyone)} submissions, {len(everyone) - len(todo)} already graded, "
          f"{len(todo)} to grade on {args.workers} core(s)", flush=True)
    cores = Cores()
    started = time.monotonic()
    running = set()
    try:
        with Progress(len(everyone), len(everyone) - len(todo)) as progress, \
                concurrent.futures.ThreadPoolExecutor(max_workers=args.workers) as pool:
            def job(name, path):
                running.add(name)
                progress.running(sorted(running))
                try:
                    return grade_one(name, path, args, chosen, out_dir, work_dir, cores)
                finally:
                    running.discard(name)
            futures = [pool.submit(job, n, p) for n, p in todo]
            for fut in concurrent.futures.as_completed(futures):
                progress.finished(fut.result())
                write_gradebook(out_dir, everyone, chosen)
    except KeyboardInterrupt:
        print("\ninterrupted: run the same command again to grade the rest", flush=True)
        stop_running()
        write_gradebook(out_dir, everyone, chosen)
        os._exit(130)  # without waiting for the pool's threads
    path = write_gradebook(out_dir, everyone, chosen)
    shutil.rmtree(work_dir, ignore_errors=True)
    print(f"graded {len(todo)} in {time.monotonic() - started:.0f} s; gradebook: "
          f"{os.path.relpath(path)}; reports: {os.path.relpath(out_dir)}/students/NAME/",
          flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
