#!/usr/bin/python3
"""Fuzzes the reference's parsers with libFuzzer, AddressSanitizer and UBSan.

    run.py                      each parser for 60 s (`make fuzz`)
    run.py --seconds 300        longer (`make fuzz SECONDS=300`)
    run.py --lab 04             one lab's parser only
    run.py --check              replay the seeds and saved crashes once, no fuzzing
    run.py --replay FILE...     run a saved input again (a crash under crashes/)
    run.py --solutions DIR      fuzz the parsers of DIR/NN-name/ (a submission laid
                                out like labs/) instead; findings go to
                                build/<parser>-other/crashes/

Each harness (fuzz_<parser>.c) is compiled with the parser's .c file from the
reference: labs/NN-name/ copied to build/<parser>/tree/ with solutions/NN-name/
over it. The fuzzer starts from corpus/<parser>/ (read only: what it finds goes
to build/<parser>/corpus/, kept for the next run) and stops at the first
finding, which it saves in crashes/<parser>/ with a .txt beside it: the rule or
sanitizer report, and the command that replays it. Exit status: 0 when nothing
was found, 1 when something was, 2 when the compiler is missing.
"""

import argparse
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass

HERE = os.path.dirname(os.path.abspath(__file__))
KIT = os.path.dirname(os.path.dirname(HERE))
REFERENCE = os.path.join(KIT, "solutions")
CLANG = os.environ.get("CLANG", "clang")
INSTALL_HINT = "apt-get install -y clang libclang-rt-14-dev   (Debian 12)"

WARNINGS = ["-Wall", "-Wextra", "-Wpedantic", "-Wshadow", "-Wformat=2", "-Wmissing-prototypes"]
SANITIZERS = ["-fsanitize=fuzzer,address,undefined", "-fno-sanitize-recover=all"]
# Quarantine kept small: the machine is shared, and the parsers free nothing.
SANITIZER_ENV = {"ASAN_OPTIONS": "quarantine_size_mb=32:detect_leaks=1",
                 "UBSAN_OPTIONS": "print_stacktrace=1"}


@dataclass
class Parser:
    name: str       # the harness is fuzz_<name>.c, its seeds corpus/<name>/
    lab: str        # labs/<lab>/ and solutions/<lab>/
    sources: list   # the reference's files the harness is compiled with
    define: str     # the feature macro the lab's Makefile uses
    max_len: int    # longest input the fuzzer makes

    @property
    def harness(self):
        return os.path.join(HERE, f"fuzz_{self.name}.c")

    @property
    def seeds(self):
        return os.path.join(HERE, "corpus", self.name)

    @property
    def dictionary(self):
        path = os.path.join(HERE, f"{self.name}.dict")
        return path if os.path.exists(path) else None


PARSERS = [
    # Two whole frames of 8196 bytes and the byte that seeds the cutting.
    Parser("frame_decoder", "03-chat", ["chat_frame.c"], "-D_DEFAULT_SOURCE", 16400),
    # A datagram over RPC_DATAGRAM_MAX (1400) too.
    Parser("rpc_request", "04-udp-rpc", ["rpc_request.c"], "-D_DEFAULT_SOURCE", 1500),
    # A line is at most 4096 bytes with its LF; a little more.
    Parser("request_line", "05-unix-socket", ["request.c"], "-D_GNU_SOURCE", 4200),
]


class ToolMissing(Exception):
    pass


def check_compiler():
    """Raises ToolMissing unless clang and libFuzzer's runtime are installed."""
    if shutil.which(CLANG) is None:
        raise ToolMissing(f"{CLANG} is not installed: {INSTALL_HINT}")
    runtime = subprocess.run([CLANG, f"-print-file-name=libclang_rt.fuzzer-{platform.machine()}.a"],
                             capture_output=True, text=True).stdout.strip()
    if not os.path.isabs(runtime) or not os.path.exists(runtime):
        raise ToolMissing(f"{CLANG} has no libFuzzer runtime: {INSTALL_HINT}")


def reference_tree(parser, tree, solutions):
    """Makes tree labs/<lab>/ with the answer files of <solutions>/<lab>/ over it."""
    shutil.rmtree(tree, ignore_errors=True)
    no_outputs = shutil.ignore_patterns("bin", "build", "*.o", "*.a")
    shutil.copytree(os.path.join(KIT, "labs", parser.lab), tree, ignore=no_outputs)
    shutil.copytree(os.path.join(solutions, parser.lab), tree, ignore=no_outputs,
                    dirs_exist_ok=True)


def build(parser, build_dir, solutions=REFERENCE, coverage=False):
    """Compiles the harness with the reference's parser; returns (binary, warnings).

    coverage=True builds without sanitizers, for llvm-cov. Raises RuntimeError
    with the compiler's words when it fails."""
    tree = os.path.join(build_dir, "tree")
    reference_tree(parser, tree, solutions)
    binary = os.path.join(build_dir, f"fuzz_{parser.name}" + ("-cov" if coverage else ""))
    flags = (["-fsanitize=fuzzer", "-fprofile-instr-generate", "-fcoverage-mapping"]
             if coverage else SANITIZERS)
    argv = ([CLANG, "-std=c17", parser.define, "-g", "-O1"] + WARNINGS + flags
            + ["-I", tree, "-o", binary, parser.harness]
            + [os.path.join(tree, s) for s in parser.sources])
    done = subprocess.run(argv, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)}\n{done.stderr}")
    return binary, done.stderr


def replay(binary, inputs, log):
    """Runs binary once on each input file; returns its status. It runs next to its
    log: the crash-* file libFuzzer writes for a finding lands there, not in the
    caller's folder."""
    with open(log, "w") as out:
        done = subprocess.run([binary, "-timeout=10"] + inputs, stdout=out,
                              stderr=subprocess.STDOUT, cwd=os.path.dirname(log),
                              env=dict(os.environ, **SANITIZER_ENV))
    return done.returncode


def fuzz(parser, binary, seconds, work_corpus, crashes, log):
    """Runs libFuzzer for seconds from the seeds; returns its exit status."""
    os.makedirs(work_corpus, exist_ok=True)
    os.makedirs(crashes, exist_ok=True)
    argv = [binary, f"-max_total_time={seconds}", f"-max_len={parser.max_len}",
            "-timeout=10", "-rss_limit_mb=2048", "-print_final_stats=1",
            f"-artifact_prefix={crashes}{os.sep}"]
    if parser.dictionary:
        argv.append(f"-dict={parser.dictionary}")
    argv += [work_corpus, parser.seeds]
    with open(log, "w") as out:
        done = subprocess.run(argv, stdout=out, stderr=subprocess.STDOUT,
                              env=dict(os.environ, **SANITIZER_ENV))
    return done.returncode


def stats(log):
    """{executions, cov, ft, corpus, exec_per_s} from a libFuzzer log (absent: not shown)."""
    with open(log, errors="replace") as f:
        text = f.read()
    found = {}
    lines = re.findall(r"^#(\d+)\s+\w+\s+cov: (\d+) ft: (\d+) corp: (\d+)/", text, re.M)
    if lines:
        found["cov"], found["ft"], found["corpus"] = lines[-1][1:]
        found["executions"] = lines[-1][0]
    for key, stat in [("executions", "number_of_executed_units"),
                      ("exec_per_s", "average_exec_per_sec")]:
        m = re.search(rf"^stat::{stat}:\s*(\d+)", text, re.M)
        if m:
            found[key] = m.group(1)
    return found


def source_coverage(parser, build_dir, corpora, solutions=REFERENCE):
    """Line and branch coverage of the parser's .c by the corpora, from llvm-cov; None
    when llvm-cov or llvm-profdata is missing."""
    cov, profdata = shutil.which("llvm-cov"), shutil.which("llvm-profdata")
    if not cov or not profdata:
        return None
    binary, _ = build(parser, build_dir, solutions, coverage=True)
    raw, merged = os.path.join(build_dir, "cov.profraw"), os.path.join(build_dir, "cov.profdata")
    subprocess.run([binary, "-runs=0"] + corpora, capture_output=True,
                   env=dict(os.environ, LLVM_PROFILE_FILE=raw))
    subprocess.run([profdata, "merge", "-sparse", raw, "-o", merged], check=True,
                   capture_output=True)
    sources = [os.path.join(build_dir, "tree", s) for s in parser.sources]
    report = subprocess.run([cov, "report", binary, f"-instr-profile={merged}"] + sources,
                            capture_output=True, text=True, check=True).stdout
    # TOTAL  regions missed cover  functions missed executed  lines missed cover
    #        branches missed cover
    total = report.strip().splitlines()[-1].split()
    lines, lines_missed, branches, branches_missed = map(int, (total[7], total[8],
                                                              total[10], total[11]))
    return (f"lines {lines - lines_missed}/{lines}, "
            f"branches {branches - branches_missed}/{branches}")


def save_finding(parser, crashes, log, solutions=REFERENCE):
    """Writes crash-XXX.txt beside each new input libFuzzer saved; returns their paths."""
    with open(log, errors="replace") as f:
        text = f.read()
    saved = re.findall(r"Test unit written to (\S+)", text)
    report = [line for line in text.splitlines()
              if "broken rule" in line or "ERROR:" in line or "SUMMARY:" in line
              or "runtime error" in line]
    for path in saved:
        rel = os.path.relpath(path, KIT)
        with open(path + ".txt", "w") as note:
            note.write(f"{parser.name} (lab {parser.lab[:2]}): {rel}\n\n")
            note.write("\n".join(report[:10]) + "\n\n")
            tree = "" if solutions == REFERENCE else f" --solutions {solutions}"
            note.write(f"fuzzing {parser.lab} of {solutions}\n")
            note.write(f"replay:\n  /usr/bin/python3 grader/fuzz/run.py{tree} --replay {rel}\n")
    return saved


def build_dir_of(parser, solutions):
    """build/<parser>/ for the reference, build/<parser>-other/ for another tree."""
    return os.path.join(HERE, "build", parser.name + ("" if solutions == REFERENCE
                                                      else "-other"))


def fuzz_one(parser, seconds, solutions=REFERENCE):
    """Builds and fuzzes one parser, prints its line; returns True when nothing was found."""
    build_dir = build_dir_of(parser, solutions)
    # The reference's findings are the kit's; another tree's stay in its build.
    crashes = (os.path.join(HERE, "crashes", parser.name) if solutions == REFERENCE
               else os.path.join(build_dir, "crashes"))
    log = os.path.join(build_dir, "fuzz.log")
    binary, warnings = build(parser, build_dir, solutions)
    if warnings:
        print(warnings, file=sys.stderr)
    print(f"{parser.name} (lab {parser.lab}, {', '.join(parser.sources)}): fuzzing for "
          f"{seconds} s; log in {os.path.relpath(log, KIT)}", flush=True)
    status = fuzz(parser, binary, seconds, os.path.join(build_dir, "corpus"), crashes, log)
    s = stats(log)
    print(f"  {s.get('executions', '?')} executions ({s.get('exec_per_s', '?')}/s), "
          f"cov: {s.get('cov', '?')} ft: {s.get('ft', '?')}, corpus {s.get('corpus', '?')} "
          f"inputs")
    found = save_finding(parser, crashes, log, solutions)
    if status == 0 and not found:
        coverage = source_coverage(parser, os.path.join(build_dir, "cov"),
                                   [os.path.join(build_dir, "corpus"), parser.seeds],
                                   solutions)
        if coverage:
            print(f"  {', '.join(parser.sources)} covered by the corpus: {coverage}")
        print("  nothing found")
        return True
    for path in found:
        with open(path + ".txt") as note:
            print("  FOUND: " + note.read().replace("\n", "\n  "))
    if not found:
        print(f"  libFuzzer stopped with status {status}: see the log")
    return False


def saved_inputs(parser):
    """The seeds of parser and the crashes saved for it, as sorted file paths."""
    crashes = os.path.join(HERE, "crashes", parser.name)
    found = [os.path.join(parser.seeds, f) for f in os.listdir(parser.seeds)]
    if os.path.isdir(crashes):
        found += [os.path.join(crashes, f) for f in os.listdir(crashes)
                  if not f.endswith(".txt")]
    return sorted(found)


def check_one(parser):
    """Builds one harness and replays its seeds and saved crashes; returns (ok, what to
    say)."""
    inputs = saved_inputs(parser)
    with tempfile.TemporaryDirectory() as tmp:
        binary, warnings = build(parser, tmp)
        log = os.path.join(tmp, "replay.log")
        status = replay(binary, inputs, log)
        with open(log, errors="replace") as f:
            tail = f.read()[-3000:]
    if warnings:
        return False, f"{parser.name}: the harness builds with warnings:\n{warnings}"
    if status != 0:
        return False, f"{parser.name}: a saved input breaks a rule (status {status}):\n{tail}"
    return True, f"{parser.name}: {len(inputs)} saved inputs replayed, nothing found"


def parser_of(path):
    """The parser a saved input belongs to: crashes/<parser>/... or corpus/<parser>/..."""
    parts = os.path.abspath(path).split(os.sep)
    for p in PARSERS:
        if p.name in parts or p.name + "-other" in parts:
            return p
    raise SystemExit(f"run.py: {path}: not under crashes/<parser>/ or corpus/<parser>/; "
                     f"parsers: {', '.join(p.name for p in PARSERS)}")


def replay_files(paths, solutions=REFERENCE):
    """Runs each saved input through its harness, showing the harness's output."""
    worst = 0
    for path in paths:
        parser = parser_of(path)
        build_dir = build_dir_of(parser, solutions)
        binary, _ = build(parser, build_dir, solutions)
        print(f"$ {os.path.relpath(binary, KIT)} {path}", flush=True)
        status = subprocess.run([binary, "-timeout=10", os.path.abspath(path)],
                                cwd=build_dir,  # where libFuzzer may write crash-*
                                env=dict(os.environ, **SANITIZER_ENV)).returncode
        worst = max(worst, 1 if status else 0)
    return worst


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seconds", type=int, default=60, help="fuzzing time per parser")
    ap.add_argument("--lab", action="append", default=[], help="only this lab (03, 04, 05)")
    ap.add_argument("--check", action="store_true", help="replay the seeds, do not fuzz")
    ap.add_argument("--replay", nargs="+", metavar="FILE", help="run saved inputs again")
    ap.add_argument("--solutions", default=REFERENCE, metavar="DIR",
                    help="the parsers of DIR/NN-name/ instead of the reference's "
                         "(a submission laid out like labs/)")
    args = ap.parse_args()
    args.solutions = os.path.abspath(args.solutions)
    try:
        check_compiler()
    except ToolMissing as e:
        print(f"run.py: {e}", file=sys.stderr)
        return 2
    if args.replay:
        return replay_files(args.replay, args.solutions)
    chosen = [p for p in PARSERS if not args.lab or p.lab[:2] in args.lab]
    if not chosen:
        ap.error(f"no parser in lab {', '.join(args.lab)}")
    missing = [p.lab for p in chosen if not os.path.isdir(os.path.join(args.solutions, p.lab))]
    if missing:
        print(f"run.py: {args.solutions} has no {', '.join(missing)}: fuzz another tree with "
              f"--solutions DIR (DIR/NN-name/, laid out like labs/)", file=sys.stderr)
        return 2
    ok = True
    for parser in chosen:
        if args.check:
            good, said = check_one(parser)
            print(said)
        else:
            good = fuzz_one(parser, args.seconds, args.solutions)
        ok = ok and good
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
