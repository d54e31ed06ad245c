"""Behaviour of bin/echo-server (contract sections 0 and 1), driven over loopback.

Each test names, in its docstring, the mistake it is there to catch.
"""

import os
import signal
import time

import pytest

from gradelib import checks, faults, process
from gradelib.conversation import Conversation
from gradelib.failure import Failure

points = pytest.mark.points
handout = pytest.mark.handout

SILENCE = 0.5  # seconds of nothing that count as "no reply"
FAULT_LINES = [f"line {n}: ".encode() + b"z" * 60 + b"\n" for n in range(8)]


@points(1)
@handout("The contract")
def test_server_prints_listening_line(server, connect, story):
    """Catches: no ready line, port 0 not read back with getsockname (prints 0)."""
    host, port = server.address
    story.check(host == "127.0.0.1" and port != 0, "read the `listening on` line",
                "127.0.0.1 (the default) and the port the kernel chose",
                f"{host}:{port}", hint="read the address back with getsockname(2)")
    c = connect()
    c.send(b"hi\n")
    c.expect_line(b"hi\n")


@points(1)
@handout("The contract")
def test_echoes_a_line(connect):
    """Catches: a server that does not answer, or answers something else."""
    c = connect()
    c.send(b"hello, server\n")
    c.expect_line(b"hello, server\n")
    c.send(b"and a second line\n")
    c.expect_line(b"and a second line\n")


@points(2)
@handout("Lines over a byte stream")
def test_answers_a_line_split_across_segments_once_whole(connect):
    """Catches: echoing whatever one recv() returned, as if it were a line."""
    c = connect()
    c.send(b"hel")
    c.expect_silence(SILENCE, hint="the line is not whole yet: wait for its LF "
                     "before you answer")
    c.send_pieces([b"lo wo", b"rld\n"])
    c.expect_line(b"hello world\n")
    c.expect_silence(0.2, hint="one line in, one line out")


@points(2)
@handout("Lines over a byte stream")
def test_echoes_several_lines_sent_in_one_segment(connect):
    """Catches: handling only the first line of a recv() buffer and dropping the rest."""
    c = connect()
    c.send(b"one\ntwo\nthree\n")
    c.expect_line(b"one\n")
    c.expect_line(b"two\n", hint="the bytes after the first LF are the next line: "
                  "keep them in the reader for the next call")
    c.expect_line(b"three\n")


@points(1)
@handout("The contract")
def test_echoes_bytes_as_they_are(connect):
    """Catches: dropping CR, stopping at a NUL byte (string functions on binary data)."""
    c = connect()
    c.send(b"windows line\r\n")
    c.expect_line(b"windows line\r\n", hint="echo the line byte for byte, CR included")
    c.send(b"a\x00b\xffc\n")
    c.expect_line(b"a\x00b\xffc\n", hint="a line may hold any byte but LF: use the "
                  "length, not strlen() or printf(\"%s\")")


@points(2)
@handout("The contract")
def test_exit_is_answered_with_bye_and_the_connection_closed(connect, still_serving):
    """Catches: echoing `exit`, not closing after `bye`, or stopping the server on `exit`."""
    c = connect()
    c.send(b"exit\n")
    c.expect_line(b"bye\n")
    c.expect_eof(hint="after `bye` the server closes this connection")
    c2 = connect("second client")
    c2.send(b"exit\r\n")
    c2.expect_line(b"bye\n", hint="`exit\\r` (from a Windows or telnet client) is `exit` too")
    c2.expect_eof()
    still_serving()


@points(1)
@handout("Lines over a byte stream")
def test_exit_split_across_segments_is_still_exit(connect):
    """Catches: comparing each recv() chunk with "exit\\n" instead of each line."""
    c = connect()
    c.send_pieces([b"ex", b"it\n"])
    c.expect_line(b"bye\n")
    c.expect_eof()


@points(1)
@handout("The contract")
def test_line_that_only_starts_with_exit_is_echoed(connect):
    """Catches: strncmp(line, "exit", 4), which also ends on `exiting`."""
    c = connect()
    c.send(b"exiting now\n")
    c.expect_line(b"exiting now\n")
    c.send(b"exit \n")
    c.expect_line(b"exit \n")


@points(2)
@handout("The iterative server")
def test_second_client_waits_for_the_first(connect):
    """Catches: a server that serves two clients at once, or never the second."""
    first = connect("first client")
    first.send(b"first 1\n")
    first.expect_line(b"first 1\n")
    second = connect("second client")
    second.send(b"second 1\n")
    second.expect_silence(SILENCE, hint="an iterative server serves one client at a "
                          "time: the second waits in the listen backlog")
    first.send(b"first 2\n")
    first.expect_line(b"first 2\n")
    first.close_noted()
    second.expect_line(b"second 1\n", timeout=3.0,
                       hint="once the first client leaves, accept the next one")
    second.send(b"second 2\n")
    second.expect_line(b"second 2\n")


@points(2)
@handout("The iterative server")
def test_serves_client_after_client(connect):
    """Catches: a server that exits (or stops accepting) after its first client."""
    for n in range(1, 4):
        c = connect(f"client {n}")
        c.send(f"I am client {n}\n".encode())
        c.expect_line(f"I am client {n}\n".encode())
        if n == 2:
            c.send(b"exit\n")
            c.expect_line(b"bye\n")
        c.close_noted()


@points(2)
@handout("The 4096-byte limit")
def test_accepts_a_line_of_4096_bytes(connect):
    """Catches: a buffer too small for the longest line, or an off-by-one at the limit."""
    line = b"x" * 4095 + b"\n"
    c = connect()
    c.send(line)
    c.expect_bytes(line, action="client: expect the 4096-byte line back",
                   hint="4096 bytes with the LF is the longest valid line")


@points(2)
@handout("The 4096-byte limit")
def test_refuses_a_longer_line_and_keeps_serving(connect, still_serving):
    """Catches: overflowing the buffer, cutting the line in two, or stopping the server."""
    c = connect()
    c.send(b"y" * 4096 + b"\n")
    c.expect_line(b"error: line too long\n",
                  hint="4096 bytes without a LF: answer the error line and close")
    c.expect_eof()
    still_serving()


@points(2)
@handout("The server")
def test_last_reply_is_followed_by_a_clean_end_of_stream(connect, server, story):
    """Catches: a server that sends `bye` or the error line and closes with the
    client's bytes still unread, without shutdown(SHUT_WR) first: the kernel resets
    the connection, and the client gets a reset instead of a clean end of stream.

    The server is back in accept() before the client reads: whatever its close
    sent has arrived by then."""
    hint = ("send the last line, then shutdown(fd, SHUT_WR), then close: the FIN goes "
            "before the reset that unread bytes cause, so the client reads a clean end")
    for label, sent, reply in (
            ("client with a long line", b"y" * 5000 + b"\n" + b"then more\n" * 50,
             b"error: line too long\n"),
            ("client that says exit", b"exit\n" + b"lines after exit\n" * 50, b"bye\n")):
        c = connect(label)
        c.send(sent)
        c.expect_line(reply)
        story.check(server.wait_blocked(2.0), "wait until the server is back in accept()",
                    "it to wait for the next client", f"the server {server.status()}")
        c.expect_eof(hint=hint, clean=True)
        c.close_noted()  # a server may drain until the client's end: give it that end


@points(1)
@handout("The contract")
def test_echoes_a_last_line_without_lf(connect, still_serving):
    """Catches: dropping the bytes of a line the client ended without LF."""
    c = connect()
    c.send(b"no newline at the end")
    c.shutdown_write()
    c.expect_bytes(b"no newline at the end")
    c.expect_eof()
    still_serving()


@points(1)
@handout("When a client misbehaves")
def test_survives_a_client_that_vanishes_mid_line(connect, still_serving):
    """Catches: a server that exits, or loops, when a client leaves mid-line."""
    c = connect("client that vanishes")
    c.send(b"half a li")
    c.close_noted()
    time.sleep(0.2)
    still_serving()


@points(1)
@handout("When a client misbehaves")
def test_survives_a_connection_reset(connect, still_serving):
    """Catches: err() on ECONNRESET from recv() or send(), which ends the server."""
    c = connect("client that resets")
    c.send(b"a line, then a reset\n")
    c.reset()
    c = connect("client that resets mid-line")
    c.send(b"half")
    c.reset()
    time.sleep(0.2)
    still_serving()


@points(2)
@handout("Short writes")
def test_echoes_every_byte_when_send_takes_a_few_at_a_time(start, story, with_faults):
    """Catches: send_all() that calls send() once and returns len: the rest is lost.

    Inside the server, a preloaded library makes send(2) take a few bytes at a
    time, as TCP may; the seed of its schedule is in the report."""
    server = start("echo-server", "0", ready=True, env=with_faults("echo-server", ["short-send"]))
    with Conversation.connect(server.address, story) as c:
        for line in FAULT_LINES:
            c.send(line)
            c.expect_line(line, hint="send(2) may take only part of the buffer: "
                          "send_all() loops until every byte is sent")


# What each kind of injected fault asks of the server, and where the handout says it.
FAULT_ADVICE = {
    "short-recv": ("recv(2) returned a few bytes at a time: the line reader keeps the "
                   "bytes it holds and joins the pieces", "Lines over a byte stream"),
    "short-send": ("send(2) took a few bytes at a time: send_all() loops until every "
                   "byte is sent", "Short writes"),
    "eintr": ("a call failed with EINTR: that is not an error, test the stop flag and "
              "call again (send_all() retries)", "Stopping cleanly"),
}


def _explain_faults(story, log, lab):
    """A failure text that names the faults injected before it and the sections
    that explain each (the cause may be any of them)."""
    seen = []
    for entry in faults.read_log(log):
        kind = "eintr" if entry["kind"].startswith("eintr") else entry["kind"]
        if kind in FAULT_ADVICE and kind not in seen:
            seen.append(kind)
    if not seen:
        return story.render("no fault had been injected yet: the server fails without them")
    story.read_more = "; ".join(f"{lab.handout}, \"{FAULT_ADVICE[k][1]}\"" for k in seen)
    return story.render("faults injected before this step: " + "; ".join(
        FAULT_ADVICE[k][0] for k in seen))


@points(2)
@handout("Stopping cleanly")
def test_keeps_serving_through_short_reads_and_eintr(start, story, with_faults, lab):
    """Catches: EINTR from line_reader_next() or send() taken as an error (the
    server drops the client), or bytes held by the reader forgotten.

    Inside the server, recv(2) returns a few bytes at a time and calls fail
    with EINTR now and then, as they may when a signal arrives. A failure
    names the faults injected before it, and where each is explained."""
    env = with_faults("echo-server")
    server = start("echo-server", "0", ready=True, env=env)
    try:
        with Conversation.connect(server.address, story) as c:
            c.send(b"one\ntwo\nthree\n")
            for line in (b"one\n", b"two\n", b"three\n"):
                c.expect_line(line)
            for line in FAULT_LINES:
                c.send(line)
                c.expect_line(line)
            c.send(b"exit\n")
            c.expect_line(b"bye\n")
            c.expect_eof()
    except Failure:
        raise Failure(_explain_faults(story, env["FAULTS_LOG"], lab)) from None


@points(2)
@handout("When a client misbehaves")
def test_survives_a_client_that_does_not_read(connect, still_serving, story):
    """Catches: SIGPIPE not ignored: writing to a closed connection kills the server."""
    c = connect("client that does not read")
    c.send(b"read me please, all of me\n" * 4000)  # it leaves with replies unread: a reset
    c.close_noted()
    time.sleep(0.3)
    still_serving()
    # A client that leaves while it waits in the backlog: its close is a clean FIN
    # (nothing was echoed to it yet), so the first echo meets a closed socket and
    # draws a reset, and the second one fails with EPIPE: the server's SIGPIPE.
    first = connect("first client")
    first.send(b"hi\n")
    first.expect_line(b"hi\n")
    gone = connect("client that leaves before its turn")
    gone.send(b"read me please, all of me\n" * 100)
    gone.close_noted()
    first.close_noted()
    time.sleep(0.3)
    still_serving()


@points(2)
@handout("Stopping cleanly")
def test_exits_with_0_on_sigterm(start, story):
    """Catches: no handler (killed by SIGTERM or SIGINT), SA_RESTART (never wakes),
    exit status not 0."""
    idle = start("echo-server", "0", ready=True)
    status = idle.terminate(grace=2.0)
    story.check(status == 0, "SIGTERM the server while it waits in accept()",
                "exit status 0 within 2 s", idle.status())
    ctrl_c = start("echo-server", "0", ready=True)
    ctrl_c.wait_blocked(2.0)
    os.kill(ctrl_c.pid, signal.SIGINT)
    code = ctrl_c.wait(2.0)
    story.check(code == 0, "SIGINT (Ctrl-C) the server while it waits in accept()",
                "exit status 0 within 2 s", ctrl_c.status(),
                hint="SIGINT is handled as SIGTERM is: the same handler")
    busy = start("echo-server", "0", ready=True)
    with Conversation.connect(busy.address, story) as c:
        c.send(b"hello\n")
        c.expect_line(b"hello\n")
        status = busy.terminate(grace=2.0)
        story.check(status == 0, "SIGTERM the server while it serves a client",
                    "exit status 0 within 2 s", busy.status())


@points(2)
@handout("When a client misbehaves")
def test_closes_each_client_socket(server, connect, story):
    """Catches: a missing close() of the client's socket, one descriptor leaked per client."""
    for n in range(1, 11):
        c = connect(f"client {n}")
        c.send(b"hi\n")
        c.expect_line(b"hi\n")
        c.close()
    story.step("10 clients came, were served and left")
    server.wait_blocked(2.0)  # back in accept(): the last client is done
    sockets = process.open_sockets(server.pid)
    story.check(sockets <= 1, "count the server's open sockets in /proc/PID/fd",
                "1 (the listening socket)", f"{sockets}",
                hint="close the client's socket when its conversation ends")
    zombies = process.zombie_children(server.pid)
    story.check(zombies == 0, "count the server's zombie children", "none",
                f"{zombies}", hint="a child that ended must be waited for (waitpid)")


@points(1)
@handout("Step 3: The listening socket")
def test_restarts_on_its_port_right_after_a_stop(start, story):
    """Catches: no SO_REUSEADDR: the port stays taken while old connections are in TIME_WAIT."""
    first = start("echo-server", "0", ready=True)
    port = first.address[1]
    with Conversation.connect(first.address, story) as c:
        c.send(b"exit\n")  # the server closes first: its side goes to TIME_WAIT
        c.expect_line(b"bye\n")
        c.expect_eof()
    first.terminate(grace=2.0)
    story.step(f"stop the server (SIGTERM): it {first.status()}")
    again = start("echo-server", "-b", "127.0.0.1", port, ready=True)
    with Conversation.connect(again.address, story) as c:
        c.send(b"back again\n")
        c.expect_line(b"back again\n")


@points(1)
@handout("The contract")
def test_binds_the_address_given_with_b(start, story):
    """Catches: ignoring -b (always binding 127.0.0.1 or INADDR_ANY), IPv4 only."""
    for addr, expected in (("127.0.0.2", "127.0.0.2"), ("::1", "::1")):
        server = start("echo-server", "-b", addr, "0", ready=True)
        story.check(server.address[0] == expected, f"read the address of `-b {addr}`",
                    f"`listening on` {expected}", f"{server.address[0]}")
        with Conversation.connect(server.address, story) as c:
            c.send(b"over there\n")
            c.expect_line(b"over there\n")
        server.kill()


@points(1)
@handout("Command line and output")
def test_usage_errors_exit_with_2(start, story):
    """Catches: crashing or exiting 0/1 on bad arguments."""
    checks.usage_errors_exit_with_2(start, story, [
        ("echo-server", ()), ("echo-server", ("-z", "0")), ("echo-server", ("1", "2")),
        ("echo-client", ()), ("echo-client", ("127.0.0.1",))])
