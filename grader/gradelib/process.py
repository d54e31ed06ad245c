"""Starting, watching and stopping the student's programs.

Every program runs in a session of its own, with its output in files (never a
pipe that could fill up), and dies if the grader dies (PR_SET_PDEATHSIG).
Stopping a program kills its whole process group and every descendant that
psutil can still find, so nothing a test started survives the test.
"""

import ctypes
import os
import re
import shutil
import signal
import subprocess
import time

import psutil

from . import sandbox
from .failure import Failure

_PR_SET_PDEATHSIG = 1
_PR_SET_CHILD_SUBREAPER = 36
_libc = ctypes.CDLL(None, use_errno=True)

READY_MARK = b"listening on "


def die_with_parent():
    """Runs in the child between fork and exec: SIGKILL when the parent dies."""
    _libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)


def _child_setup(limits):
    """What runs in the child between fork and exec: die with us, take the limits."""
    def setup():
        die_with_parent()
        sandbox.apply_limits(limits)
    return setup


SIGNAL_MEANINGS = {
    "SIGSEGV": "a segmentation fault: it read or wrote memory it does not own",
    "SIGBUS": "a bus error: a bad memory access",
    "SIGABRT": "abort(): a failed assert() or a corrupted heap",
    "SIGFPE": "an arithmetic error, such as a division by zero",
    "SIGPIPE": "it wrote to a connection the other side had closed; ignore SIGPIPE",
    "SIGXFSZ": "its output passed the limit of 64 MiB per file",
    "SIGXCPU": "it used up its CPU time: a busy loop?",
    "SIGKILL": ("the grader stopped it: it had not ended by itself when the test was "
                "over or its time bound ran out, or it passed a hard limit (CPU time)"),
}


def describe_status(returncode):
    """'exited with status 1', 'was killed by SIGSEGV (what that means)', or
    'is still running'."""
    if returncode is None:
        return "is still running"
    if returncode < 0:
        try:
            name = signal.Signals(-returncode).name
        except ValueError:
            return f"was killed by signal {-returncode}"
        meaning = SIGNAL_MEANINGS.get(name)
        return f"was killed by {name}" + (f" ({meaning})" if meaning else "")
    return f"exited with status {returncode}"


def kill_tree(pid):
    """SIGKILLs pid's process group and every descendant of pid still alive."""
    try:
        descendants = psutil.Process(pid).children(recursive=True)
    except psutil.NoSuchProcess:
        descendants = []
    try:
        os.killpg(pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    for child in descendants:
        try:
            child.kill()
        except psutil.NoSuchProcess:
            pass


def become_subreaper():
    """Makes orphaned descendants of this process its children (not init's)."""
    _libc.prctl(_PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)


def kill_descendants():
    """Kills and reaps every descendant of this process; returns how many there were."""
    try:
        found = psutil.Process().children(recursive=True)
    except psutil.NoSuchProcess:
        return 0
    for child in found:
        try:
            child.kill()
        except psutil.NoSuchProcess:
            pass
    psutil.wait_procs(found, timeout=3)  # reaps them: no zombie stays behind
    return len(found)


def open_sockets(pid):
    """How many sockets the process holds open (from /proc/PID/fd)."""
    count = 0
    try:
        for fd in os.listdir(f"/proc/{pid}/fd"):
            try:
                if os.readlink(f"/proc/{pid}/fd/{fd}").startswith("socket:"):
                    count += 1
            except FileNotFoundError:
                pass  # closed while we looked
    except FileNotFoundError:
        return 0
    return count


def zombie_children(pid):
    """How many children of the process have ended but were not waited for."""
    try:
        children = psutil.Process(pid).children()
    except psutil.NoSuchProcess:
        return 0
    return sum(1 for c in children if c.status() == psutil.STATUS_ZOMBIE)


def run_bounded(argv, cwd, timeout, output_path, env=None, student=False):
    """Runs argv to its end with stdout and stderr into output_path.

    student=True runs it as the student's code (sandbox, build limits).
    Returns (returncode, timed_out). On time-out the whole tree is killed.
    """
    if student:
        argv = sandbox.wrap(argv)
    setup = _child_setup(sandbox.BUILD_LIMITS) if student else die_with_parent
    with open(output_path, "wb") as out:
        proc = subprocess.Popen(argv, cwd=cwd, stdin=subprocess.DEVNULL,
                                stdout=out, stderr=subprocess.STDOUT, env=env,
                                start_new_session=True, preexec_fn=setup)
        try:
            proc.wait(timeout=timeout)
            timed_out = False
        except subprocess.TimeoutExpired:
            timed_out = True
        kill_tree(proc.pid)
        proc.wait()
    return proc.returncode, timed_out


def read_head(path, limit=4000):
    """The first limit bytes of a file as text, with a note if it was cut."""
    try:
        with open(path, "rb") as f:
            data = f.read(limit + 1)
    except FileNotFoundError:
        return ""
    text = data[:limit].decode("utf-8", "ignore")  # the cut may split a character
    if len(data) > limit:
        text += "\n[... output cut here ...]"
    return text


class Program:
    """One running student program, with its stdout and stderr in files."""

    def __init__(self, argv, workdir, name=None, stdin=None, env=None):
        """argv[0] is the program's path. stdin: bytes to feed, 'pipe', or None.

        env: variables to add to the grader's environment.
        """
        self.argv = [str(a) for a in argv]
        self.env = env
        self.name = name or os.path.basename(self.argv[0])
        self.workdir = workdir
        self.stdin_mode = stdin
        self.proc = None
        self.address = None
        tag = f"{self.name}.{id(self):x}"
        self.stdout_path = os.path.join(workdir, tag + ".out")
        self.stderr_path = os.path.join(workdir, tag + ".err")

    # -- starting -----------------------------------------------------------
    def start(self):
        if shutil.which(self.argv[0]) is None:
            raise Failure(f"{self.name} was not built: there is no "
                          f"bin/{self.name} after `make`. "
                          "See the build report of this lab.")
        stdin = subprocess.DEVNULL
        if isinstance(self.stdin_mode, (bytes, bytearray)):
            stdin_path = self.stdout_path[:-4] + ".in"
            with open(stdin_path, "wb") as f:
                f.write(self.stdin_mode)
            stdin = open(stdin_path, "rb")
        elif self.stdin_mode == "pipe":
            stdin = subprocess.PIPE
        limits = (sandbox.VALGRIND_LIMITS if os.path.basename(self.argv[0]) == "valgrind"
                  else sandbox.PROGRAM_LIMITS)
        env = {**os.environ, **self.env} if self.env else None
        with open(self.stdout_path, "wb") as out, \
                open(self.stderr_path, "wb") as err:
            self.proc = subprocess.Popen(sandbox.wrap(self.argv), cwd=self.workdir,
                                         stdin=stdin, stdout=out, stderr=err, env=env,
                                         start_new_session=True,
                                         preexec_fn=_child_setup(limits))
        if stdin not in (subprocess.DEVNULL, subprocess.PIPE):
            stdin.close()
        return self

    @property
    def pid(self):
        return self.proc.pid

    def wait_ready(self, timeout=5.0):
        """Waits for the `listening on ADDRESS` line on stderr; returns ADDRESS.

        The address is kept in self.address: (host, port) for TCP and UDP, the
        socket's path (a str) for AF_UNIX.
        """
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            line = self._ready_line()
            if line is not None:
                self.address = parse_address(line)
                if self.address is None:
                    raise Failure(f"{self.name} printed a `listening on` line "
                                  f"the grader cannot read: {line!r}. Expected "
                                  "`listening on 127.0.0.1:40123`, "
                                  "`listening on [::1]:40123` or "
                                  "`listening on /path/of/socket`.")
                return self.address
            if self.proc.poll() is not None:
                raise Failure(f"{self.name} {describe_status(self.proc.returncode)} "
                              "before printing `listening on ADDRESS` on stderr.")
            time.sleep(0.02)
        raise Failure(f"{self.name} did not print `listening on ADDRESS` on stderr "
                      f"within {timeout:.0f} s of starting, and is still running "
                      "(print the line, with the address read back with "
                      "getsockname(2), once the socket is ready).")

    @property
    def shown_address(self):
        """The address as the ready line writes it: 127.0.0.1:40123, [::1]:40123, /path."""
        return format_address(self.address)

    def _ready_line(self):
        with open(self.stderr_path, "rb") as f:
            for raw in f:
                if READY_MARK in raw and raw.endswith(b"\n"):
                    return raw.decode("utf-8", "replace").strip()
        return None

    # -- watching -----------------------------------------------------------
    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def returncode(self):
        return None if self.proc is None else self.proc.poll()

    def status(self):
        return describe_status(self.returncode())

    def stdout(self):
        with open(self.stdout_path, "rb") as f:
            return f.read()

    def stderr(self):
        with open(self.stderr_path, "rb") as f:
            return f.read()

    def stderr_tail(self, lines=8, head=3):
        """The last lines of stderr, after its first ones when it is long; the
        elision is said. Reads at most 16 KiB from each end of the file."""
        size = os.path.getsize(self.stderr_path)
        with open(self.stderr_path, "rb") as f:
            first = f.read(16384)
            f.seek(max(size - 16384, 0))
            last = f.read()
        if size <= 16384:
            text = first.decode("utf-8", "replace").rstrip("\n").split("\n")
            if not text or text == [""]:
                return []
            if len(text) <= head + lines + 1:
                return text
            first_lines, last_lines = text[:head], text[-lines:]
            elided = f"[... {len(text) - head - lines} lines not shown ...]"
        else:
            first_lines = first.decode("utf-8", "replace").split("\n")[:head]
            last_lines = last.decode("utf-8", "replace").rstrip("\n").split("\n")[-lines:]
            elided = f"[... about {size - 16384} bytes not shown ...]"
        return [_cut(t) for t in first_lines] + [elided] + [_cut(t) for t in last_lines]

    def is_blocked(self):
        """True when the process sleeps in a system call (accept, recv, poll)."""
        try:
            with open(f"/proc/{self.pid}/stat") as f:
                state = f.read().rsplit(")", 1)[1].split()[0]
        except (FileNotFoundError, ProcessLookupError, IndexError):
            return False
        return state == "S"

    def wait_blocked(self, timeout=2.0):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and self.alive():
            if self.is_blocked():
                return True
            time.sleep(0.01)
        return False

    def wait(self, timeout):
        """Waits for the program to end; returns its returncode or None."""
        try:
            return self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            return None

    # -- stopping -----------------------------------------------------------
    def terminate(self, grace=2.0, settled=1.5):
        """SIGTERM once blocked, again, then SIGKILL; returns the returncode.

        After each SIGTERM the program has grace seconds to end, but a program
        that is back asleep in a system call for settled seconds has ignored
        the signal and is not waited for longer. A server that checks its flag
        just before blocking can miss one signal; the second one catches it
        (see TOOLING-NOTES).
        """
        if self.proc is None:
            return None
        for _ in range(2):
            if not self.alive():
                break
            self.wait_blocked(1.0)
            self._signal(signal.SIGTERM)
            if self._wait_unless_asleep(grace, settled) is not None:
                break
        self.kill()
        return self.proc.returncode

    def _wait_unless_asleep(self, grace, settled):
        """Waits up to grace for the end; gives up once the program has slept
        (state S) for settled seconds in a row. Returns the returncode or None."""
        deadline = time.monotonic() + grace
        asleep_since = None
        while time.monotonic() < deadline:
            code = self.wait(0.02)
            if code is not None:
                return code
            now = time.monotonic()
            if not self.is_blocked():
                asleep_since = None
            elif asleep_since is None:
                asleep_since = now
            elif now - asleep_since >= settled:
                return None
        return self.wait(0)

    def cpu_seconds(self):
        """CPU time the program has used (user and system), 0 once it has ended."""
        try:
            times = psutil.Process(self.pid).cpu_times()
        except psutil.NoSuchProcess:
            return 0.0
        return times.user + times.system

    def spins(self, window=1.5, busy=0.5):
        """True when the program never sleeps in a system call during window
        seconds and uses at least busy seconds of CPU meanwhile: a busy loop
        where a server should wait in accept(2) or poll(2)."""
        start = self.cpu_seconds()
        if self.wait_blocked(window) or not self.alive():
            return False
        return self.cpu_seconds() - start >= busy

    def pause(self, story=None):
        """SIGSTOPs the program, as a busy machine may leave it unscheduled for a
        while; returns resume(), which sends SIGCONT. What arrives meanwhile
        waits in its kernel buffers, so the order in which the program then
        finds things no longer depends on timing."""
        os.killpg(self.pid, signal.SIGSTOP)
        if story is not None:
            story.step(f"pause {self.name} (SIGSTOP): what comes now waits in its buffers")

        def resume():
            os.killpg(self.pid, signal.SIGCONT)
            if story is not None:
                story.step(f"let {self.name} run again (SIGCONT)")
        return resume

    def _signal(self, sig):
        try:
            os.kill(self.pid, sig)
        except ProcessLookupError:
            pass

    def kill(self):
        """Kills the program and everything it started; reaps it."""
        if self.proc is None:
            return
        kill_tree(self.pid)
        self.proc.wait()
        if self.proc.stdin:
            self.proc.stdin.close()


def _cut(line, limit=200):
    return line if len(line) <= limit else line[:limit] + f" [... {len(line) - limit} more characters]"


_ADDRESS = re.compile(r"listening on (\[[0-9a-fA-F:.%\w]+\]|[0-9.]+|\S+?):(\d+)\s*$")
_PATH = re.compile(r"listening on (/.*?)\s*$")


def parse_address(line):
    """('127.0.0.1', 40123) from 'prog: listening on 127.0.0.1:40123', ('::1', 9)
    from '... [::1]:9', and the path '/tmp/x.sock' from 'listening on /tmp/x.sock'."""
    m = _PATH.search(line)
    if m:
        return m.group(1)
    m = _ADDRESS.search(line)
    if not m:
        return None
    host = m.group(1).strip("[]")
    return host, int(m.group(2))


def format_address(address):
    """'127.0.0.1:40123', '[::1]:40123', or a path as it is."""
    if isinstance(address, str):
        return address
    host, port = address
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
