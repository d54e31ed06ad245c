"""What a student's process may do: limits, an unprivileged user, private /tmp.

When the grader runs as root (as in CI), every student process (its build,
its unit tests, its programs) runs:
  - as an unprivileged uid of its own (see student_uid), so RLIMIT_NPROC
    holds and it cannot write where root's files are: it writes only in its
    own scratch folder;
  - in a mount namespace of its own with fresh /tmp, /var/tmp and /dev/shm,
    which vanish with it: no temporary file survives the test;
  - under resource limits (CPU time, memory, processes, file size, no core).
The wrapper (unshare, sh, setpriv) execs in place: the pid the grader holds
is the program's own. Without root, only the limits apply.
The network namespace is set once for the whole test run by grade.py.
"""

import os
import random
import resource
import shutil
import subprocess

NOBODY = 65534  # the fallback uid when no grading run chose one
UID_ENV = "SOCKETLAB_UID"  # set by grade.py: a uid of its own for each grading run
MiB = 1024 * 1024

# (soft, hard) limits; None keeps the grader's own.
PROGRAM_LIMITS = {
    resource.RLIMIT_CPU: (20, 25),            # seconds of CPU, not of waiting
    resource.RLIMIT_AS: (2048 * MiB, 2048 * MiB),
    resource.RLIMIT_NPROC: (64, 64),           # per user: holds only as nobody
    resource.RLIMIT_FSIZE: (64 * MiB, 64 * MiB),
    resource.RLIMIT_CORE: (0, 0),
}
# Valgrind reserves far more address space than the program uses.
VALGRIND_LIMITS = {**PROGRAM_LIMITS, resource.RLIMIT_AS: None,
                   resource.RLIMIT_CPU: (120, 130)}
BUILD_LIMITS = {**PROGRAM_LIMITS, resource.RLIMIT_AS: None,
                resource.RLIMIT_CPU: (300, 310)}

_ENTER = ('for d in /tmp /var/tmp /dev/shm; do '
          'mount -t tmpfs -o size=64m,mode=1777 tmpfs "$d" || exit 125; done; '
          'exec setpriv --reuid="$0" --regid="$0" --clear-groups --no-new-privs '
          '--pdeathsig SIGKILL -- "$@"')  # a uid change clears PDEATHSIG: set it again


def student_uid():
    """The uid the student's processes run as in this process's tests.

    Each grading run gets its own base (grade.py), and each pytest-xdist
    worker adds its number: RLIMIT_NPROC counts processes per uid, so a fork
    bomb in one test cannot starve another test of processes.
    """
    base = int(os.environ.get(UID_ENV, NOBODY))
    if base == NOBODY:
        return NOBODY
    worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0")
    return base + 1 + int(worker[2:] or 0)


def pick_uid_base():
    """A base uid for one grading run, unlikely to be any other run's or user's."""
    return 200000 + 16 * random.randrange(100000)


def real_root():
    """True when this process is root of the machine, not the mapped root of a
    user namespace (grade.py's network namespace, for a user who is not root):
    only the real one can run processes as other users."""
    if os.geteuid() != 0:
        return False
    try:
        with open("/proc/self/uid_map") as f:
            return f.read().split() == ["0", "0", "4294967295"]
    except OSError:
        return False


def enabled():
    """True when student processes run as nobody in their own mount namespace."""
    if os.environ.get("SOCKETLAB_SANDBOX", "1") == "0":
        return False
    return os.geteuid() == 0 and all(shutil.which(t) for t in ("unshare", "setpriv"))


def wrap(argv):
    """argv as it must be started: inside the sandbox when it is enabled."""
    if not enabled():
        return list(argv)
    return ["unshare", "--mount", "--propagation", "private", "--",
            "sh", "-c", _ENTER, str(student_uid()), *argv]


def apply_limits(limits):
    """Sets the limits in the calling process (run between fork and exec)."""
    for what, value in limits.items():
        if value is not None:
            resource.setrlimit(what, value)


def give_to_student(path, root=None):
    """Makes path (a folder) the student's: owned by their uid, reachable from root.

    Every folder from root down to path is made traversable (o+x), so that
    nobody can reach it; nothing else of the grader's becomes writable.
    """
    if not enabled():
        return
    uid = student_uid()
    for dirpath, dirnames, filenames in os.walk(path):
        os.chown(dirpath, uid, uid)
        for name in filenames:
            os.lchown(os.path.join(dirpath, name), uid, uid)
    here = os.path.abspath(path)
    stop = os.path.abspath(root) if root else "/"
    while True:
        mode = os.stat(here).st_mode
        os.chmod(here, mode | 0o011)
        if here == stop or here == "/":
            break
        here = os.path.dirname(here)


def give_file_to_student(path):
    """Makes one file (a socket file the grader made) the student's uid's."""
    if enabled():
        os.lchown(path, student_uid(), student_uid())


def kill_run(base):
    """Kills every process left with a uid of the grading run based at base.

    The last sweep of a grading run: whatever escaped the per-test sweeps
    (a daemon re-parented past the grader) still runs as one of these uids.
    Returns the number of processes killed.
    """
    import psutil
    found = []
    for proc in psutil.process_iter(["uids"]):
        uids = proc.info["uids"]
        if uids and base < uids.real < base + 16:
            found.append(proc)
    for proc in found:
        try:
            proc.kill()
        except psutil.NoSuchProcess:
            pass
    psutil.wait_procs(found, timeout=3)
    # kill(-1) as each uid reaches even a chain that forks faster than we list it.
    for uid in {p.info["uids"].real for p in found}:
        subprocess.run(["setpriv", f"--reuid={uid}", f"--regid={uid}", "--clear-groups",
                        "kill", "-KILL", "-1"], capture_output=True)
    return len(found)
