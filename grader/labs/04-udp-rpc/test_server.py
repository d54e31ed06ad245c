"""Behaviour of bin/udp-server (contract sections 0 and 4).

Each test starts a fresh server and talks to it from UDP sockets of the
grader's; each socket has a port of its own, so each is one client as the
server sees it.
"""

import pytest

import rpc_storm
from gradelib.datagram import Datagrams
from gradelib.failure import QuietStory, show
from gradelib.process import format_address

points = pytest.mark.points
handout = pytest.mark.handout

MALFORMED = b"0 ERR malformed request"
SILENCE = 0.5  # seconds without a reply that count as "no reply"
CAPACITY = 1024


def ask(client, server, request, reply, hint=None):
    """Sends request from client and expects exactly reply from the server."""
    client.send(request, to=server.address)
    client.expect(reply, source=server.address, hint=hint)


@points(1)
@handout("The protocol")
def test_echo_gives_the_text_back(server, sockets):
    """Catches: ECHO's text cut at a space, or `ECHO` without text not answered `SEQ `."""
    c = sockets("client")
    ask(c, server, b"7 ECHO hi there", b"7 hi there")
    ask(c, server, b"8 ECHO", b"8 ")
    ask(c, server, b"9 ECHO ", b"9 ")
    ask(c, server, b"10 ECHO  two  spaces ", b"10  two  spaces ")


@points(1)
@handout("The protocol")
def test_incr_and_get_keep_the_clients_total(server, sockets):
    """Catches: INCR not returning the new total, GET not returning it, a total
    that does not start at 0."""
    c = sockets("client")
    ask(c, server, b"1 GET", b"1 0")
    ask(c, server, b"2 INCR -5", b"2 -5")
    ask(c, server, b"3 INCR 42", b"3 37")
    ask(c, server, b"4 GET", b"4 37")


@points(1)
@handout("The protocol")
def test_total_is_64_bit(server, sockets):
    """Catches: a total kept in an int, which wraps past 2147483647."""
    c = sockets("client")
    ask(c, server, b"1 INCR 2147483647", b"1 2147483647")
    ask(c, server, b"2 INCR 2147483647", b"2 4294967294")
    ask(c, server, b"3 INCR 2147483647", b"3 6442450941")
    ask(c, server, b"4 INCR -2147483648", b"4 4294967293")


@points(2)
@handout("The protocol")
def test_errors_are_answered_with_their_seq(server, sockets):
    """Catches: a wrong error text, GET with an argument taken as GET, an ARG
    outside int32 accepted, a control byte accepted."""
    c = sockets("client")
    ask(c, server, b"10 FOO", b"10 ERR unknown command")
    ask(c, server, b"11 GET 1", b"11 ERR unknown command")
    ask(c, server, b"12 INCR x", b"12 ERR bad number")
    ask(c, server, b"13 INCR", b"13 ERR bad number")
    ask(c, server, b"14 INCR 2147483648", b"14 ERR bad number")
    ask(c, server, b"15 ECHO a\tb", b"15 ERR malformed request")
    ask(c, server, b"16 GET", b"16 0", hint="no error may change the total")


@points(1)
@handout("The protocol")
def test_unparsable_seq_is_answered_with_seq_0(server, sockets):
    """Catches: answering garbage with nothing, or reading `07` or 4294967296 as a SEQ."""
    c = sockets("client")
    for request in (b"garbage", b"07 GET", b"0 GET", b"4294967296 GET", b"-1 GET"):
        ask(c, server, request, MALFORMED)


@points(1)
@handout("The protocol")
def test_one_trailing_lf_is_ignored(server, sockets):
    """Catches: the LF sent by `nc -u` taken as part of the text or the number, or
    every LF at the end removed."""
    c = sockets("client")
    ask(c, server, b"1 ECHO hi\n", b"1 hi")
    ask(c, server, b"2 INCR 5\n", b"2 5")
    ask(c, server, b"3 GET\n", b"3 5")
    ask(c, server, b"4 ECHO hi\n\n", b"4 ERR malformed request", hint="only one LF is "
        "ignored: the one before it is a byte outside 0x20..0x7E")


@points(2)
@handout("The server")
def test_two_clients_keep_separate_totals(server, sockets):
    """Catches: one total for everybody, or one last SEQ for everybody (the second
    client's SEQ 1 taken for a duplicate of the first's)."""
    a, b = sockets("client A"), sockets("client B")
    ask(a, server, b"1 INCR 5", b"1 5")
    ask(b, server, b"1 INCR 7", b"1 7", hint="client B is another client: its SEQ 1 is "
        "its own first request, and its total starts at 0")
    ask(a, server, b"2 GET", b"2 5")
    ask(b, server, b"2 GET", b"2 7")


@points(3)
@handout("At most once")
def test_duplicate_request_is_answered_not_executed(server, sockets):
    """Catches: executing a retransmitted INCR again (the total goes up twice)."""
    c = sockets("client")
    ask(c, server, b"1 INCR 5", b"1 5")
    ask(c, server, b"1 INCR 5", b"1 5", hint="the same SEQ again is a retransmission: "
        "send the remembered reply, do not add 5 again")
    ask(c, server, b"2 GET", b"2 5")


@points(2)
@handout("At most once")
def test_duplicate_gets_the_remembered_reply(server, sockets):
    """Catches: remembering only INCR's replies, or executing ECHO and errors again
    instead of sending the reply given the first time."""
    c = sockets("client")
    ask(c, server, b"1 ECHO first", b"1 first")
    ask(c, server, b"1 ECHO second", b"1 first", hint="SEQ 1 was answered already: "
        "its remembered reply goes back, whatever the request says now")
    ask(c, server, b"2 FOO", b"2 ERR unknown command")
    ask(c, server, b"2 GET", b"2 ERR unknown command")


@points(3)
@handout("At most once")
def test_older_seq_gets_no_reply(server, sockets):
    """Catches: executing or answering a delayed request older than the last one,
    or refusing a first SEQ other than 1."""
    c = sockets("client")
    ask(c, server, b"5 INCR 1", b"5 1", hint="a new client is executed whatever its "
        "first SEQ")
    c.send(b"3 INCR 1", to=server.address)
    c.expect_silence(SILENCE, hint="SEQ 3 is older than 5: drop it without a reply")
    c.send(b"4 GET", to=server.address)
    c.expect_silence(SILENCE, hint="SEQ 4 is older than 5: drop it without a reply")
    ask(c, server, b"6 GET", b"6 1")


@points(1)
@handout("At most once")
def test_seq_compares_as_unsigned_32_bit(server, sockets):
    """Catches: SEQ kept in an int, where 2147483648 is negative and looks older."""
    c = sockets("client")
    ask(c, server, b"2147483647 INCR 1", b"2147483647 1")
    ask(c, server, b"2147483648 INCR 1", b"2147483648 2", hint="2147483648 is higher "
        "than 2147483647 as an unsigned 32-bit number")
    c.send(b"2147483646 GET", to=server.address)
    c.expect_silence(SILENCE)
    ask(c, server, b"4294967295 GET", b"4294967295 2")


@points(1)
@handout("Datagrams keep their boundaries")
def test_request_of_1400_bytes_is_answered_whole(server, sockets):
    """Catches: a receive buffer smaller than 1400 bytes, or a reply cut short."""
    c = sockets("client")
    text = bytes(65 + i % 26 for i in range(1400 - len(b"1 ECHO ")))
    ask(c, server, b"1 ECHO " + text, b"1 " + text)


@points(2)
@handout("Datagrams keep their boundaries")
def test_datagram_over_1400_bytes_is_not_executed_cut_short(server, sockets):
    """Catches: reading into a 1400-byte buffer, so that a longer datagram is
    silently cut and executed."""
    c = sockets("client")
    ask(c, server, b"1 ECHO " + b"x" * (1401 - 7), MALFORMED,
        hint="read into a buffer of 1401 bytes: a datagram that fills it is too long")
    ask(c, server, b"1 ECHO " + b"y" * 9000, MALFORMED)
    ask(c, server, b"1 INCR 5", b"1 5", hint="a datagram whose SEQ did not parse "
        "creates no client: this SEQ 1 is the client's first request")


@points(1)
@handout("The server")
def test_empty_and_binary_datagrams_do_not_stop_the_server(server, sockets):
    """Catches: a crash or a stop on an empty datagram (recvfrom returns 0) or on
    bytes that are not text."""
    c = sockets("client")
    ask(c, server, b"", MALFORMED, hint="an empty datagram is a datagram: recvfrom "
        "returns 0 for it, not end of stream")
    ask(c, server, bytes(range(256)), MALFORMED)
    ask(c, server, b"\xff" * 2000, MALFORMED)
    ask(c, server, b"3 ECHO \x00\x01\x02", b"3 ERR malformed request")
    ask(sockets("another client"), server, b"1 ECHO still there", b"1 still there")


@points(2)
@handout("Remembering clients, within bounds")
def test_more_than_1024_clients_forgets_the_least_recently_seen(server, sockets,
                                                                 descriptors, story):
    """Catches: a table that grows without bound (it never forgets), one that
    forgets the wrong client (the most recent, or a refreshed one), or a server
    that stops answering when the table is full."""
    descriptors(2 * CAPACITY + 16)
    story.step(f"(the {2 * CAPACITY} other clients below send `1 INCR 1` and expect "
               "`1 1`; their steps are not written out one by one)")
    a = sockets("client A")
    ask(a, server, b"1 INCR 5", b"1 5")
    others = [_quiet_client(sockets, story, n) for n in range(2 * CAPACITY)]
    _ask_all(others[:CAPACITY - 1], server, story)
    ask(a, server, b"2 GET", b"2 5", hint="A and 1023 others: 1024 clients fit")
    _ask_all(others[CAPACITY - 1:CAPACITY], server, story)
    ask(a, server, b"3 GET", b"3 5", hint="A was seen more recently than the first of "
        "the others: that one is the client to forget, not A")
    _ask_all(others[CAPACITY:], server, story)
    ask(a, server, b"4 GET", b"4 0", hint=f"{CAPACITY} clients came after A's last "
        f"request: A is forgotten, and starts again from a total of 0")


@points(1)
@handout("Remembering clients, within bounds")
def test_garbage_does_not_refresh_a_client(server, sockets, descriptors, story):
    """Catches: a datagram whose SEQ does not parse counted as a sign of life,
    so that garbage keeps a client in the table (or pushes others out)."""
    descriptors(CAPACITY + 16)
    a = sockets("client A")
    ask(a, server, b"1 INCR 5", b"1 5")
    others = [_quiet_client(sockets, story, n) for n in range(CAPACITY)]
    _ask_all(others[:CAPACITY - 1], server, story)
    ask(a, server, b"garbage", MALFORMED)
    _ask_all(others[CAPACITY - 1:], server, story)
    ask(a, server, b"2 GET", b"2 0", hint="A's garbage did not refresh it: A was still "
        "the client seen least recently when the table overflowed, so it was forgotten")


def _quiet_client(sockets, story, n):
    c = sockets(f"client {n + 1}")
    c.story = QuietStory(story)  # thousands of steps would bury the ones that matter
    return c


def _ask_all(clients, server, story):
    for c in clients:
        ask(c, server, b"1 INCR 1", b"1 1")
    story.step(f"{len(clients)} more clients: each sent `1 INCR 1` and got `1 1`")


@points(2)
@handout("A storm of bad input")
def test_storm_of_bad_input_neither_kills_nor_confuses_the_server(server, storm, start):
    """Catches: a parser that reads past a datagram or trusts a length or a
    number somewhere no other test looks (a crash on one byte pattern), a
    server that stops on an odd datagram, or one whose bad datagrams from other
    addresses reach a good client's total."""
    s = storm(server, datagram=True, restart=lambda: start("udp-server", "0", ready=True))
    s.run(rpc_storm.storm_shot, _good_client, rounds=30, per_round=6)


def _good_client(server, story):
    """A client of its own (story quiet unless it fails); its probe sends
    `SEQ INCR 1`, sent again twice after 1 s without a reply, and expects the
    total to count its own INCRs only."""
    good = Datagrams(story, "good client")

    def probe(r):
        seq = r + 1
        request, reply = b"%d INCR 1" % seq, b"%d %d" % (seq, seq)
        for attempt in range(3):
            good.send(request, to=server.address, note=f" (attempt {attempt + 1})")
            got = good.receive(1.0, sender=server)
            while got is not None and got[0].split(b" ")[0] != b"%d" % seq:
                got = good.receive(1.0, sender=server)  # late, to an earlier attempt
            if got is not None:
                break
        action = f"good client: expect {show(reply)} from {format_address(server.address)}"
        if got is None:
            story.fail(action, show(reply), "no reply to 3 attempts, 1 s apart",
                       hint="a client is its address and port: if a datagram from "
                       "another port counted as this client's, this client's SEQ looks "
                       "old and is dropped; a server that died or hangs never answers")
        story.check(got == (reply, tuple(server.address)), action, show(reply),
                    f"{show(got[0])} from {format_address(got[1])}",
                    hint="a client is its address and port: no datagram from another "
                    "address may touch its total")
    return probe
