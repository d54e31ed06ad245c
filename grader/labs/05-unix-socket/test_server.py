"""Behaviour of bin/unix-server (contract sections 0 and 5), driven over its
AF_UNIX socket. Each test names, in its docstring, the mistake it catches.

The bonus tests (WRITEFD, descriptor passing) are at the end, marked bonus.
"""

import array
import os
import signal
import socket
import stat
import time

import pytest

import unix_storm
from gradelib import checks
from gradelib.conversation import Conversation
from gradelib.failure import show
from gradelib.stdio import expect_exit, expect_stderr_has

points = pytest.mark.points
handout = pytest.mark.handout

SILENCE = 0.5  # seconds of nothing that count as "no reply"


def _mode_of(story, path):
    """(is a socket, permission bits, owner uid) of path, as lstat(2) gives them."""
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        story.fail(f"lstat {path}", "the socket file", "no file at that path")
    return stat.S_ISSOCK(st.st_mode), stat.S_IMODE(st.st_mode), st.st_uid


# -- the socket file ----------------------------------------------------------
@points(3)
@handout("Permissions and umask")
def test_listening_line_and_socket_mode_0600(server, sock_path, connect, story):
    """Catches: no `listening on PATH` line, a socket file left with the umask's
    mode (0755), or made 0600 only for the owner's group bits."""
    story.check(server.address == sock_path, "read the `listening on` line",
                f"`listening on {sock_path}`", f"`listening on {server.address}`")
    is_sock, mode, owner = _mode_of(story, sock_path)
    story.check(is_sock and mode == 0o600, f"lstat {sock_path}",
                "a socket file of mode 0600 (srw-------)",
                f"{'a socket' if is_sock else 'not a socket'} of mode {mode:04o}",
                hint="set umask(0177) just before bind(2), restore it just after")
    c = connect()
    c.send(b"ECHO up\n")
    c.expect_line(b"up\n")


@points(3)
@handout("Permissions and umask")
def test_other_users_cannot_connect(server, sock_path, story, peer, stranger):
    """Catches: a socket any local user can connect to (mode 0666/0777 or a
    chmod that never happened), checked from a third user's process."""
    is_sock, mode, owner = _mode_of(story, sock_path)
    story.check(is_sock and mode & 0o077 == 0, f"lstat {sock_path}",
                "no permission for group or others (mode 0600)", f"mode {mode:04o}",
                hint="set umask(0177) just before bind(2), restore it just after")
    if stranger is None:
        story.step("without root the grader cannot run a client as another user: "
                   "only the mode was checked")
        return
    answer = peer(sock_path, ["WHOAMI"], uid=stranger, gid=stranger)
    story.check(answer.get("error") == "EACCES",
                f"connect from a process of uid {stranger} (neither the server's user "
                "nor root; root ignores the mode)", "EACCES (permission denied)",
                f"error {answer['error']}" if "error" in answer else
                f"a connection, and the replies {answer['replies']}")


@points(4)
@handout("A stale socket or a live one")
def test_stale_socket_file_is_replaced(start, sock_path, story, stale_socket):
    """Catches: a server that fails with `Address already in use` on the file a
    crashed server left, instead of testing it with a connect."""
    stale_socket(sock_path)
    story.step(f"leave a stale socket file at {sock_path} (bound, nobody listens)")
    server = start("unix-server", sock_path, ready=True)
    with Conversation.connect(server.address, story) as c:
        c.send(b"ECHO replaced\n")
        c.expect_line(b"replaced\n")


@points(4)
@handout("A stale socket or a live one")
def test_live_server_is_left_alone(server, sock_path, start, story):
    """Catches: a second server that unlinks a live server's file and steals its
    path, or that exits without the message."""
    inode = os.lstat(sock_path).st_ino
    second = start("unix-server", sock_path)
    expect_exit(story, second, 1, hint="connect(2) to the file first: a live "
                "server answers, and its file is not yours to remove")
    expect_stderr_has(story, second, b"already in use")
    story.check(os.lstat(sock_path).st_ino == inode, f"lstat {sock_path}",
                "the first server's socket file, unchanged", "another file")
    with Conversation.connect(server.address, story, "client of the first server") as c:
        c.send(b"ECHO still mine\n")
        c.expect_line(b"still mine\n")


@points(3)
@handout("A stale socket or a live one")
def test_regular_file_is_left_untouched(start, sock_path, story, students_file):
    """Catches: a server that unlinks whatever is at PATH (here a user's file)."""
    content = b"precious data, not a socket\n"
    with open(sock_path, "wb") as f:
        f.write(content)
    students_file(sock_path)
    story.step(f"write a regular file at {sock_path}")
    prog = start("unix-server", sock_path)
    expect_exit(story, prog, 1, hint="lstat(2) the path: only a socket may be replaced")
    expect_stderr_has(story, prog, b"exists and is not a socket")
    with open(sock_path, "rb") as f:
        now = f.read()
    story.check(now == content, f"read {sock_path}", f"the file as it was, {show(content)}",
                show(now))


@points(2)
@handout("The address: struct sockaddr_un")
def test_too_long_path_is_refused(start, workdir, story):
    """Catches: a path cut to fit sun_path (which names another file), or a
    crash on a path longer than sun_path."""
    folder = str(workdir)
    path = folder + "/" + "p" * (108 - len(folder) - 1)  # 108 bytes: one too many
    before = set(os.listdir(folder))
    prog = start("unix-server", path)
    expect_exit(story, prog, 1, hint="a path and its NUL must fit in sun_path (108 bytes)")
    expect_stderr_has(story, prog, b"too long for a socket address")
    made = sorted(n for n in set(os.listdir(folder)) - before if not n.startswith("unix-"))
    story.check(not made, f"list {folder}", "no new file (the path was refused whole)",
                f"new files {made}")


@points(2)
@handout("The address: struct sockaddr_un")
def test_usage_errors_exit_with_2(start, story):
    """Catches: an empty PATH taken as a path (it binds an abstract socket),
    missing or extra operands not refused."""
    checks.usage_errors_exit_with_2(start, story, [
        ("unix-server", ("",)), ("unix-server", ()), ("unix-server", ("a.sock", "b")),
        ("unix-client", ("",)), ("unix-client", ())])


# -- the commands -------------------------------------------------------------
@points(4)
@handout("Who is calling: SO_PEERCRED")
def test_whoami_gives_the_callers_credentials(server, sock_path, story, peer, identity):
    """Catches: the server's own ids or pid, uid and gid swapped, ids read with
    SO_PEERCRED on the listening socket, or a malformed reply."""
    uid, gid, how = identity
    story.step(how)
    answer = peer(sock_path, ["WHOAMI", "WHOAMI"], uid=uid, gid=gid)
    story.check("error" not in answer, "connect the test client",
                "the connection to be accepted", answer.get("error", ""))
    want = f"uid={answer['uid']} gid={answer['gid']} pid={answer['pid']}\n"
    story.check(answer["replies"] == [want, want],
                f"the test client (pid {answer['pid']}) sends WHOAMI twice",
                f"{show(want)} twice", ", ".join(show(r) for r in answer["replies"]),
                hint="getsockopt(SO_PEERCRED) on the accepted socket")


@points(3)
@handout("The contract")
def test_echo_returns_the_text(connect):
    """Catches: the command word echoed too, the CR kept, `ECHO` alone refused."""
    c = connect()
    for request, reply in [(b"ECHO some text\n", b"some text\n"),
                           (b"ECHO  spaced  \n", b" spaced  \n"),
                           (b"ECHO crlf\r\n", b"crlf\n"),
                           (b"ECHO\n", b"\n"), (b"ECHO \n", b"\n")]:
        c.send(request)
        c.expect_line(reply)


@points(3)
@handout("The contract")
def test_quit_says_bye_and_closes(connect, story):
    """Catches: no `bye`, a connection left open after QUIT, or the lines after
    QUIT answered."""
    c = connect()
    c.send(b"QUIT\nECHO after quit\n")
    c.expect_line(b"bye\n")
    c.expect_eof(hint="after `bye` shut the connection down; lines after QUIT are "
                 "read and ignored")


@points(3)
@handout("The contract")
def test_unknown_commands_get_an_error(connect):
    """Catches: commands matched without case, as prefixes, or an empty line
    ignored (no reply: the client then waits forever)."""
    c = connect()
    for request in [b"whoami\n", b"\n", b"ECHOX hi\n", b"QUIT now\n", b"HELLO\n",
                    b"\r\n"]:
        c.send(request)
        c.expect_line(b"ERR unknown command\n")
    c.send(b"ECHO still here\n")
    c.expect_line(b"still here\n")


@points(2)
@handout("One loop, many clients")
def test_line_too_long_gets_an_error_and_close(connect):
    """Catches: a long line cut in pieces and each answered, a connection left
    open, or the server stuck or dead after it."""
    c = connect()
    c.send(b"ECHO " + b"x" * 5000 + b"\n")
    c.expect_line(b"ERR line too long\n")
    c.expect_eof(hint="after the error: shutdown(SHUT_WR), drain, close")
    d = connect("next client")
    d.send(b"ECHO next\n")
    d.expect_line(b"next\n")


@points(2)
@handout("The contract")
def test_longest_line_is_served(connect):
    """Catches: an off-by-one that refuses a line of exactly 4096 bytes."""
    c = connect()
    text = b"y" * (4096 - len(b"ECHO \n"))
    c.send(b"ECHO " + text + b"\n")
    c.expect_line(text + b"\n")


@points(2)
@handout("One loop, many clients")
def test_requests_in_one_write_or_split(connect):
    """Catches: one reply per recv() instead of per line: requests that come
    together get one answer, a request split in pieces gets several."""
    c = connect()
    c.send(b"ECHO one\nECHO two\nECHO three\n")
    for reply in (b"one\n", b"two\n", b"three\n"):
        c.expect_line(reply)
    c.send_pieces([b"EC", b"HO sp", b"lit\n"])
    c.expect_line(b"split\n")
    c.expect_silence(0.2)


@points(3)
@handout("One loop, many clients")
def test_sixteen_clients_at_once(connect, story):
    """Catches: an iterative server (the second client waits for the first to
    leave), or replies sent to the wrong client."""
    clients = [connect(f"client {i}") for i in range(16)]
    for rnd in range(2):
        order = list(range(16)) if rnd == 0 else list(reversed(range(16)))
        for i in order:
            clients[i].send(f"ECHO client {i} round {rnd}\n".encode())
        for i in reversed(order):
            clients[i].expect_line(f"client {i} round {rnd}\n".encode(), hint=(
                "serve every client from one poll(2) loop, each with its own buffer"))


@points(3)
@handout("One loop, many clients")
def test_client_that_does_not_read_stalls_only_itself(connect, story):
    """Catches: a blocking send to a client that does not read (every other
    client then waits forever)."""
    hog = connect("client that never reads")
    hog.sock.setblocking(False)
    line = b"ECHO " + b"h" * 4000 + b"\n"
    sent, deadline = 0, time.monotonic() + 5.0
    while sent < 32 * 1024 * 1024 and time.monotonic() < deadline:
        try:
            sent += hog.sock.send(line)
        except BlockingIOError:
            time.sleep(0.05)
            try:  # full both ways: the server has stopped reading it
                sent += hog.sock.send(line)
            except BlockingIOError:
                break
    story.step(f"client that never reads: send {sent} bytes of ECHO lines, read nothing")
    other = connect("another client")
    other.send(b"ECHO not stuck\n")
    other.expect_line(b"not stuck\n", hint="never block in send(2): keep the reply, "
                      "wait for POLLOUT, and stop reading that client meanwhile")


# -- stopping -----------------------------------------------------------------
def _stop_with(server, sock_path, story, signo):
    name = signal.Signals(signo).name
    server.wait_blocked(1.0)
    os.kill(server.pid, signo)
    story.step(f"send {name} to the server")
    code = server.wait(5.0)
    if code is None:  # a signal that slipped in before the wait: once more
        os.kill(server.pid, signo)
        code = server.wait(3.0)
    story.check(code == 0, "wait for the server to end", "exit status 0",
                server.status(), hint=f"{name} ends the loop; then clean up and return 0")
    story.check(not os.path.lexists(sock_path), f"lstat {sock_path}",
                "no file: the server removed its socket", "the file is still there",
                hint="unlink(2) PATH at exit if it is still your socket")


@points(3)
@handout("The socket file's life")
def test_sigterm_removes_the_socket_and_exits_0(server, sock_path, connect, story):
    """Catches: a socket file left behind (the next start then needs the stale
    test), or an exit status other than 0."""
    c = connect()
    c.send(b"ECHO before\n")
    c.expect_line(b"before\n")
    _stop_with(server, sock_path, story, signal.SIGTERM)


@points(2)
@handout("The socket file's life")
def test_sigint_removes_the_socket_and_exits_0(server, sock_path, story):
    """Catches: SIGINT (Ctrl-C) left to its default action, which kills the
    server before it removes its file."""
    _stop_with(server, sock_path, story, signal.SIGINT)


@points(2)
@handout("The socket file's life")
def test_leaves_a_socket_that_is_not_its_own(server, sock_path, story):
    """Catches: unlinking PATH at exit without checking that it is still the
    server's own socket (it removes the next server's)."""
    os.unlink(sock_path)
    other = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    other.bind(sock_path)
    other.listen(1)
    story.step(f"remove {sock_path} and bind another server's socket there")
    try:
        inode = os.lstat(sock_path).st_ino
        server.wait_blocked(1.0)
        os.kill(server.pid, signal.SIGTERM)
        story.step("send SIGTERM to the server")
        code = server.wait(5.0)
        story.check(code == 0, "wait for the server to end", "exit status 0",
                    server.status())
        still = os.path.lexists(sock_path) and os.lstat(sock_path).st_ino == inode
        story.check(still, f"lstat {sock_path}", "the other server's socket, untouched",
                    "it was removed", hint="compare st_dev and st_ino with those "
                    "saved after bind before you unlink")
    finally:
        other.close()


# -- the bonus: WRITEFD and descriptor passing --------------------------------
def _send_with_fds(conv, story, data, fds, note=""):
    """Sends data in one sendmsg(2) with fds in one SCM_RIGHTS message."""
    ancillary = [(socket.SOL_SOCKET, socket.SCM_RIGHTS, array.array("i", fds))] if fds else []
    conv.sock.sendmsg([data], ancillary)
    story.step(f"{conv.label}: sendmsg {show(data)} with {len(fds)} descriptor"
               f"{'' if len(fds) == 1 else 's'}{note}")


def _read_pipe(story, fd, timeout=3.0):
    """What arrives on the pipe's read end fd within timeout (b'' at its EOF)."""
    import select
    ready, _, _ = select.select([fd], [], [], timeout)
    return os.read(fd, 65536) if ready else None


@points(3, bonus=True)
@handout("Passing descriptors: SCM_RIGHTS")
def test_writefd_writes_into_the_pipe(connect, story):
    """Catches: descriptors read with read/recv (which drop them), the text or
    its LF not written, or no `ok`."""
    r, w = os.pipe()
    try:
        c = connect()
        _send_with_fds(c, story, b"WRITEFD into the pipe\n", [w], " (a pipe's write end)")
        c.expect_line(b"ok\n", hint="recvmsg(2) with a control buffer; find SCM_RIGHTS")
        got = _read_pipe(story, r)
        story.check(got == b"into the pipe\n", "read the pipe",
                    show(b"into the pipe\n"), show(got))
    finally:
        os.close(r)
        os.close(w)


@points(2, bonus=True)
@handout("Passing descriptors: SCM_RIGHTS")
def test_writefd_without_descriptor(connect):
    """Catches: WRITEFD written to a stale or made-up descriptor when none came."""
    c = connect()
    c.send(b"WRITEFD nowhere\n")
    c.expect_line(b"ERR no descriptor\n")


@points(1, bonus=True)
@handout("Passing descriptors: SCM_RIGHTS")
def test_writefd_with_two_descriptors(connect, story):
    """Catches: only the first of several descriptors looked at."""
    r, w = os.pipe()
    try:
        c = connect()
        _send_with_fds(c, story, b"WRITEFD twice\n", [w, w])
        c.expect_line(b"ERR one descriptor only\n")
    finally:
        os.close(r)
        os.close(w)


@points(1, bonus=True)
@handout("Passing descriptors: SCM_RIGHTS")
def test_writefd_to_a_full_pipe_would_block(connect, story):
    """Catches: a blocking write to a descriptor that cannot take bytes (the
    whole server stalls)."""
    r, w = os.pipe()
    try:
        os.set_blocking(w, False)
        try:
            while True:
                os.write(w, b"f" * 65536)
        except BlockingIOError:
            pass
        os.set_blocking(w, True)  # as a careless sender would leave it
        story.step("fill a pipe until it takes no more")
        c = connect()
        _send_with_fds(c, story, b"WRITEFD overflow\n", [w])
        c.expect_line(b"ERR would block\n", hint="poll(2) the descriptor for POLLOUT "
                      "with timeout 0 first")
    finally:
        os.close(r)
        os.close(w)


@points(2, bonus=True)
@handout("Passing descriptors: SCM_RIGHTS")
def test_received_descriptors_are_closed(connect, story):
    """Catches: descriptors kept open after their line (the server's table fills
    up), here one that came with an ECHO."""
    r, w = os.pipe()
    try:
        c = connect()
        _send_with_fds(c, story, b"ECHO with a descriptor\n", [w])
        c.expect_line(b"with a descriptor\n")
        os.close(w)
        w = -1
        story.step("close the grader's copy of the pipe's write end")
        got = _read_pipe(story, r)
        story.check(got == b"", "read the pipe",
                    "end of file: nobody holds the write end any more",
                    "nothing within 3 s: the server still holds it" if got is None
                    else show(got), hint="close every received descriptor once its "
                    "line is handled, whatever the command")
    finally:
        os.close(r)
        if w != -1:
            os.close(w)


@points(2)
@handout("A storm of bad input")
def test_storm_of_bad_input_neither_kills_nor_stalls_the_server(server, storm, start,
                                                                 workdir):
    """Catches: a server that trusts a line's length or bytes somewhere no other
    test looks (a crash on one byte pattern), that dies of SIGPIPE or a reset
    when a client leaves with replies unread, or that waits for one client's
    missing bytes while the others are ready."""
    fresh = iter(range(1, 100))
    s = storm(server, restart=lambda: start(
        "unix-server", os.path.join(str(workdir), f"r{next(fresh)}.sock"), ready=True))
    s.run(unix_storm.storm_shot, _good_client, rounds=30, per_round=5)


def _good_client(server, story):
    """A client that keeps to the protocol (story quiet unless it fails); its
    probe is one ECHO and its reply."""
    good = Conversation.connect(server.address, story, "good client")

    def probe(r):
        good.send(b"ECHO still here %d\n" % r)
        good.expect_line(b"still here %d\n" % r)
    return probe
