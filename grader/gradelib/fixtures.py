"""The fixtures every lab's tests use; registered by gradelib.plugin.

    story       the written account of the test (gradelib.failure.Story)
    lab         the Lab the test belongs to
    built       the lab's build record; fails the test if the lab did not build
    workdir     the test's own folder, the student's to write in
    start       start(program, *args, ...) -> Program, watched by the story
    fake        a FakeServer of the grader's, for testing a client
    with_faults with_faults(program, kinds) -> env that injects short counts/EINTR
    netcat, netcat_listening   OpenBSD nc as a real other side
    datagrams   datagrams(label) -> a UDP socket of the grader's (one client)
    lossy_relay lossy_relay(server_address, **rates) -> a seeded lossy UDP relay
    descriptors descriptors(n): lets the grader hold n more sockets
    storm       storm(server, datagram=False) -> a seeded storm.Storm of bad input
"""

import os
import resource

import pytest

from . import build as build_mod
from . import faults, labs, netcat as netcat_mod, process, relay, sandbox, starts
from . import storm as storm_mod
from .conversation import FakeServer
from .datagram import Datagrams
from .failure import Failure, Story
from .process import Program


@pytest.fixture(autouse=True)
def sweep():
    """After each test: no process of the test is left, whatever it did."""
    yield
    process.kill_descendants()


@pytest.fixture
def lab(request):
    """The Lab this test belongs to."""
    return labs.load(labs.of_path(request.node.path))


@pytest.fixture
def story(request, lab):
    """The written account of this test; kills every program it watched."""
    marker = request.node.get_closest_marker("handout")
    read = f"{lab.handout}, \"{marker.args[0]}\"" if marker else None
    s = Story(read_more=read)
    yield s
    for program in s.programs:
        program.kill()


@pytest.fixture
def built(request, lab):
    """The build record of this lab; fails the test when the lab did not build."""
    return build_mod.require(request.config.getoption("--scratch"), lab)


@pytest.fixture(scope="session")
def libfaults(request):
    """The fault-injection library (grader/faults), built once per worker."""
    return faults.build(os.path.join(request.config.getoption("--scratch"), "faults"))


@pytest.fixture
def with_faults(libfaults, story, workdir, request, built, lab):
    """with_faults(program, kinds) -> env for start(): short counts and EINTR,
    on a schedule seeded from the test's name and the student's answer files
    (the same code gets the same faults); the seed is in the story."""
    def _env(program, kinds=faults.ALL):
        seed = faults.seed_for(request.node.name,
                               faults.code_digest(built["src"], lab.answer_files))
        story.step(faults.describe(seed, kinds, program))
        return faults.env(libfaults, seed, kinds,
                          log=os.path.join(workdir, f"{program}.faults.log"))
    return _env


@pytest.fixture
def workdir(request, tmp_path):
    """The test's own folder, where the student's programs run and may write."""
    sandbox.give_to_student(tmp_path, root=request.config.getoption("--scratch"))
    return tmp_path


@pytest.fixture
def start(built, story, workdir, request):
    """start(program, *args, stdin=None, ready=False, wrap=None, env=None) -> Program.

    stdin: None (empty), bytes to feed, or "pipe" (type with stdio.Typist).
    ready=True waits for the `listening on` line and reads the address back
    (prog.address: (host, port), or a path for AF_UNIX). A server that did not
    print it in time once is not waited for again with the same command line
    in this grading: the tests that need it fail at once with that story.
    wrap(argv) may put a tool (Valgrind) in front of the program.
    """
    known = starts.Record(request.config.getoption("--scratch"), built["lab"])

    def _start(program, *args, stdin=None, ready=False, wrap=None, ready_timeout=5.0,
               env=None):
        path = os.path.join(built["src"], "bin", program)
        shown = " ".join(["bin/" + program, *map(str, args)])
        if not os.access(path, os.X_OK):
            raise Failure(f"bin/{program} was not built, so this test cannot run. "
                          f"See the build report ('{built['lab']}: build').")
        key = starts.key(program, args, env, wrap)
        if ready and known.failed(key):
            story.fail(f"start `{shown}`", "the line `listening on ADDRESS` on stderr",
                       known.failed(key) + " (in an earlier test of this grading; "
                       "not waited for again)")
        argv = [path, *map(str, args)]
        if wrap:
            argv = wrap(argv)
        prog = Program(argv, str(workdir), name=program, stdin=stdin, env=env)
        story.watch(prog)
        prog.start()
        if not ready:
            story.step(f"start `{shown}`")
            return prog
        try:
            prog.wait_ready(ready_timeout)
        except Failure as e:
            if prog.alive():  # silent but running: the costly case, remembered
                known.fail(key, str(e))
            story.fail(f"start `{shown}`", "the line `listening on ADDRESS` on stderr",
                       str(e))
        story.step(f"start `{shown}`: it printed `listening on {prog.shown_address}`")
        if not wrap and prog.spins():
            why = (f"{program} printed its ready line, then ran without a pause (a busy "
                   "loop) instead of waiting in accept(2), poll(2) or recv(2)")
            known.fail(key, why)
            story.fail(f"watch `{shown}` once ready", "it to wait for clients", why,
                       hint="a server sleeps in a blocking call until there is work; a "
                       "loop that polls with a zero time-out or ignores the result of "
                       "poll() burns a core")
        return prog
    return _start


@pytest.fixture
def fake_label():
    """How stories name the grader's fake server; a lab's conftest may override it."""
    return "test server"


@pytest.fixture
def fake(story, fake_label):
    """A listening TCP socket of the grader's on 127.0.0.1, for a client to connect to."""
    with FakeServer(story, label=fake_label) as server:
        yield server


@pytest.fixture
def netcat(story, workdir):
    """netcat(*args) -> OpenBSD `nc` started with its stdin a pipe, watched by the
    story (killed when the test ends; its stderr shows in a failure)."""
    def _start(*args):
        nc = story.watch(Program(["nc", *map(str, args)], str(workdir), name="nc",
                                 stdin="pipe"))
        nc.start()
        story.step("start `nc " + " ".join(map(str, args)) + "`")
        return nc
    return _start


@pytest.fixture
def netcat_listening(netcat, story):
    """netcat_listening() -> (nc, port): `nc -lvnN 127.0.0.1 0`, ready."""
    def _start(timeout=5.0):
        nc = netcat("-l", "-v", "-n", "-N", "127.0.0.1", "0")
        port = netcat_mod.wait_listening(nc, timeout)
        story.step(f"nc printed `Listening on 127.0.0.1 {port}`")
        return nc, port
    return _start


@pytest.fixture
def datagrams(story):
    """datagrams(label, stamped=False) -> a Datagrams: a UDP socket of the grader's
    with a port of its own (one client, as a server sees it). Closed at the end."""
    opened = []

    def _open(label="client", stamped=False):
        d = Datagrams(story, label, stamped=stamped)
        opened.append(d)
        return d
    yield _open
    for d in opened:
        d.close()


@pytest.fixture
def lossy_relay(story, request, lab):
    """lossy_relay(server_address, **rates) -> a running relay.LossyRelay in front
    of the server, seeded from the test's name (SOCKETLAB_RELAY_SEED overrides);
    the story's first relay step gives the seed and the command that replays it."""
    opened = []

    def _open(server_address, **rates):
        seed = relay.seed_for(request.node.name)
        name = request.node.name.removeprefix("test_")
        r = relay.LossyRelay(story, server_address, seed,
                             replay=relay.replay_command(lab.number, name, seed), **rates)
        opened.append(r.__enter__())
        return r
    yield _open
    for r in opened:
        r.close()


@pytest.fixture
def descriptors():
    """descriptors(n): makes sure the grader may hold n more open sockets."""
    def _raise(n):
        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        want = len(os.listdir("/proc/self/fd")) + n + 64
        if soft != resource.RLIM_INFINITY and soft < want:
            top = want if hard == resource.RLIM_INFINITY else min(want, hard)
            resource.setrlimit(resource.RLIMIT_NOFILE, (top, hard))
    return _raise


@pytest.fixture
def storm(story, request, lab, built):
    """storm(server, datagram=False, sources=4) -> a storm.Storm against server,
    seeded from the test's name and the student's answer files (the same code
    meets the same storm; SOCKETLAB_STORM_SEED replays one). Closed at the end."""
    opened = []

    def _open(server, **options):
        seed = storm_mod.seed_for(request.node.name,
                                  faults.code_digest(built["src"], lab.answer_files))
        name = request.node.name.removeprefix("test_")
        s = storm_mod.Storm(story, server, seed, replay=f"make grade LAB={lab.number} "
                            f"TEST={name}", **options)
        opened.append(s)
        return s
    yield _open
    for s in opened:
        s.close()
