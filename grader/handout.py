#!/usr/bin/python3
"""Builds the student archive: the kit without solutions/, without the grader's
own tests (its buggy variants are patches of the solutions), and, when labs
are chosen, without the other labs' folders.

    handout.py [--out DIR] [--lab NN]...

    (no --lab)      DIR/socket-lab-kit-student.tar.gz     every lab
    --lab 01        DIR/socket-lab-kit-lab01.tar.gz       lab 01 alone
    --lab 01 --lab 02   DIR/socket-lab-kit-lab01-02.tar.gz

Before writing, it looks for solution text in what it packs (see leaks()): an
archive that holds a lab's own answers is refused (exit status 1); answers of
one lab that another lab's folder gives away (lab 02's net.c is lab 01's
steps 3 and 5) are listed as warnings, since they are meant for students who
have done that lab. Lists what went in as DIR/<name>.txt.
"""

import argparse
import os
import re
import subprocess
import sys
import tarfile

GRADER_DIR = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, GRADER_DIR)

from gradelib import labs  # noqa: E402

NEVER = ("solutions/", "grader/selftest/", "grader/fuzz/", "dist/", "reports/", ".git/")
# grader/fuzz: its harnesses hold small models of labs 04 and 05's parsing rules
_OUTPUT = re.compile(r"(^|/)(bin|build|__pycache__|node_modules)/|\.(o|a|so|pyc)$")
CI_WORKFLOW = "grader/ci/github-actions.yml"
RUN = 3        # this many answer lines in a row are a leak
SHORTEST = 12  # shorter lines ("if (fd == -1)") are too common to tell anything


def kit_files():
    """The kit's files, relative to its top: git's list (tracked, and new files
    not ignored) in a checkout, else every file that is not a build output."""
    try:
        out = subprocess.run(["git", "ls-files", "-z", "--cached", "--others",
                              "--exclude-standard"], cwd=labs.KIT_DIR, capture_output=True,
                             check=True).stdout.decode()
        files = [f for f in out.split("\0") if f]
    except (OSError, subprocess.CalledProcessError):
        files = []
        for dirpath, dirnames, filenames in os.walk(labs.KIT_DIR):
            dirnames[:] = [d for d in dirnames if d != ".git"]
            files += [os.path.relpath(os.path.join(dirpath, f), labs.KIT_DIR)
                      for f in filenames]
    return sorted(f for f in set(files)
                  if os.path.isfile(os.path.join(labs.KIT_DIR, f)) and not _OUTPUT.search(f))


def lab_of(path):
    """The lab folder name a path belongs to (labs/NN-x/..., grader/labs/NN-x/...)."""
    m = re.match(r"^(?:grader/)?labs/(\d\d-[a-z0-9-]+)/", path)
    return m.group(1) if m else None


def select(files, chosen):
    """What goes in the archive for the chosen lab names (None: every lab)."""
    keep = []
    for f in files:
        if f.startswith(NEVER):
            continue
        lab = lab_of(f)
        if chosen is not None and lab is not None and lab not in chosen:
            continue
        keep.append(f)
    return keep


# -- solution text --------------------------------------------------------------
def _norm(line):
    return re.sub(r"\s+", " ", line.strip())


def _significant(line):
    text = _norm(line)
    if len(text) < SHORTEST or text.startswith(("/*", "*", "//", "#include")):
        return None
    return text


def answer_lines(lab_name):
    """The lines of the lab's reference that its skeleton does not have: what a
    student writes. Empty if solutions/ is not there (a student's copy)."""
    answers = set()
    sol = os.path.join(labs.KIT_DIR, "solutions", lab_name)
    if not os.path.isdir(sol):
        return answers
    for name in sorted(os.listdir(sol)):
        skeleton = os.path.join(labs.KIT_DIR, "labs", lab_name, name)
        given = set()
        if os.path.exists(skeleton):
            with open(skeleton, errors="replace") as f:
                given = {_norm(line) for line in f}
        with open(os.path.join(sol, name), errors="replace") as f:
            answers |= {s for s in map(_significant, f) if s and s not in given}
    return answers


def longest_run(text, answers):
    """(longest run of consecutive answer lines, how many answer lines in all)."""
    run = best = hits = 0
    for line in text.splitlines():
        s = _significant(line)
        if s is None:
            continue
        if s in answers:
            run, hits = run + 1, hits + 1
            best = max(best, run)
        else:
            run = 0
    return best, hits


def leaks(files, lab_names, root=labs.KIT_DIR):
    """[(path, lab, run, hits, allowed)] for every packed file that shows a run of
    answer lines of one of lab_names. allowed: another lab's folder (a later
    lab building on an earlier one) or the course notes; not allowed: the
    lab's own folder, the grader, anything else."""
    answers = {name: answer_lines(name) for name in lab_names}
    found = []
    for path in files:
        try:
            with open(os.path.join(root, path), errors="strict") as f:
                text = f.read()
        except (UnicodeDecodeError, OSError):
            continue  # binary
        for name, ans in answers.items():
            if not ans:
                continue
            run, hits = longest_run(text, ans)
            if run >= RUN:
                owner = lab_of(path)
                allowed = (owner is not None and owner != name
                           and path.startswith("labs/")) or path.startswith("slides-notes/")
                found.append((path, name, run, hits, allowed))
    return found


def archive_name(chosen):
    if chosen is None:
        return "socket-lab-kit-student"
    numbers = [n[:2] for n in sorted(chosen)]
    return "socket-lab-kit-lab" + "-".join(numbers)


def build(out_dir, chosen=None, say=print):
    """Writes the archive; returns its path. SystemExit(1) on a leak."""
    files = select(kit_files(), chosen)
    in_archive = sorted({lab_of(f) for f in files if lab_of(f)})
    found = leaks(files, labs.names())
    for path, lab, run, hits, allowed in found:
        if not allowed:
            say(f"error: {path} holds {hits} lines of {lab}'s answers ({run} in a row)")
        elif lab in in_archive:
            say(f"warning: {path} gives away {hits} lines of {lab}'s answers ({run} in "
                f"a row): students get them together")
        else:
            say(f"note: {path} shares {hits} lines with {lab}'s answers ({run} in a "
                "row; that lab is not in this archive)")
    if any(not allowed and lab in in_archive for _, lab, _, _, allowed in found):
        raise SystemExit("handout: solution text in the archive; nothing written")
    name = archive_name(chosen)
    os.makedirs(out_dir, exist_ok=True)
    path = os.path.join(out_dir, name + ".tar.gz")
    with tarfile.open(path, "w:gz") as tar:
        for f in files:
            tar.add(os.path.join(labs.KIT_DIR, f), arcname=f"{name}/{f}", recursive=False)
        if CI_WORKFLOW in files:  # grades on every push once the kit is a GitHub repository
            tar.add(os.path.join(labs.KIT_DIR, CI_WORKFLOW),
                    arcname=f"{name}/.github/workflows/grade.yml")
    with open(os.path.join(out_dir, name + ".txt"), "w") as f:
        f.write("\n".join(files) + "\n")
    what = "every lab" if chosen is None else ", ".join(in_archive)
    say(f"{path}: the kit for students ({what}; no solutions)")
    return path


def main(argv=None):
    parser = argparse.ArgumentParser(description="Build the student archive.")
    parser.add_argument("--out", default=os.path.join(labs.KIT_DIR, "dist"))
    parser.add_argument("--lab", action="append", default=[],
                        help="only this lab (01, 02, ...); may be repeated")
    args = parser.parse_args(argv)
    chosen = None
    if args.lab:
        chosen = set()
        for sel in args.lab:
            for one in sel.replace(",", " ").split():
                lab = labs.find(one)
                if lab is None:
                    parser.error(f"no lab {one!r}; the kit has: {', '.join(labs.names())}")
                chosen.add(lab.name)
    build(args.out, chosen)
    return 0


if __name__ == "__main__":
    sys.exit(main())
