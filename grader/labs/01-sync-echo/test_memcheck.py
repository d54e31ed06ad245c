"""Lab 01's memory check: a realistic session with both programs under
Valgrind memcheck (--leak-check=full --track-fds=yes); the server is
stopped with SIGTERM. The session runs once; each test grades one finding."""

import pytest

from gradelib import memcheck, sandbox
from gradelib.conversation import Conversation
from gradelib.failure import Failure, Story
from gradelib.plugin import load_build
from gradelib.process import Program

points = pytest.mark.points
handout = pytest.mark.handout("Checking memory with Valgrind")

CLIENT_INPUT = b"hello\nsecond line\n" + b"z" * 3000 + b"\nexit\n"


@pytest.fixture(scope="module")
def session(request, tmp_path_factory):
    """Runs the session; returns (story, server, server report, client, client report)."""
    build = load_build(request.config, "01-sync-echo")
    work = str(tmp_path_factory.mktemp("memcheck"))
    sandbox.give_to_student(work, root=request.config.getoption("--scratch"))
    vg_dir = work + "/valgrind"
    story = Story()
    bin_dir = build["src"] + "/bin/"
    server = story.watch(Program(memcheck.wrap([bin_dir + "echo-server", "0"], vg_dir,
                                               "server"), work, name="echo-server"))
    client = None
    try:
        server.start()
        server.wait_ready(timeout=15.0)
        story.step("start `valgrind ... bin/echo-server 0`")
        _misbehaving_clients(server.address, story)
        client = story.watch(Program(memcheck.wrap(
            [bin_dir + "echo-client", *map(str, server.address)], vg_dir, "client"),
            work, name="echo-client", stdin=CLIENT_INPUT))
        client.start()
        story.step("start `valgrind ... bin/echo-client` with 4 lines, the last `exit`")
        client.wait(20.0)
        story.step(f"the client {client.status()}")
        server.terminate(grace=10.0)
        story.step(f"SIGTERM the server: it {server.status()}")
    except Failure as e:
        story.step("the session stopped early", str(e).splitlines()[0])
    finally:
        server.kill()
        if client:
            client.kill()
    yield (story, server, memcheck.read(vg_dir, "server"),
           client, memcheck.read(vg_dir, "client"))


def _misbehaving_clients(address, story):
    """The server's error paths run under Valgrind too: a reset, a too-long line."""
    c = Conversation.connect(address, story, "client that resets")
    c.send(b"a line\n")
    c.expect_line(b"a line\n", timeout=10.0)
    c.reset()
    c = Conversation.connect(address, story, "client with a long line")
    c.send(b"w" * 5000 + b"\n")
    c.expect_line(b"error: line too long\n", timeout=10.0)
    c.close()


def _report_of(session, who):
    story, server, server_report, client, client_report = session
    program, report = (server, server_report) if who == "server" else (client, client_report)
    if program is None or report is None:
        raise Failure(f"Valgrind wrote no report for echo-{who}: the session did not "
                      "get that far.\n" + story.render())
    return story, program, report


def _fail_with(story, what, findings):
    shown = "\n".join("  " + f for f in findings[:8])
    more = f"\n  ... and {len(findings) - 8} more" if len(findings) > 8 else ""
    raise Failure(f"{what}:\n{shown}{more}\n\nthe session:\n{story.render()}\n"
                  f"read: labs/01-sync-echo/README.md, \"Checking memory with Valgrind\"")


@points(3)
@handout
def test_server_has_no_memory_errors_and_exits_0(session):
    story, server, report = _report_of(session, "server")
    if report.errors:
        _fail_with(story, "Valgrind found memory errors in echo-server", report.errors)
    if server.returncode() != 0:
        raise Failure(f"echo-server {server.status()} after SIGTERM, expected exit "
                      f"status 0.\n{story.render()}")


@points(4)
@handout
def test_server_leaks_no_memory(session):
    story, _, report = _report_of(session, "server")
    if not report.complete:
        raise Failure("echo-server had to be killed, so Valgrind could not finish its "
                      "leak check (did it exit on SIGTERM?).\n" + story.render())
    if report.leaks:
        _fail_with(story, "echo-server lost memory (definitely or indirectly)", report.leaks)


@points(3)
@handout
def test_server_closes_its_descriptors(session):
    story, _, report = _report_of(session, "server")
    if not report.complete:
        raise Failure("echo-server had to be killed, so Valgrind could not list its "
                      "descriptors (did it exit on SIGTERM?).\n" + story.render())
    if report.open_fds:
        _fail_with(story, "echo-server left descriptors open at exit (close the "
                   "listening socket and the client's socket)", report.open_fds)


@points(5)
@handout
def test_client_is_clean_under_valgrind(session):
    story, client, report = _report_of(session, "client")
    findings = report.errors + report.leaks + report.open_fds
    if not report.complete:
        findings.append("the client did not exit, so Valgrind's report is cut off")
    if findings:
        _fail_with(story, "Valgrind's findings for echo-client", findings)
    if client.returncode() != 0:
        raise Failure(f"echo-client {client.status()}, expected exit status 0 after "
                      f"`bye`.\n{story.render()}")
