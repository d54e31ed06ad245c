"""Behaviour of bin/unix-client (contract sections 0 and 5), against a scripted
AF_UNIX server of the grader's. Each test names the mistake it catches."""

import os

import pytest

from gradelib.stdio import expect_exit, expect_stdout

points = pytest.mark.points
handout = pytest.mark.handout

SILENCE = 0.3  # seconds of nothing that count as "did not send"


@points(3)
@handout("The client")
def test_prints_replies_one_at_a_time_and_exits_0_after_quit(start, unix_fake, story):
    """Catches: lines sent before the previous reply came, replies not printed
    (or not flushed), lines after QUIT sent, an exit status other than 0."""
    client = start("unix-client", unix_fake.address,
                   stdin=b"WHOAMI\nECHO x\nQUIT\nECHO never\n")
    s = unix_fake.accept(client=client)
    s.expect_line(b"WHOAMI\n")
    s.expect_silence(SILENCE, hint="send the next line only after the reply to this one")
    s.send(b"uid=1 gid=2 pid=3\n")
    s.expect_line(b"ECHO x\n")
    s.send(b"x\n")
    s.expect_line(b"QUIT\n")
    s.send(b"bye\n")
    expect_exit(story, client, 0, hint="after the reply to QUIT, close and exit 0")
    expect_stdout(story, client, b"uid=1 gid=2 pid=3\nx\nbye\n")
    s.expect_eof(hint="nothing is sent after QUIT")


@points(2)
@handout("The client")
def test_end_of_stdin_exits_0_and_last_line_gets_lf(start, unix_fake, story):
    """Catches: a last line without LF dropped or sent without LF, or a client
    that waits for the server at the end of stdin."""
    client = start("unix-client", unix_fake.address, stdin=b"ECHO a\nECHO b")
    s = unix_fake.accept(client=client)
    s.expect_line(b"ECHO a\n")
    s.send(b"a\n")
    s.expect_line(b"ECHO b\n", hint="a last line without LF is sent with one")
    s.send(b"b\n")
    s.expect_eof(hint="at the end of stdin, close the connection")
    expect_exit(story, client, 0)
    expect_stdout(story, client, b"a\nb\n")


@points(3)
@handout("The client")
def test_server_going_away_exits_1_with_a_message(start, unix_fake, story):
    """Catches: a client that takes the server's close for a normal end (status
    0), dies of SIGPIPE, or loses the last reply it got."""
    client = start("unix-client", unix_fake.address, stdin=b"ECHO a\nECHO b\nECHO c\n")
    s = unix_fake.accept(client=client)
    s.expect_line(b"ECHO a\n")
    s.send(b"a\n")
    s.expect_line(b"ECHO b\n")
    s.close_noted()
    expect_exit(story, client, 1, hint="the server closed while a reply was awaited")
    expect_stdout(story, client, b"a\n")
    err = client.stderr()
    story.check(err.startswith(b"unix-client: "), "read unix-client's stderr",
                "a message such as `unix-client: server closed the connection`",
                repr(err) if err else "nothing")


@points(2)
@handout("The client")
def test_bad_paths_exit_1_with_a_message(start, workdir, story):
    """Catches: a connect failure taken for success, perror-style messages, or
    a too-long path cut short."""
    missing = os.path.join(str(workdir), "nobody.sock")
    client = start("unix-client", missing, stdin=b"WHOAMI\n")
    expect_exit(story, client, 1, hint="connect(2) failed: report it and exit 1")
    err = client.stderr()
    story.check(err.startswith(b"unix-client: ") and b"No such file" in err,
                "read unix-client's stderr",
                f"`unix-client: connect {missing}: No such file or directory`",
                repr(err) if err else "nothing", hint="err(3) adds the strerror text")
    too_long = os.path.join(str(workdir), "q" * 120)
    client = start("unix-client", too_long, stdin=b"WHOAMI\n")
    expect_exit(story, client, 1, hint="a path over 107 bytes does not fit in sun_path")
