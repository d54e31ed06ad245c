"""Behaviour of bin/peer (contract sections 0 and 2), over loopback.

The grader plays the other side of the connection (listening for the peer in
connect mode, connecting to it in listen mode), types into the peer's stdin
and reads its stdout as it grows. Each test names, in its docstring, the
mistake it is there to catch.
"""

import os
import random
import socket
import time

import psutil
import pytest

from gradelib import bulk, checks, faults
from gradelib.bulk import summary
from gradelib.conversation import Conversation, FakeServer, refusing_port
from gradelib.stdio import Screen, Typist, expect_exit, expect_stderr_has, expect_stdout

points = pytest.mark.points
handout = pytest.mark.handout

AT_ONCE = 2.0  # seconds within which "at once" must have happened
ENDED_BY_OTHER_SIDE = b"peer: the other side ended the session"


def the_end_has_reached(peer, story, timeout=AT_ONCE):
    """Waits until the other side's end of stream (its FIN) has reached the peer's
    socket (state CLOSE_WAIT) and the peer has acted on it: it is asleep again, or
    has ended. What the test does next then cannot overtake the end."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and peer.alive():
        try:
            states = {c.status for c in psutil.Process(peer.pid).connections("tcp")}
        except psutil.Error:
            break
        if psutil.CONN_CLOSE_WAIT in states:
            break
        time.sleep(0.01)
    peer.wait_blocked(max(deadline - time.monotonic(), 0.5))
    story.step("wait until the other side's end of stream has reached the peer (its socket is in "
               "CLOSE_WAIT) and the peer has acted on it")


def expect_running(story, peer, why, hint=None):
    story.check(peer.alive(), f"check that the peer still runs ({why})",
                "it to keep running", f"the peer {peer.status()}", hint)


# -- both directions at once ---------------------------------------------------
@points(3)
@handout("poll(2) and its events")
def test_prints_what_arrives_while_the_user_types_nothing(listen_session):
    """Catches: a peer that blocks reading stdin (fgets, read) before it reads the
    socket, or writes received bytes with stdio and no fflush (they stay in the buffer)."""
    s = listen_session
    hint = ("nothing was typed, so a read() of stdin blocks: wait for both stdin and "
            "the socket with poll(2), and write what arrives to stdout at once")
    s.conn.send(b"first line\n")
    s.screen.expect(b"first line\n", timeout=AT_ONCE, hint=hint)
    s.conn.send_pieces([b"second line\n", b"third line\n"])
    s.screen.expect(b"second line\nthird line\n", timeout=AT_ONCE, hint=hint)


@points(3)
@handout("poll(2) and its events")
def test_sends_typed_lines_while_the_other_side_is_silent(connect_session):
    """Catches: a peer that waits for an answer after each line it sends (the echo
    client's rhythm), or reads stdin in big blocks (fread) before sending anything."""
    s = connect_session
    hint = ("the other side answers nothing: send each stdin line as soon as it is "
            "read, without waiting for the socket")
    s.keys.type(b"one\n")
    s.conn.expect_line(b"one\n", timeout=AT_ONCE, hint=hint)
    s.keys.type(b"two\n")
    s.conn.expect_line(b"two\n", timeout=AT_ONCE, hint=hint)
    s.keys.type(b"three\nfour\n")
    s.conn.expect_line(b"three\n", timeout=AT_ONCE, hint=hint)
    s.conn.expect_line(b"four\n", timeout=AT_ONCE, hint=hint)


@points(2)
@handout("Sending and receiving")
def test_prints_received_bytes_without_lf_at_once(connect_session):
    """Catches: holding received bytes until their line is complete (a prompt such as
    `password: ` never shows), instead of printing them as they arrive."""
    s = connect_session
    s.conn.send(b"password: ")
    s.screen.expect(b"password: ", timeout=AT_ONCE,
                    hint="socket bytes go to stdout as soon as they arrive, whole "
                    "line or not (only a line start that may become `exit` waits)")
    s.keys.type(b"hunter2\n")
    s.conn.expect_line(b"hunter2\n")


@points(2)
@handout("Sending and receiving")
def test_passes_any_byte_unchanged_both_ways(listen_session):
    """Catches: string functions on payload (strlen, printf("%s"), fputs) that stop
    at a NUL byte, or text-mode changes to CR and bytes above 127."""
    s = listen_session
    down = b"nul\x00inside, cr\r\n\xff\xfe\x80 high bytes\n"
    s.conn.send(down)
    s.screen.expect(down, hint="write the received bytes with their count, not as a "
                    "C string")
    up = b"typed \x00 nul, cr\r\n\x01\xff\n"
    s.keys.type(up)
    s.conn.expect_bytes(up, hint="send the stdin bytes with their count, not as a "
                        "C string")


# -- the exit line ---------------------------------------------------------------
@points(3)
@handout("The exit line")
def test_typed_exit_sends_exit_then_closes_and_exits_0(start, story, fake):
    """Catches: closing without sending `exit\\n` first, going on reading stdin after
    it, not closing (waiting for the other side), or an exit status other than 0."""
    hint = "typing `exit` sends `exit\\n`, closes the connection and exits with 0"
    peer = start("peer", *fake.address, stdin="pipe")
    conn = fake.accept(client=peer)
    keys = Typist(peer, story)
    keys.type(b"see you\nexit\nnot to be sent\n")
    conn.expect_line(b"see you\n")
    conn.expect_line(b"exit\n", hint=hint)
    conn.expect_eof(hint="after `exit\\n` the peer closes; the lines typed after it "
                    "are not sent")
    expect_exit(story, peer, 0, timeout=3.0, hint=hint)
    conn.close()

    listener = start("peer", "-l", "0", stdin="pipe", ready=True)
    with Conversation.connect(listener.address, story, "other side") as conn:
        conn.send(b"hello listener\n")
        Screen(listener, story).expect(b"hello listener\n")
        Typist(listener, story).type(b"exit\n")
        conn.expect_line(b"exit\n", hint=hint + " (in listen mode too)")
        conn.expect_eof()
        expect_exit(story, listener, 0, timeout=3.0, hint=hint)


@points(2)
@handout("The exit line")
def test_a_line_that_only_starts_with_exit_is_not_exit(connect_session, story):
    """Catches: comparing only the first four bytes (strncmp(line, "exit", 4)), so
    that `exiting now` ends the session."""
    s = connect_session
    s.keys.type(b"exiting now\n")
    s.conn.expect_line(b"exiting now\n")
    s.conn.send(b"exit later\n")
    s.screen.expect(b"exit later\n", hint="only the whole line `exit` ends the session")
    s.keys.type(b"exits\n")
    s.conn.expect_line(b"exits\n")
    expect_running(story, s.peer, "no line was exactly `exit`")
    s.keys.type(b"still here\n")
    s.conn.expect_line(b"still here\n")


@points(3)
@handout("The exit line")
def test_received_exit_ends_the_peer_without_printing_it(connect_session, story):
    """Catches: printing the received `exit` line, going on after it, no message on
    stderr, or exiting with a status other than 0."""
    s = connect_session
    s.conn.send(b"see you\nexit\n")
    s.screen.expect(b"see you\n", hint="the bytes before the `exit` line are printed")
    expect_exit(story, s.peer, 0, timeout=3.0,
                hint="receiving the line `exit` ends the peer with 0, even though its "
                "stdin is still open")
    expect_stdout(story, s.peer, b"see you\n", hint="the `exit` line itself is not printed")
    expect_stderr_has(story, s.peer, ENDED_BY_OTHER_SIDE)


@points(2)
@handout("The exit line")
def test_received_exit_split_across_segments_is_still_exit(listen_session, story):
    """Catches: looking for `exit` in each recv() chunk instead of in each line, so an
    `exit` that arrives in two pieces (or after other bytes) is printed."""
    s = listen_session
    s.conn.send_pieces([b"bye now\nex", b"it\n"], pause=0.2)
    expect_exit(story, s.peer, 0, timeout=3.0,
                hint="`ex` then `it\\n` is the line `exit`: keep the start of a line "
                "that may become `exit` until you know")
    expect_stdout(story, s.peer, b"bye now\n")
    expect_stderr_has(story, s.peer, ENDED_BY_OTHER_SIDE)


# -- ending a session ------------------------------------------------------------
@points(4)
@handout("Half-close")
def test_end_of_stdin_half_closes_and_the_peer_keeps_printing(connect_session, story):
    """Catches: close() instead of shutdown(SHUT_WR) at end of stdin, or exiting at end
    of stdin: what the other side sends after that is lost."""
    s = connect_session
    s.keys.type(b"last words\n")
    s.keys.end()
    s.conn.expect_line(b"last words\n")
    s.conn.expect_eof(hint="at end of stdin the peer shuts down its sending half "
                      "(shutdown(2) with SHUT_WR)")
    expect_running(story, s.peer, "the other side has not closed yet",
                   hint="end of stdin ends only the sending half: keep printing what "
                   "arrives until the other side closes")
    s.conn.send(b"a late reply\n")
    s.screen.expect(b"a late reply\n", hint="the receiving half is still open")
    s.conn.send(b"and another one\n")
    s.screen.expect(b"and another one\n")
    s.conn.close_noted()
    expect_exit(story, s.peer, 0, timeout=3.0,
                hint="once the other side has closed too, the peer exits with 0")


@points(3)
@handout("Ending a session")
def test_other_sides_end_of_stream_is_printed_whole_and_the_peer_goes_on(listen_session,
                                                                        story):
    """Catches: exiting as soon as the other side half-closes (the old rule: what the
    user types next is lost), spinning on recv() returning 0, or losing the start of
    a line held back because it might have become `exit`."""
    s = listen_session
    s.conn.send(b"first\nsecond\nex")
    s.screen.expect(b"first\nsecond\n")  # `ex` may be held back: it may become `exit`
    s.conn.shutdown_write()
    the_end_has_reached(s.peer, story)
    s.screen.expect(b"ex", hint="at the other side's end of stream, print every byte "
                    "received, also the start of a line held back because it might "
                    "have become `exit`")
    expect_running(story, s.peer, "its stdin is still open",
                   hint="the other side's end of stream ends only the receiving "
                   "direction: the peer goes on sending its stdin")
    s.keys.type(b"typed after the other side's end\n")
    s.conn.expect_line(b"typed after the other side's end\n")
    s.keys.end()
    s.conn.expect_eof(hint="at the end of stdin the peer shuts down its sending half")
    expect_exit(story, s.peer, 0, timeout=3.0,
                hint="both directions have ended: the session ends with 0")
    expect_stdout(story, s.peer, b"first\nsecond\nex")


@points(3)
@handout("Ending a session")
def test_keeps_sending_stdin_after_the_other_side_half_closes(connect_session, story):
    """Catches: dropping what is typed after the other side has half-closed (measured:
    of three lines typed after a server's last line, the old rule sent one and exited 0),
    or exiting before the end of stdin."""
    s = connect_session
    s.conn.send(b"the server's only line\n")
    s.conn.shutdown_write()
    s.screen.expect(b"the server's only line\n")
    the_end_has_reached(s.peer, story)
    hint = ("the other side has ended only its sending half: it still reads, so every "
            "typed line goes on being sent until stdin ends")
    for n in (1, 2, 3):
        line = f"typed line {n}\n".encode()
        s.keys.type(line)
        s.conn.expect_line(line, timeout=AT_ONCE, hint=hint)
    expect_running(story, s.peer, "its stdin is still open", hint=hint)
    s.keys.end()
    s.conn.expect_eof()
    expect_exit(story, s.peer, 0, timeout=3.0,
                hint="stdin has ended and the other side's stream too: exit with 0")


SWAP_SIZES = (8 << 20, 6 << 20)  # the measured case: 8 MiB one way, 6 MiB the other
SWAP_FIRST = 1 << 20  # of the 8 MiB, typed before the 6 MiB have arrived
SWAP_BOUND = 20.0  # seconds; the reference needs well under one


def _wait_for_stdout_size(peer, story, size, deadline):
    while time.monotonic() < deadline and peer.alive() \
            and os.path.getsize(peer.stdout_path) < size:
        time.sleep(0.01)
    got = os.path.getsize(peer.stdout_path)
    story.check(got >= size, f"wait until {size} bytes are on the stdout of `peer -l`",
                f"{size} bytes", f"{got} bytes, and the peer {peer.status()}")


@points(4)
@handout("Ending a session")
def test_two_peers_swap_files_whole(start, story):
    """Catches: ending the session at the other side's end of stream (measured: two
    peers swapping an 8 MB and a 6 MB file exited 0, one side having received 6.4 MB
    of the 8.4), or ending it at the end of stdin before everything arrived.

    Two copies of bin/peer, one in each mode. The 6 MiB side reads a file; the
    8 MiB side reads a pipe, whose last 7 MiB the grader writes only once the
    6 MiB side has sent everything and half-closed: the test does not depend on
    which of the two runs faster."""
    rng = random.Random(3)
    big, small = (rng.randbytes(n) for n in SWAP_SIZES)
    deadline = time.monotonic() + SWAP_BOUND
    listener = start("peer", "-l", "0", stdin="pipe", ready=True)
    connector = start("peer", *listener.address, stdin=small)
    story.step(f"(its stdin is a file: {summary(small)})")
    keys = Typist(listener, story)
    keys.type(big[:SWAP_FIRST], timeout=SWAP_BOUND)
    _wait_for_stdout_size(listener, story, len(small), deadline)
    the_end_has_reached(listener, story)
    hint = ("a peer whose stdin is not all sent goes on sending after the other side's "
            "end of stream; it exits once both directions have ended")
    expect_running(story, listener, "its stdin is still open", hint)
    keys.type(big[SWAP_FIRST:], timeout=max(deadline - time.monotonic(), 1.0))
    keys.end()
    for peer in (listener, connector):
        expect_exit(story, peer, 0, timeout=max(deadline - time.monotonic(), 1.0),
                    hint=hint)
    for peer, expected, what in ((listener, small, "`peer -l`"),
                                 (connector, big, "`peer HOST PORT`")):
        out = peer.stdout()
        story.check(out == expected, f"read the stdout of {what}",
                    f"the other's stdin: {summary(expected)}", summary(out, expected),
                    hint)


LEFTOVER = b"".join(f"line {n:03} the other side sent before it left ".encode()
                    + b"." * 50 + b"\n" for n in range(120))  # 12 KB: several recv()s


def _other_side_leaves_with_a_reset(s, data):
    """The other side sends data and resets the connection while the peer is paused
    with a typed line to send: the peer's next send fails (ECONNRESET or EPIPE)."""
    s.keys.type(b"hello\n")
    s.conn.expect_line(b"hello\n")
    resume = s.peer.pause(s.conn.story)
    s.conn.send(data, note=f" ({len(data)} bytes)")
    s.keys.type(b"typed while the other side leaves\n")
    s.conn.reset()
    resume()


@points(2)
@handout("Ending a session")
def test_other_side_gone_prints_what_came_and_exits_1(connect_session, story):
    """Catches: exiting at the failed send (EPIPE or ECONNRESET) without printing what
    the other side had sent before it left, killed by SIGPIPE, or exiting 0 although
    typed bytes could not be sent."""
    s = connect_session
    _other_side_leaves_with_a_reset(s, LEFTOVER)
    expect_exit(story, s.peer, 1, timeout=3.0,
                hint="a send that fails with EPIPE or ECONNRESET means the other side "
                "is gone: print what it had sent, say so on stderr, exit with 1")
    expect_stdout(story, s.peer, LEFTOVER,
                  hint="what the other side sent before it left waits in the receive "
                  "buffer: keep reading until recv() returns 0 or fails, print it all")
    expect_stderr_has(story, s.peer, b"peer: ",
                      hint="say on stderr that the rest of stdin could not be sent")


@points(2)
@handout("Ending a session")
def test_exit_received_before_the_other_side_left_still_wins(connect_session, story):
    """Catches: a failed send (the other side reset after its `exit`) taken as the end,
    so that the `exit` line waiting in the receive buffer is never read: status 1
    instead of 0."""
    s = connect_session
    _other_side_leaves_with_a_reset(s, LEFTOVER + b"exit\n" + b"not printed\n")
    expect_exit(story, s.peer, 0, timeout=3.0,
                hint="what came ends with the line `exit`: the exit rule wins over the "
                "failed send (status 0)")
    expect_stdout(story, s.peer, LEFTOVER)
    expect_stderr_has(story, s.peer, ENDED_BY_OTHER_SIDE)


@points(2)
@handout("Sending and receiving")
def test_bytes_without_lf_at_end_of_stdin_are_sent(start, story, fake):
    """Catches: dropping the last stdin bytes when they have no LF (they wait for a
    line end that never comes)."""
    peer = start("peer", *fake.address, stdin=b"a line\nno newline at the end")
    conn = fake.accept(client=peer)
    conn.expect_bytes(b"a line\nno newline at the end",
                      hint="at end of stdin, send the bytes still buffered as they are")
    conn.expect_eof()
    conn.close_noted()
    expect_exit(story, peer, 0, timeout=3.0)


@points(2)
@handout("Sending and receiving")
def test_stdin_bytes_without_lf_are_sent_once_4096_are_buffered(connect_session, story):
    """Catches: a peer that waits for a LF forever once its stdin buffer is full (it
    stops reading stdin, nothing is sent), or that overflows the buffer."""
    s = connect_session
    s.keys.type(b"x" * 5000)
    s.conn.expect_bytes(b"x" * 4096, action="other side: expect the first 4096 bytes "
                        "of the long line", hint="4096 bytes without LF are sent as they "
                        "are, even before stdin ends")
    s.keys.type(b"yz\n")
    s.conn.expect_bytes(b"x" * 904 + b"yz\n", action="other side: expect the rest of "
                        "the line (904 bytes and `yz\\n`)")


# -- full duplex -----------------------------------------------------------------
MEGABYTES = 16
DEADLOCK_BOUND = 20.0  # seconds; the reference needs well under one


@points(7)
@handout("Deadlock when both sides send")
def test_megabytes_both_ways_at_once_arrive_intact(start, story, fake):
    """Catches: send() that blocks (no POLLOUT, blocking socket): with both sides
    sending more than the socket buffers hold, both wait and nothing moves.

    Both directions are in flight at once: the grader starts sending once the
    peer's own sending has filled the buffers (so the test does not depend on
    how the peer sizes its reads and writes), and reads only after it has sent
    everything, as a peer that itself blocks in send() would."""
    rng = random.Random(2)
    up = rng.randbytes(MEGABYTES << 20)
    down = rng.randbytes(MEGABYTES << 20)
    peer = start("peer", *fake.address, stdin=up)
    story.step(f"(the peer's stdin is {MEGABYTES} MiB of random bytes, "
               f"sha256 {bulk.digest(up)})")
    conn = fake.accept(client=peer)
    queued = bulk.wait_until_sending_stops(conn.sock)
    story.step(f"other side: read nothing until the peer's sending stops ({queued} "
               "bytes wait unread: the socket buffers are full)")
    deadline = time.monotonic() + DEADLOCK_BOUND
    hint = ("while the socket cannot take more, keep reading it: use POLLOUT and "
            "a queue, never a send() that blocks")
    conn.sock.settimeout(DEADLOCK_BOUND)
    action = (f"other side: send {MEGABYTES} MiB (sha256 {bulk.digest(down)}) without "
              "reading, while the peer still has most of its stdin to send")
    try:
        conn.sock.sendall(down)
    except socket.timeout:
        story.fail(action, f"the peer to take it all within {DEADLOCK_BOUND:.0f} s",
                   "the peer stopped reading: both sides wait for each other "
                   "(deadlock)", hint)
    except OSError as e:
        story.fail(action, "the peer to take it all", f"{e.strerror or e} "
                   f"(the peer {peer.status()})", hint)
    story.step(action)
    got = bulk.receive_until_eof(conn.sock, deadline)
    story.check(got == up, f"other side: read until end of stream (within "
                f"{DEADLOCK_BOUND:.0f} s of the start)", summary(up),
                summary(got, up), hint)
    conn.close_noted()
    expect_exit(story, peer, 0, timeout=max(deadline - time.monotonic(), 3.0))
    out = peer.stdout()
    story.check(out == down, "read the peer's stdout", summary(down), summary(out, down))


FAULTS_KINDS = faults.SHORT  # the peer installs no signal handler: no EINTR


@points(3)
@handout("Sending and receiving")
def test_short_sends_and_short_reads_lose_no_byte(start, story, fake, with_faults, workdir):
    """Catches: taking a send() as complete when the socket took only part of the
    queue (the rest is lost), or mishandling a recv() that returns a few bytes."""
    env = with_faults("peer", FAULTS_KINDS)
    rng = random.Random(int(env["FAULTS_SEED"]))
    up = bulk.lines(rng, 64 << 10)
    down = bulk.lines(rng, 64 << 10)
    peer = start("peer", *fake.address, stdin=up, env=env)
    story.step(f"(the peer's stdin is {len(up)} bytes of lines, sha256 {bulk.digest(up)})")
    conn = fake.accept(client=peer)
    deadline = time.monotonic() + 10.0
    conn.send(down, note=" (64 KiB of lines)")
    got = bulk.receive_until_eof(conn.sock, deadline)
    hint = ("send() and recv() may move fewer bytes than asked: consume from the queue "
            "only what send() returned")
    story.check(got == up, "other side: read until end of stream", summary(up),
                summary(got, up), hint)
    conn.close_noted()
    expect_exit(story, peer, 0, timeout=3.0)
    out = peer.stdout()
    story.check(out == down, "read the peer's stdout", summary(down),
                summary(out, down), hint)
    if not faults.read_log(env["FAULTS_LOG"]):  # calls the library does not cut
        story.step("(no fault was injected: the peer uses no send/recv/read/write "
                   "on its socket)")


# -- listen mode -----------------------------------------------------------------
@points(3)
@handout("One session at a time")
def test_second_client_is_refused_once_the_first_is_in(listen_session, story):
    """Catches: keeping the listening socket open after accept(2): a second client's
    connect succeeds (into the backlog) instead of being refused."""
    s = listen_session
    s.conn.send(b"I am the first\n")
    s.screen.expect(b"I am the first\n")
    second = socket.socket()
    second.settimeout(AT_ONCE)
    try:
        second.connect(s.peer.address)
        came = "the connection was accepted into the listen backlog"
    except ConnectionRefusedError:
        came = None
    except OSError as e:
        came = e.strerror or str(e)
    finally:
        second.close()
    story.check(came is None, "second client: connect", "Connection refused", came,
                hint="close the listening socket right after accept(2)")
    s.keys.type(b"still talking to the first\n")
    s.conn.expect_line(b"still talking to the first\n")


@points(2)
@handout("Connecting and listening")
def test_resolves_names_and_ipv6_and_binds_b(start, story):
    """Catches: inet_addr()/inet_pton() or AF_INET hints instead of getaddrinfo(3)
    (no names, no IPv6), or ignoring -b in listen mode."""
    for host, listen_on in (("localhost", "127.0.0.1"), ("::1", "::1")):
        with FakeServer(story, host=listen_on, label="other side") as fake:
            peer = start("peer", host, fake.address[1], stdin="pipe")
            with fake.accept(client=peer) as conn:
                Typist(peer, story).type(b"ping\n")
                conn.expect_line(b"ping\n")
                conn.close_noted()
    peer = start("peer", "-l", "-b", "::1", "0", stdin="pipe", ready=True)
    story.check(peer.address[0] == "::1", "read the address of `-b ::1`",
                "`listening on [::1]:PORT`", f"{peer.address[0]}")
    with Conversation.connect(peer.address, story, "other side") as conn:
        conn.send(b"over IPv6\n")
        Screen(peer, story).expect(b"over IPv6\n")


# -- netcat ----------------------------------------------------------------------
@points(2)
@handout("Interoperating with netcat")
def test_netcat_connects_to_the_listening_peer(start, story, netcat):
    """Catches: a peer that nc cannot talk to: bytes changed or held, exiting when nc
    half-closes (nc -N at the end of its stdin) while the peer still has lines to send,
    or not exiting with 0 once both have ended."""
    peer = start("peer", "-l", "0", stdin="pipe", ready=True)
    nc = netcat("-N", *peer.address)
    peer_keys, peer_screen = Typist(peer, story), Screen(peer, story)
    nc_keys, nc_screen = Typist(nc, story), Screen(nc, story)
    peer_keys.type(b"hello nc, from peer\n")
    nc_screen.expect(b"hello nc, from peer\n")
    nc_keys.type(b"hello peer, from nc\nand a second line\n")
    peer_screen.expect(b"hello peer, from nc\nand a second line\n")
    nc_keys.end()
    the_end_has_reached(peer, story)
    expect_running(story, peer, "nc ended only its sending half",
                   hint="nc -N shuts down its sending half at the end of its stdin; it "
                   "still reads: the peer goes on sending")
    peer_keys.type(b"still typing after nc's end\n")
    nc_screen.expect(b"still typing after nc's end\n")
    peer_keys.end()
    expect_exit(story, nc, 0, timeout=3.0,
                hint="nc exits when its network input ends: the peer's end of stdin "
                "must shut down the peer's sending half")
    expect_exit(story, peer, 0, timeout=3.0,
                hint="both directions have ended: the peer exits with 0")
    expect_stdout(story, peer, b"hello peer, from nc\nand a second line\n")


@points(2)
@handout("Interoperating with netcat")
def test_peer_connects_to_listening_netcat(start, story, netcat_listening):
    """Catches: a peer that nc -l cannot talk to: bytes changed or held, or one that does
    not exit once nc leaves after the peer's end of stdin."""
    nc, port = netcat_listening()
    peer = start("peer", "127.0.0.1", port, stdin="pipe")
    peer_keys, peer_screen = Typist(peer, story), Screen(peer, story)
    nc_keys, nc_screen = Typist(nc, story), Screen(nc, story)
    nc_keys.type(b"hello peer, from nc -l\n")
    peer_screen.expect(b"hello peer, from nc -l\n")
    peer_keys.type(b"hello nc, from peer\nsecond line\n")
    nc_screen.expect(b"hello nc, from peer\nsecond line\n")
    nc_keys.type(b"bye\n")
    peer_screen.expect(b"bye\n")
    peer_keys.type(b"the end, without LF")
    peer_keys.end()
    nc_screen.expect(b"the end, without LF")
    expect_exit(story, nc, 0, timeout=3.0,
                hint="nc -l exits when its network input ends: the peer's end of stdin "
                "must shut down the peer's sending half")
    expect_exit(story, peer, 0, timeout=3.0,
                hint="nc closed the connection after the peer's end of stdin: both "
                "directions have ended, the peer exits with 0")


# -- errors ----------------------------------------------------------------------
@points(2)
@handout("Command line and output")
def test_refused_connection_exits_1_with_a_message(start, story):
    """Catches: a crash, a silent exit, an exit status other than 1, or a message
    without the `peer: ` prefix (perror instead of err(3)) when nothing listens."""
    with refusing_port() as port:
        checks.refused_connection_exits_1(start, story, "peer", "127.0.0.1", port,
                                          stdin="pipe", timeout=3.0)


@points(2)
@handout("Command line and output")
def test_usage_errors_exit_with_2(start, story):
    """Catches: crashing (reading argv past its end) or exiting 0/1 on bad arguments."""
    checks.usage_errors_exit_with_2(start, story, [
        ("peer", args) for args in ((), ("-l",), ("127.0.0.1",), ("-z", "127.0.0.1", "9"),
                                    ("127.0.0.1", "9", "extra"), ("-l", "0", "extra"))],
        timeout=3.0)
