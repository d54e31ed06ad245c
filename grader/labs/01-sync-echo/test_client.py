"""Behaviour of bin/echo-client (contract sections 0 and 1).

The client talks to a test server that the grader scripts: it can answer
something other than an echo, hold its reply back, split it, or hang up.
"""


import pytest

from gradelib import checks, faults
from gradelib.conversation import FakeServer, refusing_port
from gradelib.failure import show
from gradelib.stdio import Screen, Typist, expect_exit, expect_stdout

points = pytest.mark.points
handout = pytest.mark.handout

SILENCE = 0.5


def client_for(start, fake, stdin, host=None):
    host = host or fake.address[0]
    return start("echo-client", host, fake.address[1], stdin=stdin)


@points(2)
@handout("The client")
def test_client_prints_each_reply(start, fake, story):
    """Catches: printing what it sent instead of what the server answered."""
    client = client_for(start, fake, b"one\ntwo\n")
    conn = fake.accept(client=client)
    conn.expect_line(b"one\n")
    conn.send(b"ONE\n")
    conn.expect_line(b"two\n")
    conn.send(b"TWO\n")
    conn.expect_eof(hint="at the end of stdin the client closes the connection")
    expect_exit(story, client, 0)
    expect_stdout(story, client, b"ONE\nTWO\n")


@points(2)
@handout("The client")
def test_client_shows_each_reply_while_it_runs(start, fake, story):
    """Catches: a client that never calls fflush(stdout): on a pipe or a file stdout
    is fully buffered, so its replies appear only when it exits.

    The client's stdin stays open: it is still running when each reply must
    show on its stdout."""
    client = start("echo-client", *fake.address, stdin="pipe")
    conn = fake.accept(client=client)
    keys, screen = Typist(client, story), Screen(client, story)
    hint = ("stdout into a pipe or a file is fully buffered: fflush(stdout) after each "
            "reply, or the user sees nothing until the client exits")
    for line in (b"first\n", b"second\n"):
        keys.type(line)
        conn.expect_line(line)
        conn.send(line.upper())
        screen.expect(line.upper(), hint=hint)
    keys.end()
    conn.expect_eof()
    expect_exit(story, client, 0)


@points(4)
@handout("The client")
def test_client_waits_for_the_reply_before_the_next_line(start, fake, story):
    """Catches: sending all of stdin at once, then reading the replies (not synchronous)."""
    client = client_for(start, fake, b"first\nsecond\nthird\n")
    conn = fake.accept(client=client)
    conn.expect_line(b"first\n")
    conn.expect_silence(SILENCE, hint="the client must not send line 2 before "
                        "the reply to line 1 has arrived")
    conn.send(b"reply 1\n")
    conn.expect_line(b"second\n")
    conn.expect_silence(SILENCE)
    conn.send(b"reply 2\n")
    conn.expect_line(b"third\n")
    conn.send(b"reply 3\n")
    conn.expect_eof()
    expect_exit(story, client, 0)
    expect_stdout(story, client, b"reply 1\nreply 2\nreply 3\n")


@points(2)
@handout("Lines over a byte stream")
def test_client_reads_a_whole_reply_line(start, fake, story):
    """Catches: taking one recv() as the whole reply (prints half, sends too early)."""
    client = client_for(start, fake, b"one\ntwo\n")
    conn = fake.accept(client=client)
    conn.expect_line(b"one\n")
    conn.send(b"O")
    conn.expect_silence(SILENCE, hint="the reply is not whole until its LF: keep "
                        "reading before you send the next line")
    conn.send_pieces([b"N", b"E\n"])
    conn.expect_line(b"two\n")
    conn.send(b"TWO\n")
    conn.expect_eof()
    expect_exit(story, client, 0)
    expect_stdout(story, client, b"ONE\nTWO\n")


@points(3)
@handout("The client")
def test_client_ends_after_bye(start, fake, story):
    """Catches: going on after `exit` (sending the next line) or exiting non-zero."""
    client = client_for(start, fake, b"hi\nexit\nnever sent\n")
    conn = fake.accept(client=client)
    conn.expect_line(b"hi\n")
    conn.send(b"hi\n")
    conn.expect_line(b"exit\n")
    conn.send(b"bye\n")
    conn.expect_eof(hint="after `bye` the client closes and exits; the lines after "
                    "`exit` are not sent")
    expect_exit(story, client, 0)
    expect_stdout(story, client, b"hi\nbye\n")


@points(2)
@handout("The client")
def test_client_sends_a_last_line_without_lf_with_lf_added(start, fake, story):
    """Catches: dropping a last stdin line that has no LF, or sending it without one."""
    client = client_for(start, fake, b"first\nlast")
    conn = fake.accept(client=client)
    conn.expect_line(b"first\n")
    conn.send(b"first\n")
    conn.expect_line(b"last\n", hint="add the LF that stdin did not have")
    conn.send(b"last\n")
    conn.expect_eof()
    expect_exit(story, client, 0)
    expect_stdout(story, client, b"first\nlast\n")


@points(1)
@handout("The client")
def test_client_closes_at_end_of_stdin(start, fake, story):
    """Catches: a client that waits for the server forever once stdin is empty."""
    client = client_for(start, fake, b"")
    conn = fake.accept(client=client)
    conn.expect_eof(hint="with nothing on stdin the client closes and exits 0")
    expect_exit(story, client, 0)


@points(3)
@handout("When the server goes away")
def test_client_reports_the_server_closing(start, fake, story):
    """Catches: looping on recv() returning 0, or exiting 0 in silence."""
    client = client_for(start, fake, b"anyone there?\nsecond\n")
    conn = fake.accept(client=client)
    conn.expect_line(b"anyone there?\n")
    conn.close_noted()
    expect_exit(story, client, 1)
    err = client.stderr()
    story.check(b"echo-client: server closed the connection" in err,
                "read the client's stderr",
                show(b"echo-client: server closed the connection\n"), show(err))


@points(1)
@handout("Command line and output")
def test_client_reports_a_refused_connection(start, story):
    """Catches: a crash or a silent exit when nothing listens on the port."""
    with refusing_port() as port:
        checks.refused_connection_exits_1(start, story, "echo-client", "127.0.0.1", port,
                                          stdin=b"hello\n")


@points(1)
@handout("The client")
def test_client_resolves_names_and_ipv6(start, story):
    """Catches: inet_addr() or inet_pton() instead of getaddrinfo(): no names, no IPv6."""
    for host, listen_on in (("localhost", "127.0.0.1"), ("::1", "::1")):
        with FakeServer(story, host=listen_on) as fake:
            client = start("echo-client", host, fake.address[1], stdin=b"ping\n")
            conn = fake.accept(client=client)
            conn.expect_line(b"ping\n")
            conn.send(b"pong\n")
            conn.expect_eof()
            expect_exit(story, client, 0)


@points(2)
@handout("Short writes")
def test_client_copes_with_short_sends_and_receives(start, fake, story, with_faults):
    """Catches: a send_all() or reply reader that assumes one call moves a whole line.

    Inside the client, send(2) and recv(2) move a few bytes at a time and a
    send fails with EINTR now and then (the client has no signal handler, so
    a recv never would)."""
    lines = [f"line {n} of the client\n".encode() for n in range(8)]
    client = start("echo-client", fake.address[0], fake.address[1], stdin=b"".join(lines),
                   env=with_faults("echo-client", [*faults.SHORT, "eintr-send"]))
    conn = fake.accept(client=client)
    for line in lines:
        conn.expect_line(line, hint="send_all() loops over short sends and EINTR")
        conn.send(line.upper())
    conn.expect_eof()
    expect_exit(story, client, 0)
    expect_stdout(story, client, b"".join(line.upper() for line in lines))
