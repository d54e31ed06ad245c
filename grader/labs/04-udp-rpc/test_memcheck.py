"""Lab 04's memory check: whole sessions of each program under Valgrind
memcheck (--leak-check=full --track-fds=yes). The server answers 1100
clients (its table fills and evicts) and bad datagrams, then gets SIGTERM;
the client sends requests whose first attempts go unanswered, and reaches
the end of its stdin. Each session runs once; each test grades one finding,
and only if its session ran to its end."""

import pytest

from gradelib import memcheck
from gradelib.failure import QuietStory
from gradelib.datagram import Datagrams

points = pytest.mark.points
handout = pytest.mark.handout("Checking memory with Valgrind")
pytestmark = pytest.mark.xdist_group("04-udp-rpc-memcheck")  # one session, one worker

SECTION = "Checking memory with Valgrind"
WAIT = 10.0    # seconds for each step under Valgrind (start-up alone takes 0.5)
CLIENTS = 1100  # more than the table holds: eviction runs too


@pytest.fixture(scope="module")
def server_run(request, tmp_path_factory):
    """`udp-server 0`: many clients, bad datagrams, then SIGTERM."""
    s = memcheck.Session(request, tmp_path_factory, SECTION, name="memcheck-server")
    server = s.program("udp-server", "0", tag="server")
    story = s.story
    with s.running():
        s.start_server("server", timeout=WAIT)
        with Datagrams(story, "client A") as a:
            for request, reply in ((b"1 INCR 5", b"1 5"), (b"1 INCR 5", b"1 5"),
                                   (b"2 ECHO hi", b"2 hi"), (b"", b"0 ERR malformed request"),
                                   (b"\xff" * 3000, b"0 ERR malformed request"),
                                   (b"3 ECHO a\tb", b"3 ERR malformed request"),
                                   (b"4 FOO", b"4 ERR unknown command")):
                a.send(request, to=server.address)
                a.expect(reply, source=server.address, timeout=WAIT, sender=server)
        _many_clients(server.address, story)
        server.terminate(grace=WAIT)
        story.step(f"SIGTERM the server: it {server.status()}")
    yield s


def _many_clients(address, story, attempts=5):
    """Each client asks as the lab's client does: it sends again when no reply came
    in 2 s (a datagram may be lost, and a server under Valgrind on a busy core may
    be slow), and the at-most-once server answers a repeat again."""
    story.step(f"{CLIENTS} clients, one after the other, each send `1 INCR 1` and "
               f"expect `1 1`, sending again after 2 s up to {attempts} times (not "
               "written out one by one)")
    for n in range(CLIENTS):
        with Datagrams(story, f"client {n + 1}") as c:
            c.story = QuietStory(story)
            for attempt in range(attempts):
                c.send(b"1 INCR 1", to=address)
                got = c.receive(2.0)
                if got is not None:
                    break
            c.story.check(got == (b"1 1", tuple(address)),
                        f"client {n + 1}: send `1 INCR 1`, up to {attempts} times",
                        '"1 1" from the server',
                        f"{got[0]!r} from {got[1]}" if got else "no reply at all")


@pytest.fixture(scope="module")
def client_run(request, tmp_path_factory):
    """`udp-client` to a server of the grader's that ignores each first attempt."""
    s = memcheck.Session(request, tmp_path_factory, SECTION, name="memcheck-client")
    story = s.story
    with Datagrams(story, "test server") as fake:
        client = s.program("udp-client", "-t", "1000", *fake.address, tag="client",
                           stdin=b"INCR 5\nECHO hello\n\nGET\n")
        with s.running():
            client.start()
            story.step(f"start `valgrind ... bin/udp-client -t 1000 {fake.address[0]} "
                       f"{fake.address[1]}`")
            for seq, request, reply in ((1, b"INCR 5", b"5"), (2, b"ECHO hello", b"hello"),
                                        (3, b"GET", b"5")):
                wanted = b"%d %s" % (seq, request)
                fake.expect(wanted, timeout=WAIT + 5, sender=client)  # the first attempt:
                got = fake.receive(WAIT, sender=client)                  # ignored
                story.check(got is not None and got[0] == wanted,
                            "test server: expect the second attempt", repr(wanted),
                            repr(got[0]) if got else "nothing")
                fake.send(b"%d %s" % (seq, reply), to=got[1])
            code = client.wait(WAIT * 2)
            story.check(code is not None, "wait for the client to end",
                        "it to end at the end of its stdin", f"the client {client.status()}")
            story.step(f"the client {client.status()}")
    yield s


AFTER_SIGTERM = "after SIGTERM"
AT_END = "at the end of its stdin"


@points(2)
@handout
def test_server_has_no_memory_errors_and_exits_0(server_run):
    """Catches: memory errors on the server's paths (a read past a datagram, an
    uninitialised table slot), or an exit status other than 0 after SIGTERM."""
    server_run.check_errors_and_exit("server", 0, AFTER_SIGTERM)


@points(1)
@handout
def test_server_leaks_no_memory(server_run):
    """Catches: the table of clients, or getaddrinfo()'s list, never freed."""
    server_run.check_leaks("server", AFTER_SIGTERM)


@points(1)
@handout
def test_server_closes_its_socket(server_run):
    """Catches: the server's socket not closed at exit."""
    server_run.check_descriptors("server", "close the socket", AFTER_SIGTERM)


@points(2)
@handout
def test_client_has_no_memory_errors_and_exits_0(client_run):
    """Catches: memory errors in the client, or a status other than 0 at the end
    of stdin."""
    client_run.check_errors_and_exit("client", 0, AT_END)


@points(1)
@handout
def test_client_leaks_no_memory(client_run):
    """Catches: getline()'s buffer or getaddrinfo()'s list never freed."""
    client_run.check_leaks("client", AT_END)


@points(1)
@handout
def test_client_closes_its_socket(client_run):
    """Catches: the client's socket not closed before exiting."""
    client_run.check_descriptors("client", "close the socket", AT_END)
