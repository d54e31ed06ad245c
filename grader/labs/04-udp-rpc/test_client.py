"""Behaviour of bin/udp-client (contract sections 0 and 4).

Most tests give the client a UDP socket of the grader's as its server: the
test decides which requests get a reply, and when, and measures when each
attempt arrives. The last two run the student's client with the student's
server, through the lossy relay.

Timing: an attempt may come later than its time-out by up to LATE seconds (a
busy machine is slow); it may never come earlier (EARLY allows only for the
clocks' granularity).
"""

import socket
import time

import pytest

from gradelib import checks
from gradelib.stdio import expect_exit, expect_stderr_has, expect_stdout

points = pytest.mark.points
handout = pytest.mark.handout

EARLY = 0.005  # the clocks' granularity
LATE = 0.25    # a busy machine wakes the client late; never early
GIVE_UP = b"(it may or may not have been executed)"


def client_for(start, fake, stdin, *options):
    host, port = fake.address
    return start("udp-client", *options, host, port, stdin=stdin)


def receive_request(fake, story, expected, timeout=3.0, hint=None):
    """Expects the request `expected` at the fake server; returns (source, arrival),
    arrival being the kernel's time stamp (Datagrams.receive_stamped)."""
    got = fake.receive_stamped(timeout)
    action = f"test server: expect {expected!r}"
    if got is None:
        story.fail(action, f"the request {expected!r}", f"nothing within {timeout:.1f} s",
                   hint)
    data, source, arrival = got
    story.check(data == expected, action, repr(expected), repr(data), hint)
    return source, arrival


def expect_gap(story, what, start, end, wanted, hint=None, late=LATE):
    """Expects end - start to be the time-out `wanted`: never shorter, and at
    most `late` seconds longer."""
    gap = end - start
    story.check(wanted - EARLY <= gap <= wanted + late, f"measure {what}",
                f"{wanted * 1000:.0f} ms (up to {late * 1000:.0f} ms later)",
                f"{gap * 1000:.0f} ms", hint)


@points(3)
@handout("The client")
def test_client_sends_numbered_requests_and_prints_replies(start, udp_fake, story):
    """Catches: wrong numbering, empty lines sent, CR kept, the last line without
    LF lost, the SEQ printed with the reply."""
    client = client_for(start, udp_fake, b"ECHO hi there\n\nINCR 5\r\nGET")
    src, _ = receive_request(udp_fake, story, b"1 ECHO hi there")
    udp_fake.send(b"1 hi there", to=src)
    src, _ = receive_request(udp_fake, story, b"2 INCR 5",
                             hint="empty lines are skipped and use no SEQ; one CR "
                             "before the LF is dropped")
    udp_fake.send(b"2 5", to=src)
    src, _ = receive_request(udp_fake, story, b"3 GET", hint="a last line without LF "
                             "is sent too")
    udp_fake.send(b"3 ERR unknown command", to=src)
    expect_exit(story, client, 0, hint="an ERR reply leaves the exit status at 0")
    expect_stdout(story, client, b"hi there\n5\nERR unknown command\n")


@points(1)
@handout("The client")
def test_client_sends_one_request_at_a_time(start, udp_fake, story):
    """Catches: sending every line at once, then collecting replies."""
    client = client_for(start, udp_fake, b"GET\nGET\n", "-t", "3000")
    src, _ = receive_request(udp_fake, story, b"1 GET")
    udp_fake.expect_silence(0.5, hint="request 2 goes only after the reply to request 1")
    udp_fake.send(b"1 0", to=src)
    src, _ = receive_request(udp_fake, story, b"2 GET")
    udp_fake.send(b"2 0", to=src)
    expect_exit(story, client, 0)


@points(2)
@handout("Retransmission and sequence numbers")
def test_client_retransmits_after_its_timeout(start, udp_fake, story):
    """Catches: waiting for ever on a lost datagram, or a retransmission with
    another SEQ or other bytes."""
    client = client_for(start, udp_fake, b"INCR 5\n", "-t", "200")
    _, t0 = receive_request(udp_fake, story, b"1 INCR 5")
    src, t1 = receive_request(udp_fake, story, b"1 INCR 5", hint="no reply came: the "
                              "same request again, with the same SEQ")
    expect_gap(story, "the time between the two attempts", t0, t1, 0.2)
    udp_fake.send(b"1 5", to=src)
    expect_exit(story, client, 0)
    expect_stdout(story, client, b"5\n")


@points(1)
@handout("The client")
def test_client_default_timeout_is_300_ms(start, udp_fake, story):
    """Catches: another first time-out than 300 ms when -t is not given."""
    client = client_for(start, udp_fake, b"GET\n")
    _, t0 = receive_request(udp_fake, story, b"1 GET")
    src, t1 = receive_request(udp_fake, story, b"1 GET")
    expect_gap(story, "the time between the two attempts", t0, t1, 0.3)
    udp_fake.send(b"1 0", to=src)
    expect_exit(story, client, 0)


@points(2)
@handout("Retransmission and sequence numbers")
def test_client_backs_off_doubling_each_wait(start, udp_fake, story):
    """Catches: retransmitting at a fixed interval (no back-off), or growing the
    wait some other way than doubling."""
    client = client_for(start, udp_fake, b"GET\n", "-t", "100", "-r", "4")
    times = []
    for n in range(4):
        _, t = receive_request(udp_fake, story, b"1 GET")
        times.append(t)
    for n, wanted in enumerate((0.1, 0.2, 0.4)):
        expect_gap(story, f"the wait after attempt {n + 1}", times[n], times[n + 1],
                   wanted, hint="each attempt waits twice as long as the one before")
    expect_exit(story, client, 1)
    expect_gap(story, "the last wait (from attempt 4 to the exit)", times[3],
               time.time(), 0.8, late=1.0)


@points(2)
@handout("The client")
def test_client_honours_r_then_gives_up(start, udp_fake, story):
    """Catches: ignoring -r, or one attempt too many or too few."""
    client = client_for(start, udp_fake, b"GET\n", "-t", "50", "-r", "3")
    for n in range(3):
        receive_request(udp_fake, story, b"1 GET")
    expect_exit(story, client, 1, hint="after the last attempt: the message, and exit 1")
    udp_fake.expect_silence(0.2, hint="-r 3: three attempts in all")


@points(2)
@handout("The client")
def test_client_gives_up_with_the_message(start, udp_fake, story):
    """Catches: a silent exit, another message, or status 0, after the last attempt."""
    client = client_for(start, udp_fake, b"GET\nGET\nGET\n", "-t", "50", "-r", "2")
    src, _ = receive_request(udp_fake, story, b"1 GET")
    udp_fake.send(b"1 0", to=src)
    receive_request(udp_fake, story, b"2 GET")
    receive_request(udp_fake, story, b"2 GET")
    expect_exit(story, client, 1)
    expect_stderr_has(story, client, b"udp-client: no reply to request 2 after 2 "
                      b"attempts " + GIVE_UP)
    expect_stdout(story, client, b"0\n")


@points(2)
@handout("Late replies")
def test_client_ignores_replies_with_another_seq(start, udp_fake, story):
    """Catches: taking the next datagram as the reply, so that a late duplicate
    of reply 1 is printed as the reply to request 2."""
    client = client_for(start, udp_fake, b"GET\nECHO b\n", "-t", "3000")
    src, _ = receive_request(udp_fake, story, b"1 GET")
    udp_fake.send(b"2 not yours", to=src)
    udp_fake.send(b"12 not yours either", to=src)
    udp_fake.send(b"1 first", to=src)
    src, _ = receive_request(udp_fake, story, b"2 ECHO b")
    udp_fake.send(b"1 first", to=src)  # a late duplicate of the first reply
    udp_fake.send(b"2 second", to=src)
    expect_exit(story, client, 0)
    expect_stdout(story, client, b"first\nsecond\n")


@points(2)
@handout("Late replies")
def test_client_ignores_datagrams_from_other_addresses(start, udp_fake, sockets, story):
    """Catches: accepting a reply without checking that it comes from the server's
    address and port."""
    stranger = sockets("stranger")
    client = client_for(start, udp_fake, b"GET\n", "-t", "3000")
    src, _ = receive_request(udp_fake, story, b"1 GET")
    stranger.send(b"1 forged", to=src)
    udp_fake.expect_silence(0.2)
    udp_fake.send(b"1 real", to=src)
    expect_exit(story, client, 0)
    expect_stdout(story, client, b"real\n")


@points(2)
@handout("Waiting with a deadline: poll(2)")
def test_ignored_datagrams_do_not_extend_the_deadline(start, udp_fake, story):
    """Catches: calling poll with the whole time-out again after each ignored
    datagram, so that noise postpones the retransmission."""
    client = client_for(start, udp_fake, b"GET\n", "-t", "300")
    src, t0 = receive_request(udp_fake, story, b"1 GET")
    story.step("test server: send `99 noise` to the client every 50 ms")
    second = None
    noise_until = time.monotonic() + 1.5
    while second is None and time.monotonic() < noise_until:
        udp_fake.sock.sendto(b"99 noise", src)
        got = udp_fake.receive_stamped(0.05)
        if got is not None:
            second = (got[0], got[2])
    story.check(second is not None and second[0] == b"1 GET",
                "test server: expect the second attempt `1 GET`", "`1 GET`",
                repr(second[0]) if second else "nothing within 1.5 s")
    expect_gap(story, "the time between the two attempts", t0, second[1], 0.3,
               hint="fix the deadline when the request is sent; ignored datagrams "
               "must not move it")
    udp_fake.send(b"1 0", to=src)
    expect_exit(story, client, 0)


@points(1)
@handout("The client")
def test_refused_port_counts_as_no_reply(start, story):
    """Catches: taking ECONNREFUSED (nobody at the port) for a fatal error instead
    of a missing reply."""
    holder = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    holder.bind(("127.0.0.1", 0))
    port = holder.getsockname()[1]
    holder.close()  # nothing there now: each request draws an ICMP port unreachable
    t0 = time.monotonic()
    client = start("udp-client", "-t", "100", "-r", "3", "127.0.0.1", port,
                   stdin=b"GET\n")
    expect_exit(story, client, 1)
    expect_gap(story, "the time until the client gave up", t0, time.monotonic(), 0.7,
               hint="a refused datagram is no reply: wait out each deadline", late=2.0)
    expect_stderr_has(story, client, b"no reply to request 1 after 3 attempts")


@points(1)
@handout("The client")
def test_client_refuses_long_and_unprintable_lines(start, udp_fake, story):
    """Catches: sending a request over 1400 bytes or with a control byte, or
    spending a SEQ on a refused line."""
    long_line = b"ECHO " + b"x" * (1400 - len(b"1 ECHO ") + 1)
    client = client_for(start, udp_fake, long_line + b"\nECHO a\tb\nGET\n")
    src, _ = receive_request(udp_fake, story, b"1 GET", hint="the first two lines are "
                             "refused: the request would exceed 1400 bytes, a TAB is "
                             "not printable; refused lines use no SEQ")
    udp_fake.send(b"1 0", to=src)
    expect_exit(story, client, 0)
    expect_stdout(story, client, b"0\n")
    story.check(client.stderr().count(b"\n") >= 2, "read udp-client's stderr",
                "a message for each refused line", repr(client.stderr()))


@points(1)
@handout("Command line and output")
def test_bad_usage_exits_2(start, story):
    """Catches: accepting a time-out or a number of tries that is not a positive
    number, or missing arguments."""
    checks.usage_errors_exit_with_2(start, story, [
        ("udp-client", ["127.0.0.1"]),
        ("udp-client", ["-t", "0", "127.0.0.1", "9"]),
        ("udp-client", ["-t", "ten", "127.0.0.1", "9"]),
        ("udp-client", ["-r", "0", "127.0.0.1", "9"]),
        ("udp-server", []),
        ("udp-server", ["-x", "0"]),
    ])


# -- the student's client and server, through the lossy relay ----------------
RELAY = dict(loss=0.3, duplicate=0.2, delay=0.5, max_delay=0.04)
RELAY_CLIENT = ("-t", "100", "-r", "10")  # max_delay stays under half of -t


@points(3)
@handout("At most once")
def test_relay_lossy_network_keeps_the_count_exact(start, lossy_relay, story):
    """Catches: a client that gives up or takes a late reply, a server that
    executes a duplicate or a retransmission again (the total is off)."""
    server = start("udp-server", "0", ready=True)
    relay = lossy_relay(server.address, **RELAY)
    client = start("udp-client", *RELAY_CLIENT, *relay.address,
                   stdin=b"INCR 1\n" * 50 + b"GET\n")
    expect_exit(story, client, 0, timeout=50.0)
    expect_stdout(story, client, b"".join(b"%d\n" % n for n in range(1, 51)) + b"50\n",
                  hint="50 INCR 1 through a network that loses and duplicates: each "
                  "executed exactly once, and each reply printed for its own request")


@points(1)
@handout("Late replies")
def test_relay_lossy_network_keeps_echoes_intact(start, lossy_relay, story):
    """Catches: replies printed for the wrong request when duplicates and
    reordering mix them."""
    server = start("udp-server", "0", ready=True)
    relay = lossy_relay(server.address, **RELAY)
    lines = [b"ECHO line %d %s" % (n, b"abcdefghij"[:n % 10]) for n in range(20)]
    client = start("udp-client", *RELAY_CLIENT, *relay.address,
                   stdin=b"\n".join(lines) + b"\n")
    expect_exit(story, client, 0, timeout=30.0)
    expect_stdout(story, client, b"".join(line[5:] + b"\n" for line in lines))
