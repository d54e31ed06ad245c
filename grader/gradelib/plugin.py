"""The pytest side of the grader: points, fixtures, and the record of results.

Loaded with `-p gradelib.plugin`. Each test carries `@pytest.mark.points(n)`
(or `points(n, bonus=True)`) and may carry `@pytest.mark.handout("section")`.
Results, one per test, are written to the file given by --results, as JSON,
for the reports (see grade.py); this also works with pytest-xdist, because
the record is made from the reports that reach the controlling process.
"""

import json
import os

import pytest
from _pytest.outcomes import Failed

from . import build as build_mod
from . import labs
from . import faults, process, sandbox
from .failure import Failure, Story
from .process import Program


def pytest_addoption(parser):
    group = parser.getgroup("grader")
    group.addoption("--scratch", help="folder where grade.py built the labs")
    group.addoption("--results", help="file to write the results to (JSON)")


def pytest_configure(config):
    # Orphans of the student's programs (double forks, setsid) are re-parented
    # to this process, where the sweep after each test finds them.
    process.become_subreaper()
    config.addinivalue_line("markers", "points(n, bonus=False): what the test is worth")
    config.addinivalue_line("markers", "handout(section): where the student reads more")
    config._grader_results = {}


# -- collection: every test states its worth --------------------------------
def pytest_collection_modifyitems(session, config, items):
    for index, item in enumerate(items):
        marker = item.get_closest_marker("points")
        if marker is None:
            raise pytest.UsageError(f"{item.nodeid} has no @pytest.mark.points")
        item.user_properties.extend([
            ("points", marker.args[0]),
            ("bonus", bool(marker.kwargs.get("bonus", False))),
            ("lab", _lab_of(item.path)),
            ("part", _part_of(item.path)),
            ("index", index),
        ])


PARTS = ["unit", "server", "client", "peer", "memcheck"]  # the order of the table


def _part_of(path):
    """'server' for test_server.py: the part of the lab a test file grades."""
    stem = os.path.basename(str(path))[len("test_"):-len(".py")]
    return stem


def _lab_of(path):
    rel = os.path.relpath(str(path), os.path.join(labs.GRADER_DIR, "labs"))
    return rel.split(os.sep)[0]


# -- what a failure says ----------------------------------------------------
@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if call.excinfo is None or not report.failed:
        return
    exc = call.excinfo.value
    if isinstance(exc, Failure):
        report.longrepr = str(exc)
        kind = "fail"
    elif isinstance(exc, Failed) and "Timeout" in str(exc):
        report.longrepr = "the test did not finish in its time bound: " + str(exc).strip()
        kind = "fail"
    else:
        kind = "grader-error"  # a bug in the grader: keep the traceback
    report.user_properties.append(("kind", kind))


# -- the record of results, kept by the controlling process -----------------
def pytest_runtest_logreport(report):
    config = _config_holder["config"]
    results = config._grader_results
    props = dict(report.user_properties)
    entry = results.setdefault(report.nodeid, {
        "nodeid": report.nodeid,
        "lab": props.get("lab"),
        "name": _display_name(report.nodeid),
        "points": props.get("points", 0),
        "bonus": props.get("bonus", False),
        "part": props.get("part", ""),
        "index": props.get("index", 0),
        "passed": None,
        "kind": None,
        "output": "",
        "duration": 0.0,
    })
    entry["duration"] += report.duration
    if report.failed and entry["passed"] is not False:
        entry["passed"] = False
        entry["kind"] = props.get("kind", "grader-error")
        entry["output"] = str(report.longrepr)
    elif report.when == "call" and report.passed and entry["passed"] is None:
        entry["passed"] = True
    elif report.skipped and entry["passed"] is None:
        entry["passed"] = False
        entry["kind"] = "grader-error"
        entry["output"] = "skipped: " + str(report.longrepr)


def _display_name(nodeid):
    name = nodeid.split("::")[-1]
    return name[len("test_"):] if name.startswith("test_") else name


def _table_order(entry):
    part = entry["part"]
    rank = PARTS.index(part) if part in PARTS else len(PARTS)
    return entry["lab"], rank, part, entry["index"]


_config_holder = {}


@pytest.hookimpl(tryfirst=True)
def pytest_sessionstart(session):
    _config_holder["config"] = session.config


def pytest_sessionfinish(session):
    config = session.config
    path = config.getoption("--results")
    if not path or hasattr(config, "workerinput"):
        return
    entries = sorted(config._grader_results.values(), key=_table_order)
    with open(path, "w") as f:
        json.dump(entries, f, indent=1)


# -- fixtures every lab uses ------------------------------------------------
@pytest.fixture(autouse=True)
def sweep():
    """After each test: no process of the test is left, whatever it did."""
    yield
    process.kill_descendants()


@pytest.fixture
def story(request):
    """The written account of this test; kills every program it watched."""
    marker = request.node.get_closest_marker("handout")
    lab = _lab_of(request.node.path)
    read = f"labs/{lab}/README.md, \"{marker.args[0]}\"" if marker else None
    s = Story(read_more=read)
    yield s
    for program in s.programs:
        program.kill()


@pytest.fixture
def lab(request):
    """The Lab this test belongs to."""
    return labs.find(_lab_of(request.node.path))


@pytest.fixture
def built(request, lab):
    """The build record of this lab; fails the test when the lab did not build."""
    scratch = request.config.getoption("--scratch")
    record = build_mod.load(scratch, lab)
    if not record["built"] and not os.path.isdir(os.path.join(record["src"], "bin")):
        raise Failure(f"{lab.name} did not build, so this test cannot run. "
                      "The compiler's output is in the build report "
                      f"('{lab.name}: build').")
    return record


@pytest.fixture(scope="session")
def libfaults(request):
    """The fault-injection library (grader/faults), built once per worker."""
    return faults.build(os.path.join(request.config.getoption("--scratch"), "faults"))


@pytest.fixture
def with_faults(libfaults, story, workdir, request):
    """with_faults(program, kinds) -> env for start(): short counts and EINTR,
    on a schedule seeded from the test's name; the seed is in the story."""
    def _env(program, kinds=faults.ALL):
        seed = faults.seed_for(request.node.name)
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
def start(built, story, workdir):
    """start(program, *args, stdin=None, ready=False, wrap=None) -> Program.

    ready=True waits for the `listening on` line; wrap(argv) may put a tool
    (Valgrind) in front of the program.
    """
    def _start(program, *args, stdin=None, ready=False, wrap=None, ready_timeout=5.0,
               env=None):
        path = os.path.join(built["src"], "bin", program)
        if not os.access(path, os.X_OK):
            raise Failure(f"bin/{program} was not built, so this test cannot run. "
                          f"See the build report ('{built['lab']}: build').")
        argv = [path, *map(str, args)]
        if wrap:
            argv = wrap(argv)
        prog = Program(argv, str(workdir), name=program, stdin=stdin, env=env)
        story.watch(prog)
        shown = " ".join(["bin/" + program, *map(str, args)])
        prog.start()
        if ready:
            try:
                prog.wait_ready(ready_timeout)
            except Failure as e:
                story.fail(f"start `{shown}`", "the line `listening on ADDRESS:PORT` "
                           "on stderr", str(e))
            story.step(f"start `{shown}`: it printed `listening on "
                       f"{prog.address[0]}:{prog.address[1]}`")
        else:
            story.step(f"start `{shown}`")
        return prog
    return _start


def load_build(config, lab_name):
    """The build record of a lab, for module-scoped fixtures; Failure if not built."""
    lab = labs.find(lab_name)
    record = build_mod.load(config.getoption("--scratch"), lab)
    if not record["built"]:
        raise Failure(f"{lab.name} did not build, so this test cannot run. The "
                      f"compiler's output is in the build report ('{lab.name}: build').")
    return record
