"""The instructors' tools: the HTML report and its sequence diagrams, private
tests, the Gradescope autograder, the class grader."""

import csv
import json
import os
import re
import shutil
import stat
import subprocess
import sys
import tarfile
import zipfile

import pytest

import classroom
import kit
from gradelib import failure, html_report, labs, layout, reports, sequence
from gradelib.results import Result

GRADER = labs.GRADER_DIR


# -- the story as data, drawn ----------------------------------------------------
class _Prog:
    name, proc = "echo-server", object()

    def alive(self):
        return False

    def wait(self, t):
        return 0

    def status(self):
        return "exited with status 0"

    def stderr_tail(self):
        return ["echo-server: listening on 127.0.0.1:4000"]


def _failed_story():
    story = failure.Story(read_more='labs/01-sync-echo/README.md, "The exit line"')
    story.watch(_Prog())
    story.step("start `bin/echo-server 0`: it printed `listening on 127.0.0.1:4000`")
    story.step("client: connect 127.0.0.1:4000")
    story.step('client: send "exit\\n" (5 bytes)')
    with pytest.raises(failure.Failure) as caught:
        story.fail('client: expect the line "bye\\n" (4 bytes)', '"bye\\n" (4 bytes)',
                   '"exit\\n" (5 bytes)', hint="answer exit with bye")
    return story, caught.value


def test_a_failure_carries_its_story_as_data_and_the_same_text():
    story, exc = _failed_story()
    rec = exc.story
    assert str(exc) == story.render("answer exit with bye")
    assert [s["action"].split(":")[0] for s in rec["steps"]] == [
        "start `bin/echo-server 0`", "client", "client", "client"]
    assert rec["steps"][-1]["expected"] == '"bye\\n" (4 bytes)'
    assert rec["steps"][-1]["got"] == '"exit\\n" (5 bytes)'
    assert all(isinstance(s["t"], float) for s in rec["steps"])
    assert rec["hint"] == "answer exit with bye"
    assert rec["programs"][0]["stderr"] == ["echo-server: listening on 127.0.0.1:4000"]
    json.dumps(rec)  # it travels through pytest-xdist and results files


def test_sequence_puts_sends_towards_the_program_and_expectations_back():
    _, exc = _failed_story()
    lifelines, events = sequence.parse(exc.story)
    assert lifelines == ["client", "echo-server"]
    kinds = [(e.kind, e.source, e.target, e.failed) for e in events]
    assert kinds == [("note", None, None, False),
                     ("arrow", "client", "echo-server", False),
                     ("arrow", "client", "echo-server", False),
                     ("arrow", "echo-server", "client", True)]
    assert events[-1].expected == '"bye\\n" (4 bytes)'


def test_sequence_places_stdin_stdout_and_unknown_steps():
    story = {"programs": [{"name": "echo-client"}], "steps": [
        {"action": "other side: listen on 127.0.0.1:9", "outcome": "ok", "t": 0},
        {"action": "start `bin/echo-client 127.0.0.1 9`", "outcome": "ok", "t": 0},
        {"action": "type into echo-client's stdin: \"a\\n\"", "outcome": "ok", "t": 0},
        {"action": "expect \"A\\n\" on echo-client's stdout", "outcome": "ok", "t": 0},
        {"action": "something else entirely", "outcome": "ok", "t": 0}]}
    lifelines, events = sequence.parse(story)
    assert lifelines == ["other side", "terminal", "echo-client"]
    assert [(e.source, e.target) for e in events[2:4]] == [
        ("terminal", "echo-client"), ("echo-client", "terminal")]
    assert events[4].kind == "note" and events[4].over == []
    svg = sequence.svg(story)
    assert svg.startswith("<svg") and svg.count("<g class=") == 5


def _entries():
    _, exc = _failed_story()
    return [
        Result("01-sync-echo", "build", 0, part="build", rank=(-1, 0), passed=True),
        Result("01-sync-echo", "echoes_a_line", 60, part="server", part_title="the server",
               passed=True),
        Result("01-sync-echo", "exit_is_answered_with_bye", 38, part="server",
               part_title="the server", passed=False, kind="fail",
               output=str(exc) + "\nrerun just this test: make grade LAB=01 TEST=exit",
               story=exc.story),
        Result("01-sync-echo", "secret_check", 2, part="private", passed=False, kind="fail",
               output="secret details", hidden=True),
    ]


def test_html_report_is_self_contained_and_shows_the_failure():
    page = html_report.render(_entries(), ["a note"], "Grading report: ada")
    assert "<svg" in page and "Grading report: ada" in page
    assert not re.search(r"<script|<link|<img|src=|@import|url\(http", page)
    assert "http://" not in page.replace('xmlns="http://www.w3.org/2000/svg"', "")
    assert "make grade LAB=01 TEST=exit" in page and "answer exit with bye" in page
    assert "The exit line" in page and "listening on 127.0.0.1:4000" in page
    assert "secret details" not in page and "private test" in page


def test_results_json_follows_gradescopes_format(tmp_path):
    """https://gradescope-autograders.readthedocs.io/en/latest/specs/"""
    reports.write_all(tmp_path, _entries(), ["a note"])
    check_gradescope_results(json.loads((tmp_path / "results.json").read_text()),
                             extra={"max_score"})
    data = json.loads((tmp_path / "results.json").read_text())
    hidden = [t for t in data["tests"] if t.get("visibility")]
    assert [t["name"] for t in hidden] == ["01-sync-echo: secret_check"]
    assert hidden[0]["visibility"] == "hidden"
    assert (tmp_path / "report.html").exists()


VISIBILITY = {"hidden", "after_due_date", "after_published", "visible"}
FORMATS = {"text", "html", "simple_format", "md", "ansi"}
TOP = {"score", "execution_time", "output", "output_format", "test_output_format",
       "test_name_format", "visibility", "stdout_visibility", "extra_data", "tests",
       "leaderboard"}
TEST = {"score", "max_score", "status", "name", "name_format", "number", "output",
        "output_format", "tags", "visibility", "extra_data"}


def check_gradescope_results(data, extra=()):
    """Gradescope's results.json, as its specification documents it. extra: keys
    the kit adds at the top (its results.json has "max_score", which the
    contract asks for; gradescope.py run drops it for Gradescope)."""
    assert isinstance(data, dict) and set(data) <= TOP | set(extra), set(data) - TOP
    assert "score" in data or all("score" in t for t in data.get("tests", []))
    number = (int, float)
    for key in ("score", "execution_time"):
        assert key not in data or isinstance(data[key], number)
    assert isinstance(data.get("output", ""), str)
    for key in ("visibility", "stdout_visibility"):
        assert data.get(key, "visible") in VISIBILITY
    for key in ("output_format", "test_output_format", "test_name_format"):
        assert data.get(key, "text") in FORMATS
    for t in data.get("tests", []):
        assert set(t) <= TEST, set(t) - TEST
        for key in ("score", "max_score"):
            assert key not in t or isinstance(t[key], number)
        assert t.get("status", "passed") in ("passed", "failed")
        assert t.get("visibility", "visible") in VISIBILITY
        assert isinstance(t.get("name", ""), str) and isinstance(t.get("output", ""), str)
        assert t.get("score", 0) <= t.get("max_score", t.get("score", 0)) or \
            t.get("max_score") == 0  # extra credit
    if "score" in data and data.get("tests"):
        assert data["score"] == sum(t.get("score", 0) for t in data["tests"])


# -- private tests -----------------------------------------------------------------
PRIVATE_TEST = '''
import pytest
from gradelib.conversation import Conversation

@pytest.mark.points(3)
def test_echoes_a_tab(start, story):
    server = start("echo-server", "0", ready=True)
    with Conversation.connect(server.address, story) as c:
        c.send(b"a\\tb\\n")
        c.expect_line(b"a\\tb\\n")

@pytest.mark.points(2)
def test_answers_y_to_x(start, story):
    server = start("echo-server", "0", ready=True)
    with Conversation.connect(server.address, story) as c:
        c.send(b"x\\n")
        c.expect_line(b"y\\n")
'''


def _private(tmp_path):
    folder = tmp_path / "private" / "01-sync-echo"
    folder.mkdir(parents=True)
    (folder / "test_private.py").write_text(PRIVATE_TEST)
    return tmp_path / "private"


def test_private_tests_count_their_points_and_are_hidden(tmp_path):
    private = _private(tmp_path)
    out = subprocess.run([sys.executable, os.path.join(GRADER, "grade.py"), "--submission",
                          os.path.join(labs.KIT_DIR, "solutions"), "--lab", "01", "--quiet",
                          "--private", str(private), "--report-dir", str(tmp_path / "r"),
                          "--test", "usage_errors or tab or y_to_x"],
                         capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stdout + out.stderr
    data = json.loads((tmp_path / "r" / "results.json").read_text())
    check_gradescope_results(data, extra={"max_score"})
    by_name = {t["name"].split(": ")[1]: t for t in data["tests"]}
    assert by_name["echoes_a_tab"]["score"] == 3
    assert by_name["echoes_a_tab"]["visibility"] == "hidden"
    assert by_name["answers_y_to_x"]["score"] == 0
    assert "visibility" not in by_name["usage_errors_exit_with_2"]
    assert data["score"] == 1 + 3 and data["max_score"] == 1 + 3 + 2
    page = (tmp_path / "r" / "report.html").read_text()
    assert "answers_y_to_x" in page and 'expected "y' not in page


# -- Gradescope -----------------------------------------------------------------------
def test_gradescope_zip_grades_an_upload_of_c_files_alone(tmp_path):
    private = _private(tmp_path)
    out = subprocess.run([sys.executable, os.path.join(GRADER, "gradescope.py"), "build",
                          "--lab", "01", "--private", str(private), "--out", str(tmp_path)],
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    source = tmp_path / "autograder" / "source"
    with zipfile.ZipFile(tmp_path / "gradescope-lab01.zip") as z:
        names = z.namelist()
        modes = {i.filename: i.external_attr >> 16 for i in z.infolist()}
        z.extractall(source)
    assert {"setup.sh", "run_autograder"} <= set(names)  # at the root, not in a folder
    assert modes["run_autograder"] & stat.S_IXUSR and modes["setup.sh"] & stat.S_IXUSR
    assert not [n for n in names if n.startswith(("kit/solutions/", "kit/grader/selftest/",
                                                  "kit/labs/02"))]
    assert "private/01-sync-echo/test_private.py" in names
    run_script = (source / "run_autograder").read_text()
    assert "--lab 01" in run_script and "/autograder/results" in run_script
    setup = (source / "setup.sh").read_text()
    assert "libcriterion-dev" in setup and "valgrind" in setup
    upload = tmp_path / "upload"  # the student uploads the three .c files alone
    upload.mkdir()
    for f in labs.load("01-sync-echo").answer_files:
        shutil.copy(os.path.join(labs.KIT_DIR, "solutions", "01-sync-echo", f), upload)
    results = tmp_path / "autograder" / "results"
    run = subprocess.run([sys.executable, str(source / "kit" / "grader" / "gradescope.py"),
                          "run", "--lab", "01", "--private", str(source / "private"),
                          "--submission", str(upload), "--results", str(results)],
                         capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-2000:]
    data = json.loads((results / "results.json").read_text())
    check_gradescope_results(data)  # strictly: no key Gradescope does not document
    assert data["score"] == 103  # out of 105: the private x/y test fails
    assert sum(t["max_score"] for t in data["tests"]) == 105


def test_gradescope_upload_with_nothing_to_grade_gets_a_zero_it_can_read(tmp_path):
    upload = tmp_path / "upload"
    upload.mkdir()
    (upload / "notes.txt").write_text("hello")
    sys.path.insert(0, GRADER)
    import gradescope
    gradescope.run(str(upload), str(tmp_path / "results"), ["01"])
    data = json.loads((tmp_path / "results" / "results.json").read_text())
    check_gradescope_results(data)
    assert data["score"] == 0 and "echo_server.c" in data["output"]


# -- layout -------------------------------------------------------------------------------
def test_layout_finds_lab_folders_at_any_depth_and_loose_files(tmp_path):
    deep = tmp_path / "a" / "socket-lab-kit" / "labs" / "01-sync-echo"
    deep.mkdir(parents=True)
    (deep / "net.c").write_text("x")
    assert layout.arrange(str(tmp_path / "a"), str(tmp_path / "t1")) == ["01-sync-echo"]
    loose = tmp_path / "b"
    loose.mkdir()
    (loose / "peer.c").write_text("x")
    (loose / "echo_server.c").write_text("x")
    assert layout.arrange(str(loose), str(tmp_path / "t2")) == ["01-sync-echo",
                                                                 "02-async-peer"]
    assert (tmp_path / "t2" / "02-async-peer" / "peer.c").exists()


def test_layout_refuses_archives_that_escape_or_link(tmp_path):
    evil = tmp_path / "evil.zip"
    with zipfile.ZipFile(evil, "w") as z:
        z.writestr("../../outside.c", "x")
    with pytest.raises(layout.LayoutError, match="outside"):
        layout.unpack(str(evil), str(tmp_path / "u1"))
    linky = tmp_path / "linky.tar.gz"
    with tarfile.open(linky, "w:gz") as tar:
        info = tarfile.TarInfo("01-sync-echo/net.c")
        info.type, info.linkname = tarfile.SYMTYPE, "/etc/shadow"
        tar.addfile(info)
    with pytest.raises(layout.LayoutError, match="link"):
        layout.unpack(str(linky), str(tmp_path / "u2"))
    assert not (tmp_path / "outside.c").exists()


# -- the class grader ---------------------------------------------------------------------
HOSTILE = os.path.join(GRADER, "selftest", "hostile", "01-sync-echo")


@pytest.mark.xdist_group("class")
def test_class_is_graded_each_apart_resumed_and_a_hostile_one_stays_in_its_bounds(
        tmp_path):
    klass = tmp_path / "class"
    made = classroom.make_class(str(klass), ["01-sync-echo"], 3)
    kit.patched_solution("01-sync-echo", os.path.join(HOSTILE, "daemon-per-client.patch"),
                         str(klass / "zz-hostile" / "01-sync-echo"))
    (klass / "broken.zip").write_bytes(b"this is not a zip")
    out = tmp_path / "out"
    argv = [sys.executable, os.path.join(GRADER, "grade_class.py"), str(klass), "--out",
            str(out), "--lab", "01"]
    first = kit.run_killable(argv, timeout=600)
    assert first.returncode == 0, first.stdout + first.stderr
    with open(out / "gradebook.csv") as f:
        rows = {r["student"]: r for r in csv.DictReader(f)}
    assert set(rows) == set(made) | {"zz-hostile", "broken"}
    assert rows["student01"]["01-sync-echo"] == "100"  # the reference
    assert int(rows["student02"]["01-sync-echo"]) <= 25  # the skeleton
    assert 0 < int(rows["student03"]["01-sync-echo"]) < 100  # a variant
    assert rows["broken"]["problem"].startswith("broken.zip cannot be unpacked")
    assert int(rows["zz-hostile"]["01-sync-echo"]) < 100 and not rows["zz-hostile"]["problem"]
    for name in ("student01", "student02", "student03", "zz-hostile"):
        assert (out / "students" / name / "report.html").exists()
    stamps = {n: (out / "students" / n / "done.json").stat().st_mtime for n in rows}
    (out / "students" / "student02" / "done.json").unlink()  # as if interrupted there
    again = kit.run_killable(argv, timeout=600)
    assert again.returncode == 0, again.stdout + again.stderr
    assert "4 already graded, 1 to grade" in again.stdout
    for n in rows:
        if n != "student02":
            assert (out / "students" / n / "done.json").stat().st_mtime == stamps[n]


@pytest.mark.xdist_group("class")
def test_class_grading_that_never_ends_is_stopped_at_its_bound(tmp_path):
    klass = tmp_path / "class"
    kit.patched_solution("01-sync-echo", os.path.join(HOSTILE, "build-never-ends.patch"),
                         str(klass / "endless" / "01-sync-echo"))
    out = tmp_path / "out"
    done = kit.run_killable([sys.executable, os.path.join(GRADER, "grade_class.py"),
                             str(klass), "--out", str(out), "--lab", "01",
                             "--student-timeout", "15"], timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    with open(out / "gradebook.csv") as f:
        row = next(csv.DictReader(f))
    assert row["problem"] == "grading took more than 15 s and was stopped"
    assert row["01-sync-echo"] == "0"
    record = json.loads((out / "students" / "endless" / "done.json").read_text())
    assert record["seconds"] < 15 + 25
    left = subprocess.run(["pgrep", "-f", str(tmp_path)], capture_output=True, text=True)
    assert not left.stdout.strip(), "processes of the stopped grading are still running"
