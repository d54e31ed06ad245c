"""Fixtures of lab 05: a unix-server on a path, and test clients whose
credentials the grader knows.

Who is who. When the grader runs as root, the student's programs run as an
unprivileged uid of the grading run (gradelib.sandbox.student_uid()), in a
mount namespace of their own but in the grader's user and PID namespaces, so
uids and pids mean the same on both sides. Then:
  - the grader's own connections (Conversation.connect) come from root, which
    ignores a socket file's mode: they prove nothing about permissions;
  - `peer_client(...)` runs a small Python client in a child process, as the
    student's uid with a group of its own (gid differs from uid, so swapped
    fields show), or as a third unprivileged uid that must be refused.
Without root, every process runs as the grader's user: the clients cannot
switch, the permission tests check the mode with stat(2) only, and each test
says in its story which way it ran.
"""

import json
import os
import socket
import subprocess

import pytest

from gradelib import sandbox
from gradelib.conversation import DEFAULT_WAIT, Conversation, FakeServer

SOCKET_NAME = "s.sock"  # short: the whole path must fit in 107 bytes

# The test client run in a child process: connects to argv[1], sends each
# line of argv[2:], reads one reply line for each, and prints one JSON object:
# its own pid, uid and gid, and the replies, or the errno name of a failed
# connect. It ends within its own time bound.
_PEER = r"""
import errno, json, os, socket, sys
out = {"pid": os.getpid(), "uid": os.getuid(), "gid": os.getgid(), "replies": []}
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.settimeout(float(sys.argv[2]))
try:
    s.connect(sys.argv[1])
except OSError as e:
    out["error"] = errno.errorcode.get(e.errno, str(e))
    print(json.dumps(out)); sys.exit(0)
f = s.makefile("rb")
for line in sys.argv[3:]:
    s.sendall(line.encode("latin-1") + b"\n")
    try:
        out["replies"].append(f.readline().decode("latin-1"))
    except OSError as e:
        out["replies"].append("<" + (e.strerror or str(e)) + ">")
print(json.dumps(out))
"""

# A gid that no real group of the machine uses, for the test client that runs
# as the student's uid: uid != gid, so a server that swaps the two is seen.
_CLIENT_GID_OFFSET = 7


def is_root():
    """True when the grader can run clients as other users (it runs as root)."""
    return sandbox.real_root()


def client_identity():
    """(uid, gid, how): what the credential tests' client runs as (None, None:
    as the grader itself), and a sentence for the story."""
    if is_root():
        uid = sandbox.student_uid() if sandbox.enabled() else os.getuid()
        gid = uid + _CLIENT_GID_OFFSET
        return uid, gid, (f"as root: the test client runs as uid {uid} (the server's "
                          f"user) with gid {gid}")
    return None, None, ("without root: the test client runs as the grader's own "
                        "user, the same as the server's")


def stranger_uid():
    """A third unprivileged uid: neither the server's nor root."""
    student = sandbox.student_uid() if sandbox.enabled() else 0
    return sandbox.NOBODY if student != sandbox.NOBODY else sandbox.NOBODY - 1


def peer_client(path, lines, uid=None, gid=None, timeout=DEFAULT_WAIT):
    """Runs the test client as uid/gid (None: the grader's own) against the
    AF_UNIX socket at path; returns its JSON answer (pid, uid, gid, replies,
    and error if connect failed). Raises RuntimeError if the client itself
    breaks (a grader error, not the student's)."""
    argv = ["/usr/bin/python3", "-c", _PEER, str(path), str(timeout), *lines]
    extra = {}
    if uid is not None:
        extra = {"user": uid, "group": gid if gid is not None else uid, "extra_groups": []}
    proc = subprocess.run(argv, capture_output=True, text=True, cwd="/",
                          timeout=timeout * 3 + 5,
                          **extra)
    if proc.returncode != 0:
        raise RuntimeError(f"the grader's test client failed: {proc.stderr}")
    return json.loads(proc.stdout)


def give_to_student(path):
    """Makes the file at path the student's (their uid), so their server may
    remove or connect to it as if it had made it."""
    sandbox.give_file_to_student(path)


def make_stale_socket(path):
    """Leaves at path the socket file of a server that has gone: bound, never
    listened on, closed. A connect to it is refused."""
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.bind(str(path))
    s.close()
    os.chmod(path, 0o600)
    give_to_student(path)


@pytest.fixture
def peer():
    """peer(path, lines, uid=None, gid=None) -> the test client's answer (see peer_client)."""
    return peer_client


@pytest.fixture
def identity():
    """(uid, gid, how) for the credential tests' client (see client_identity)."""
    return client_identity()


@pytest.fixture
def stranger():
    """A third unprivileged uid, or None without root (no client can switch to it)."""
    return stranger_uid() if is_root() else None


@pytest.fixture
def stale_socket():
    """stale_socket(path): leaves a stale socket file at path (make_stale_socket)."""
    return make_stale_socket


@pytest.fixture
def students_file():
    """students_file(path): makes the file at path the student's (give_to_student)."""
    return give_to_student


@pytest.fixture
def sock_path(workdir):
    """Where the server's socket goes: an absolute path in the test's folder."""
    path = os.path.join(str(workdir), SOCKET_NAME)
    assert len(path.encode()) <= 107, f"grader error: {path} is too long for sun_path"
    return path


@pytest.fixture
def server(start, sock_path):
    """bin/unix-server started at sock_path, ready."""
    return start("unix-server", sock_path, ready=True)


@pytest.fixture
def connect(server, story):
    """connect(label) -> a Conversation with the running server (from the grader)."""
    opened = []

    def _connect(label="client"):
        conv = Conversation.connect(server.address, story, label)
        opened.append(conv)
        return conv
    yield _connect
    for conv in opened:
        conv.close()


@pytest.fixture
def unix_fake(story, sock_path):
    """A FakeServer of the grader's at sock_path, for the student's client."""
    with FakeServer(story, path=sock_path) as fake:
        yield fake
