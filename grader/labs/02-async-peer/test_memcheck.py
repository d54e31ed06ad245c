"""Lab 02's memory check: two realistic sessions with bin/peer under Valgrind
memcheck (--leak-check=full --track-fds=yes), one in each mode, each ended
the way the contract says. Each session runs once; each test grades one
finding."""

import pytest

from gradelib import memcheck, sandbox
from gradelib.conversation import Conversation, FakeServer
from gradelib.failure import Failure, Story
from gradelib.plugin import load_build
from gradelib.process import Program
from gradelib.stdio import Screen, Typist

points = pytest.mark.points
handout = pytest.mark.handout("Checking memory with Valgrind")

# Valgrind exits with this status instead of the program's when it found errors
# or leaks (--error-exitcode in memcheck.VALGRIND).
LEAK_STATUS = memcheck.ERROR_EXIT
READ_MORE = 'labs/02-async-peer/README.md, "Checking memory with Valgrind"'
WAIT = 10.0  # seconds for each step under Valgrind (start-up alone takes 0.5)
BIG = bytes(range(32, 127)) * 2000 + b"\n"  # 190 KB in one line: several reads
TYPED = bytes(range(32, 127)) * 200 + b"\n"  # 19 KB: less than a pipe holds, so
# typing it never blocks the grader, whatever the peer does with its stdin


class Run:
    """One session under Valgrind: its story, the program, and memcheck's report."""

    def __init__(self, story, program, report, how_it_ends, completed):
        self.story = story
        self.program = program
        self.report = report
        self.how_it_ends = how_it_ends
        self.completed = completed  # every step of the session went as expected


def _peer_under_valgrind(request, tmp_path_factory, story, tag, args):
    build = load_build(request.config, "02-async-peer")
    work = str(tmp_path_factory.mktemp(f"memcheck-{tag}"))
    sandbox.give_to_student(work, root=request.config.getoption("--scratch"))
    vg_dir = work + "/valgrind"
    argv = memcheck.wrap([build["src"] + "/bin/peer", *map(str, args)], vg_dir, tag)
    peer = story.watch(Program(argv, work, name="peer", stdin="pipe"))
    return peer, vg_dir


@pytest.fixture(scope="module")
def listen_run(request, tmp_path_factory):
    """`peer -l 0`: traffic both ways, then the other side closes."""
    story = Story(read_more=READ_MORE)
    peer, vg_dir = _peer_under_valgrind(request, tmp_path_factory, story, "listen",
                                        ["-l", "0"])
    completed = False
    try:
        peer.start()
        peer.wait_ready(timeout=WAIT + 5)
        story.step("start `valgrind ... bin/peer -l 0`")
        keys, screen = Typist(peer, story), Screen(peer, story)
        with Conversation.connect(peer.address, story, "other side") as conn:
            conn.send(b"hello\n")
            screen.expect(b"hello\n", timeout=WAIT)
            keys.type(b"typed line\n" + TYPED)
            conn.expect_bytes(b"typed line\n" + TYPED, timeout=WAIT,
                              action="other side: expect the typed lines (19 KB)")
            conn.send(BIG)
            screen.expect(BIG, timeout=WAIT)
            keys.type(b"never sent, no LF")
            conn.send(b"last line\nex")
            conn.shutdown_write()
            peer.wait(WAIT * 2)
            story.step(f"the peer {peer.status()}")
            conn.expect_eof(timeout=WAIT)
        completed = True
    except (Failure, OSError) as e:  # OSError: the peer reset the connection
        _note_stop(story, e)
    finally:
        peer.kill()
    yield Run(story, peer, memcheck.read(vg_dir, "listen"),
              "after the other side closed", completed)


@pytest.fixture(scope="module")
def connect_run(request, tmp_path_factory):
    """`peer 127.0.0.1 PORT`: traffic both ways, then `exit` typed on stdin."""
    story = Story(read_more=READ_MORE)
    with FakeServer(story, label="other side") as fake:
        peer, vg_dir = _peer_under_valgrind(request, tmp_path_factory, story, "connect",
                                            fake.address)
        completed = False
        try:
            peer.start()
            story.step(f"start `valgrind ... bin/peer {fake.address[0]} {fake.address[1]}`")
            keys, screen = Typist(peer, story), Screen(peer, story)
            with fake.accept(timeout=WAIT + 5, client=peer) as conn:
                conn.send(b"hi\n" + BIG)
                screen.expect(b"hi\n" + BIG, timeout=WAIT)
                keys.type(b"one\ntwo\n" + TYPED)
                conn.expect_bytes(b"one\ntwo\n" + TYPED, timeout=WAIT,
                                  action="other side: expect the typed lines (19 KB)")
                conn.send(b"exi")  # held back by the peer when `exit` is typed
                keys.type(b"exit\n")
                conn.expect_line(b"exit\n", timeout=WAIT)
                conn.expect_eof(timeout=WAIT)
                peer.wait(WAIT * 2)
                story.step(f"the peer {peer.status()}")
            completed = True
        except (Failure, OSError) as e:
            _note_stop(story, e)
        finally:
            peer.kill()
    yield Run(story, peer, memcheck.read(vg_dir, "connect"), "after `exit` was typed",
              completed)


def _note_stop(story, failure):
    """Records why the session stopped, unless its last step already says so."""
    if isinstance(failure, OSError):
        failure = f"the connection failed: {failure.strerror or failure}"
    if not story.steps or story.steps[-1][1] == "ok":
        story.step("the session stopped", f"FAILED: {failure}")


def _checked(run, mode, whole=False):
    """run, if Valgrind reported on it (and, with whole, if the session ran to its
    end: leaks and descriptors are judged at the end the contract describes)."""
    if run.report is None:
        raise Failure(f"Valgrind wrote no report for the peer in {mode} mode: the "
                      "session did not get that far.\n" + run.story.render())
    if whole and not run.completed:
        raise Failure(f"the session in {mode} mode did not run to its end, so what the "
                      "peer leaves behind at the end cannot be judged. The behaviour "
                      "tests show what went wrong; the session:\n" + run.story.render())
    return run


def _fail_with(run, what, findings):
    shown = "\n".join("  " + f for f in findings[:8])
    more = f"\n  ... and {len(findings) - 8} more" if len(findings) > 8 else ""
    raise Failure(f"{what}:\n{shown}{more}\n\nthe session:\n{run.story.render()}")


def _no_errors_and_exit_0(run, mode):
    run = _checked(run, mode)
    if run.report.errors:
        _fail_with(run, f"Valgrind found memory errors in the peer ({mode} mode)",
                   run.report.errors)
    if not run.completed:
        raise Failure(f"the session in {mode} mode did not run to its end (the peer "
                      f"{run.program.status()}):\n{run.story.render()}")
    if run.program.returncode() == LEAK_STATUS and run.report.leaks:
        return  # Valgrind's status for the leaks, which the leak test grades
    if run.program.returncode() != 0:
        raise Failure(f"the peer ({mode} mode) {run.program.status()} "
                      f"{run.how_it_ends}, expected exit status 0.\n{run.story.render()}")


def _no_leaks(run, mode):
    run = _checked(run, mode, whole=True)
    if not run.report.complete:
        raise Failure(f"the peer ({mode} mode) did not exit {run.how_it_ends}, so "
                      "Valgrind could not finish its leak check.\n" + run.story.render())
    if run.report.leaks:
        _fail_with(run, f"the peer ({mode} mode) lost memory (definitely or indirectly)",
                   run.report.leaks)


def _no_open_descriptors(run, mode, which):
    run = _checked(run, mode, whole=True)
    if not run.report.complete:
        raise Failure(f"the peer ({mode} mode) did not exit {run.how_it_ends}, so "
                      "Valgrind could not list its descriptors.\n" + run.story.render())
    if run.report.open_fds:
        _fail_with(run, f"the peer ({mode} mode) left descriptors open at exit ({which})",
                   run.report.open_fds)


@points(3)
@handout
def test_listen_mode_has_no_memory_errors_and_exits_0(listen_run):
    """Catches: a decision taken on uninitialised state (a flag of the session never
    set), bytes sent or printed that were never received or read, a heap buffer
    overrun, or a non-zero exit."""
    _no_errors_and_exit_0(listen_run, "listen")


@points(3)
@handout
def test_listen_mode_leaks_no_memory(listen_run):
    """Catches: getaddrinfo()'s list never freed (freeaddrinfo forgotten), or a buffer
    allocated with malloc() and never freed."""
    _no_leaks(listen_run, "listen")


@points(2)
@handout
def test_listen_mode_closes_its_descriptors(listen_run):
    """Catches: the listening socket kept after accept, or the connection not closed."""
    _no_open_descriptors(listen_run, "listen", "close the connected socket, and the "
                         "listening socket right after accept")


@points(3)
@handout
def test_connect_mode_has_no_memory_errors_and_exits_0(connect_run):
    """Catches: memory errors on the `exit` path (a held-back line, the queue drained
    while closing), or a non-zero exit after `exit`."""
    _no_errors_and_exit_0(connect_run, "connect")


@points(2)
@handout
def test_connect_mode_leaks_no_memory(connect_run):
    """Catches: the `exit` path returning without freeing what the session holds
    (freeaddrinfo forgotten, queues not freed)."""
    _no_leaks(connect_run, "connect")


@points(2)
@handout
def test_connect_mode_closes_its_descriptors(connect_run):
    """Catches: the socket not closed on the `exit` path, or a socket of a failed
    connect attempt left open."""
    _no_open_descriptors(connect_run, "connect", "close the socket before exiting")
