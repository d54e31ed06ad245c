"""The pytest side of the grader: points, failure texts, and the record of results.

grade.py loads it with `-p gradelib.plugin`. Each test carries
`@pytest.mark.points(n)` (or `points(n, bonus=True)`) and may carry
`@pytest.mark.handout("section")`. One Result per test is written to the file
given by --results, for the reports. With pytest-xdist the record is made in
the controlling process, from the reports that reach it.

The fixtures every lab uses are in gradelib/fixtures.py, registered here.
"""

import os
import sys

import pytest

from . import faults, fixtures, labs, process, results, storm
from .failure import Failure


def pytest_addoption(parser):
    group = parser.getgroup("grader")
    group.addoption("--scratch", help="folder where grade.py built the labs")
    group.addoption("--results", help="file to write the results to (JSON)")
    group.addoption("--progress", action="store_true",
                    help="print one character per test as it ends (. F E)")
    group.addoption("--rerun-submission", default="",
                    help="the SUBMISSION= of the rerun command a failure ends with")


# A lab may keep helpers its tests and conftest import (lab 03's chat_frames.py)
# next to them; test files are imported with --import-mode=importlib, so the lab
# folders go on the path, before any conftest loads. Their names are unique
# across labs (make test checks).
for _name in labs.names():
    sys.path.insert(0, os.path.join(labs.LABS_DIR, _name))


def pytest_configure(config):
    config.addinivalue_line("markers", "points(n, bonus=False): what the test is worth")
    config.addinivalue_line("markers", "handout(section): where the student reads more")
    config.pluginmanager.register(GraderPlugin(config), "socketlab-grader")
    config.pluginmanager.register(fixtures, "socketlab-fixtures")


class GraderPlugin:
    """Gives each test its worth and place, and keeps the record of results."""

    def __init__(self, config):
        self.config = config
        self.results = {}  # nodeid -> Result, in the controlling process only
        self.labs = {}

    def _lab(self, name):
        if name not in self.labs:
            self.labs[name] = labs.load(name)
        return self.labs[name]

    def pytest_configure(self, config):
        # Orphans of the student's programs (double forks, setsid) are re-parented
        # to this process, where the sweep after each test finds them.
        process.become_subreaper()

    # -- collection: every test states its worth --------------------------
    def pytest_collection_modifyitems(self, session, config, items):
        counters = {}
        for item in items:
            marker = item.get_closest_marker("points")
            if marker is None:
                raise pytest.UsageError(f"{item.nodeid} has no @pytest.mark.points")
            lab = self._lab(labs.of_path(item.path))
            part = _part_of(item.path)
            order = counters[(lab.name, part)] = counters.get((lab.name, part), -1) + 1
            item.user_properties.extend([
                ("points", marker.args[0]),
                ("bonus", bool(marker.kwargs.get("bonus", False))),
                ("lab", lab.name),
                ("part", part),
                ("part_title", lab.part_title(part)),
                ("rank", (lab.part_rank(part), order)),
                ("hidden", labs.is_private(item.path)),  # an instructor's private test
            ])

    # -- what a failure says ----------------------------------------------
    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_makereport(self, item, call):
        outcome = yield
        report = outcome.get_result()
        if call.excinfo is None or not report.failed:
            return
        exc = call.excinfo.value
        if isinstance(exc, Failure):
            text = str(exc)
            kind = "fail"
            if exc.story:  # the same account as data, for the HTML report's diagram
                report.user_properties.append(("story", exc.story))
        elif isinstance(exc, pytest.fail.Exception) and "Timeout" in str(exc):
            text = "the test did not finish in its time bound: " + str(exc).strip()
            kind = "fail"
        else:
            kind = "grader-error"  # a bug in the grader: keep the traceback
        if kind == "fail":
            lab = self._lab(labs.of_path(item.path))
            report.longrepr = text + "\n" + rerun_command(
                lab.number, item.nodeid, text, self.config.getoption("--rerun-submission"))
        report.user_properties.append(("kind", kind))

    # -- the record, kept by the controlling process ----------------------
    def pytest_runtest_logreport(self, report):
        props = dict(report.user_properties)
        result = self.results.get(report.nodeid)
        if result is None:
            result = self.results[report.nodeid] = results.Result(
                lab=props.get("lab", ""), name=_display_name(report.nodeid),
                points=props.get("points", 0), bonus=props.get("bonus", False),
                part=props.get("part", ""), part_title=props.get("part_title", ""),
                rank=tuple(props.get("rank", (0, 0))), nodeid=report.nodeid,
                hidden=props.get("hidden", False))
        result.duration += report.duration
        ended = None
        if report.failed and result.passed is not False:
            result.passed = False
            result.kind = props.get("kind", "grader-error")
            result.output = str(report.longrepr)
            result.story = props.get("story")
            ended = "E" if report.when == "setup" else "F"
        elif report.when == "call" and report.passed and result.passed is None:
            result.passed = True
            ended = "."
        elif report.skipped and result.passed is None:
            result.passed = False
            result.kind = "grader-error"
            result.output = "skipped: " + str(report.longrepr)
            ended = "E"
        if ended and self.config.getoption("--progress") \
                and not hasattr(self.config, "workerinput"):
            sys.stdout.write(ended)
            sys.stdout.flush()

    def pytest_sessionfinish(self, session):
        path = self.config.getoption("--results")
        if not path or hasattr(self.config, "workerinput"):
            return
        if self.config.getoption("--progress"):
            print(flush=True)
        ordered = sorted(self.results.values(), key=lambda r: (r.lab, r.rank))
        results.dump(ordered, path)


def rerun_command(lab_number, nodeid, text="", submission=""):
    """The one command that runs this test again, and only it (with the seed of
    its injected faults, if the failure text shows one, and the submission
    folder, if it is not the kit's labs/)."""
    name = _display_name(nodeid)
    term = name.rstrip("]").split("/")[-1].split("[")[-1]  # unit[suite/x] -> x
    prefix = ""
    for kind in (faults, storm):  # a seed the failure shows replays with it
        seed = kind.seed_in(text)
        prefix += f"{kind.SEED_ENV}={seed} " if seed is not None else ""
    where = f" SUBMISSION={submission}" if submission else ""
    return f"rerun just this test: {prefix}make grade LAB={lab_number} TEST={term}{where}"


def _part_of(path):
    """'server' for test_server.py: the part of the lab a test file grades."""
    return path.name[len("test_"):-len(".py")]


def _display_name(nodeid):
    name = nodeid.split("::")[-1].split("@")[0]  # xdist adds @group to grouped tests
    return name[len("test_"):] if name.startswith("test_") else name
