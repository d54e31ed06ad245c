#!/usr/bin/python3
"""Gradescope's autograder for the kit: the zip an instructor uploads, and what
runs inside it for each submission.

    gradescope.py build [--lab NN]... [--private DIR] [--out dist]
        writes dist/gradescope-labNN.zip: setup.sh and run_autograder at its
        root, the kit (no solutions, no self-tests, only the labs asked for)
        in kit/, the private tests in private/
    gradescope.py run [--lab NN]... [--submission DIR] [--results DIR]
        what run_autograder calls: lays the upload out like labs/ (the .c files
        alone, a lab folder, or the whole kit: gradelib/layout.py), grades it,
        and writes results.json where Gradescope reads it

Gradescope's format: https://gradescope-autograders.readthedocs.io/en/latest/specs/
(setup.sh and run_autograder at the zip's root; the zip is unpacked to
/autograder/source; the upload is in /autograder/submission; results go to
/autograder/results/results.json).
"""

import argparse
import json
import os
import shutil
import stat
import subprocess
import sys
import tempfile
import zipfile

GRADER_DIR = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, GRADER_DIR)

import handout  # noqa: E402
from gradelib import labs, layout  # noqa: E402

# Packages for grading only (packages.txt also lists those of the slides).
NOT_FOR_GRADING = {"graphviz", "nodejs", "clang-format", "stress-ng"}

SETUP = """#!/usr/bin/env bash
# Gradescope runs this once, as root, when it builds the autograder's image.
# The kit needs Python 3.11 or later (tomllib): pick the Ubuntu 24.04 base image.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends {packages}
/usr/bin/python3 -c 'import sys, tomllib; assert sys.version_info >= (3, 11)' || {{
    echo "the kit needs Python 3.11 or later: choose Ubuntu 24.04 in the autograder settings" >&2
    exit 1
}}
"""

RUN = """#!/usr/bin/env bash
# Gradescope runs this for each submission, in /autograder.
cd /autograder/source/kit
exec /usr/bin/python3 grader/gradescope.py run {labs}{private}\\
    --submission /autograder/submission --results /autograder/results
"""


def packages():
    with open(os.path.join(GRADER_DIR, "packages.txt")) as f:
        names = [ln.strip() for ln in f if ln.strip() and not ln.startswith("#")]
    return [p for p in names if p not in NOT_FOR_GRADING] + ["util-linux"]


def build(out_dir, chosen, private=None):
    """Writes the autograder zip; returns its path."""
    files = handout.select(handout.kit_files(), chosen)
    in_zip = sorted({handout.lab_of(f) for f in files if handout.lab_of(f)})
    bad = [x for x in handout.leaks(files, in_zip) if not x[4]]
    if bad:
        raise SystemExit(f"gradescope: solution text in {bad[0][0]}; nothing written")
    numbers = [n[:2] for n in in_zip]
    name = "gradescope-lab" + "-".join(numbers) if chosen else "gradescope-all"
    os.makedirs(out_dir, exist_ok=True)
    path = os.path.join(out_dir, name + ".zip")
    lab_args = "".join(f"--lab {n} " for n in numbers) if chosen else ""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        _add_text(z, "setup.sh", SETUP.format(packages=" ".join(packages())))
        _add_text(z, "run_autograder", RUN.format(
            labs=lab_args, private="--private /autograder/source/private " if private else ""))
        for f in files:
            z.write(os.path.join(labs.KIT_DIR, f), "kit/" + f)
        if private:
            for dirpath, _, filenames in os.walk(private):
                for f in filenames:
                    full = os.path.join(dirpath, f)
                    z.write(full, "private/" + os.path.relpath(full, private))
    return path


def _add_text(z, name, text):
    info = zipfile.ZipInfo(name)
    info.external_attr = (stat.S_IFREG | 0o755) << 16
    z.writestr(info, text)


def sandbox_works():
    """Gradescope's containers may forbid namespaces: then grade without them."""
    probe = subprocess.run(["unshare", "--mount", "true"], capture_output=True)
    return probe.returncode == 0


def run(submission, results_dir, numbers, private=None):
    """Grades one upload; always writes results_dir/results.json."""
    os.makedirs(results_dir, exist_ok=True)
    chosen = [labs.find(n) for n in numbers] if numbers else labs.all_labs()
    work = tempfile.mkdtemp(prefix="gradescope-")
    tree = os.path.join(work, "submission")
    report = os.path.join(work, "report")
    try:
        try:
            layout.arrange(submission, tree, chosen)
        except layout.LayoutError as e:
            return _write_zero(results_dir, chosen, f"Nothing to grade: {e}.")
        argv = [sys.executable, os.path.join(GRADER_DIR, "grade.py"), "--submission", tree,
                "--report-dir", report, "--title", "Grading report"]
        for lab in chosen:
            argv += ["--lab", lab.number]
        if private:
            argv += ["--private", private]
        env = dict(os.environ)
        if os.geteuid() == 0 and not sandbox_works():
            env["SOCKETLAB_SANDBOX"] = "0"
        done = subprocess.run(argv, env=env)
        produced = os.path.join(report, "results.json")
        if not os.path.exists(produced):
            return _write_zero(results_dir, chosen, "The grader failed (status "
                               f"{done.returncode}); please tell your instructor.")
        with open(produced) as f:
            data = json.load(f)
        data.pop("max_score", None)  # the kit's own key; not in Gradescope's format
        with open(os.path.join(results_dir, "results.json"), "w") as f:
            json.dump(data, f, indent=1)
        html = os.path.join(report, "report.html")
        if os.path.exists(html):
            shutil.copy(html, os.path.join(results_dir, "report.html"))
        return done.returncode
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _write_zero(results_dir, chosen, why):
    with open(os.path.join(results_dir, "results.json"), "w") as f:
        json.dump({"score": 0, "output": why + " Upload your lab's .c files, or its "
                   f"folder ({', '.join(lab.name for lab in chosen)}).", "tests": []}, f)
    return 0


def main(argv=None):
    parser = argparse.ArgumentParser(description="Gradescope's autograder for the kit.")
    sub = parser.add_subparsers(dest="command", required=True)
    b = sub.add_parser("build", help="the autograder zip to upload")
    b.add_argument("--lab", action="append", default=[])
    b.add_argument("--private", help="a folder of private tests to include")
    b.add_argument("--out", default=os.path.join(labs.KIT_DIR, "dist"))
    r = sub.add_parser("run", help="grade one upload (run_autograder calls it)")
    r.add_argument("--lab", action="append", default=[])
    r.add_argument("--private")
    r.add_argument("--submission", default="/autograder/submission")
    r.add_argument("--results", default="/autograder/results")
    args = parser.parse_args(argv)
    numbers = [n for sel in args.lab for n in sel.replace(",", " ").split()]
    if args.command == "build":
        chosen = None
        if numbers:
            found = [labs.find(n) for n in numbers]
            if None in found:
                parser.error(f"no such lab; the kit has: {', '.join(labs.names())}")
            chosen = {lab.name for lab in found}
        path = build(args.out, chosen, args.private)
        print(f"{path}: upload it as the autograder of a Gradescope programming assignment")
        return 0
    return run(args.submission, args.results, numbers, args.private)


if __name__ == "__main__":
    sys.exit(main())
