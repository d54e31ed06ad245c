"""Fault injection inside the student's process: short sends, short receives, EINTR.

grader/faults/faults.c is an LD_PRELOAD library that makes send/write on a
socket pass on only a few bytes, recv/read ask for only 1 to 3, and either
fail with EINTR, on a schedule drawn from a seed. Everything it does is
something a kernel may do, so a correct program does not care; a program that
ignores a short count or treats EINTR as an error loses bytes or stops.

    lib = faults.build(out_dir)                # once per grading
    seed = faults.seed_for("echoes_long_lines", faults.code_digest(src, files))
    server = start("echo-server", "0", ready=True,
                   env=faults.env(lib, seed, log=os.path.join(workdir, "faults.log")))
    story.step(faults.describe(seed, faults.ALL, "echo-server"))

The library and the log must be where the student's process can reach them:
outside /tmp, /var/tmp and /dev/shm (the sandbox mounts its own there), and the
log in a folder the student owns (the test's workdir). Do not combine it with
Valgrind (which preloads its own libraries) or an AddressSanitizer build (which
refuses a preload before its runtime unless ASAN_OPTIONS=verify_asan_link_order=0).
"""

import hashlib
import os
import re
import zlib

from . import labs
from .process import read_head, run_bounded

SOURCE = os.path.join(labs.GRADER_DIR, "faults", "faults.c")
LIB_NAME = "libfaults.so"
BUILD_TIMEOUT = 60  # seconds for the compiler
SEED_ENV = "SOCKETLAB_FAULTS_SEED"  # set it to replay a failure with its seed

KINDS = ("short-send", "short-recv", "eintr", "eintr-send", "eintr-recv")
ALL = ("short-send", "short-recv", "eintr")
SHORT = ("short-send", "short-recv")  # for a program that has no signal handler


def build(out_dir):
    """Compiles the library into out_dir (once: kept while newer than its source).

    Returns the path of libfaults.so. Raises RuntimeError (a grader error) if
    it does not compile. Safe when several test processes build at once: each
    compiles to its own file and renames it into place.
    """
    os.makedirs(out_dir, exist_ok=True)
    lib = os.path.join(out_dir, LIB_NAME)
    if os.path.exists(lib) and os.path.getmtime(lib) >= os.path.getmtime(SOURCE):
        return lib
    tmp = f"{lib}.{os.getpid()}.tmp"
    log = os.path.join(out_dir, f"{LIB_NAME}.{os.getpid()}.log")
    argv = ["cc", "-shared", "-fPIC", "-O2", "-Wall", "-Wextra", "-o", tmp, SOURCE, "-ldl"]
    rc, timed_out = run_bounded(argv, cwd=out_dir, timeout=BUILD_TIMEOUT, output_path=log)
    output = read_head(log)
    os.unlink(log)
    if timed_out or rc != 0 or not os.path.exists(tmp):
        why = f"did not finish in {BUILD_TIMEOUT} s" if timed_out else f"failed (status {rc})"
        raise RuntimeError(f"building {SOURCE} {why}:\n{output}")
    os.chmod(tmp, 0o755)  # the student's uid loads it
    os.replace(tmp, lib)
    return lib


def env(lib_path, seed, kinds=ALL, log=None):
    """The environment variables that preload the library with this schedule.

    kinds: names from KINDS. log: a file the program appends one line to per
    fault (`short-send fd=4 asked=100 gave=3 call=send`), or None.
    """
    unknown = [k for k in kinds if k not in KINDS]
    if unknown or not kinds:
        raise ValueError(f"fault kinds must be some of {KINDS}, not {list(kinds)}")
    variables = {
        "LD_PRELOAD": os.path.abspath(lib_path),
        "FAULTS_SEED": str(int(seed)),
        "FAULTS": ",".join(kinds),
    }
    if log is not None:
        variables["FAULTS_LOG"] = os.path.abspath(log)
    return variables


def code_digest(src_dir, files):
    """A digest of the student's answer files (names relative to src_dir; a
    missing file counts as empty): what a seed may depend on besides the test."""
    h = hashlib.sha256()
    for name in sorted(files):
        h.update(name.encode() + b"\0")
        try:
            with open(os.path.join(src_dir, name), "rb") as f:
                h.update(f.read())
        except OSError:
            pass
        h.update(b"\0")
    return h.hexdigest()


def seed_for(name, code=""):
    """The seed of a test: SOCKETLAB_FAULTS_SEED if set (to replay a failure),
    else one derived from the test's name and code (see code_digest).

    Why not a fresh random seed each grading: the contract (section 6) says
    that grading the same code twice gives the same score. A correct program
    passes under every schedule, but a buggy one may pass under some and fail
    under others, and its score would then change from one grading to the next.
    Derived from the code, the seed is the same while the code is, and changes
    with every edit: a bug that one schedule hides meets another schedule at
    the next grading, and a failure can always be replayed with its seed."""
    chosen = os.environ.get(SEED_ENV)
    if chosen:
        return int(chosen, 0)
    return zlib.crc32(f"{name}\0{code}".encode())


SHOWN = re.compile(r"\(libfaults, seed (\d+)")  # how describe() writes the seed


def describe(seed, kinds, program):
    """A story step that names the faults, so that a failure shows the seed and
    how to replay it."""
    return (f"inject into {program}: {', '.join(kinds)} (libfaults, seed {seed}; "
            f"{SEED_ENV}={seed} in front of the command below replays these faults)")


def seed_in(text):
    """The seed a failure text shows (see describe), or None."""
    m = SHOWN.search(text)
    return int(m.group(1)) if m else None


def read_log(path):
    """The faults a log records, as dicts ({'kind': 'short-send', 'fd': 4, 'asked':
    100, 'gave': 3, 'call': 'send'}); [] when the file does not exist."""
    try:
        with open(path) as f:
            lines = f.read().splitlines()
    except FileNotFoundError:
        return []
    faults = []
    for line in lines:
        kind, *fields = line.split()
        entry = {"kind": kind}
        for field in fields:
            key, _, value = field.partition("=")
            entry[key] = value if key == "call" else int(value)
        faults.append(entry)
    return faults
