"""The handout of each lab alone: built, unpacked elsewhere, graded there, and
free of its own solution text (compared with solutions/)."""

import os
import subprocess
import sys
import tarfile

import pytest

import handout
from gradelib import labs
from kit import LAB_IDS, LABS


def _unpack(archive, where):
    with tarfile.open(archive) as tar:
        names = tar.getnames()
        tar.extractall(where)
    return names


@pytest.mark.parametrize("lab", LABS, ids=LAB_IDS)
def test_one_lab_archive_has_only_that_lab_no_answer_and_grades(lab, tmp_path):
    out = subprocess.run([sys.executable, os.path.join(labs.GRADER_DIR, "handout.py"),
                          "--out", str(tmp_path), "--lab", lab.number],
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stdout + out.stderr
    name = f"socket-lab-kit-lab{lab.number}"
    names = _unpack(tmp_path / f"{name}.tar.gz", tmp_path / "x")
    top = tmp_path / "x" / name
    packed = [n[len(name) + 1:] for n in names if n.startswith(name + "/")]
    assert not [n for n in packed if n.startswith(("solutions/", "grader/selftest/"))]
    assert {handout.lab_of(n) for n in packed} - {None} == {lab.name}
    # no run of answer lines of this lab, outside the course notes, in any file
    answers = handout.answer_lines(lab.name)
    assert answers
    for rel in packed:
        path = top / rel
        if rel.startswith("slides-notes/"):
            continue
        try:
            text = path.read_text()
        except UnicodeDecodeError:
            continue
        run, _ = handout.longest_run(text, answers)
        assert run < handout.RUN, f"{rel} holds {run} answer lines of {lab.name} in a row"
    # and no solution file whole
    for answer in os.listdir(os.path.join(labs.KIT_DIR, "solutions", lab.name)):
        with open(os.path.join(labs.KIT_DIR, "solutions", lab.name, answer)) as f:
            solution = f.read()
        for rel in packed:
            if os.path.basename(rel) == answer:
                assert (top / rel).read_text() != solution, rel
    run = subprocess.run(["make", "-s", "grade", f"REPORT_DIR={tmp_path / 'r'}"], cwd=top,
                         capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    assert f"{lab.name}" in run.stdout and "total" in run.stdout
    assert (tmp_path / "r" / "results.json").exists()


def test_lab_01_archive_lacks_lab_02s_net_c_which_the_full_one_has(tmp_path):
    """Lab 02's net.c is lab 01's answer to steps 3 and 5."""
    handout.build(str(tmp_path), {"01-sync-echo"}, say=lambda m: None)
    handout.build(str(tmp_path), None, say=lambda m: None)
    with tarfile.open(tmp_path / "socket-lab-kit-lab01.tar.gz") as tar:
        one = tar.getnames()
    with tarfile.open(tmp_path / "socket-lab-kit-student.tar.gz") as tar:
        every = tar.getnames()
    assert not [n for n in one if n.endswith("labs/02-async-peer/net.c")]
    assert [n for n in every if n.endswith("labs/02-async-peer/net.c")]


def test_later_lab_giving_away_an_earlier_answer_is_found():
    found = handout.leaks(["labs/02-async-peer/net.c"], ["01-sync-echo"])
    assert [(p, lab, allowed) for p, lab, _, _, allowed in found] == [
        ("labs/02-async-peer/net.c", "01-sync-echo", True)]


def test_a_labs_own_answer_in_its_folder_is_refused(tmp_path):
    """The reference's net.c copied over the skeleton's would be a leak."""
    own = tmp_path / "labs" / "01-sync-echo" / "net.c"
    own.parent.mkdir(parents=True)
    with open(os.path.join(labs.KIT_DIR, "solutions", "01-sync-echo", "net.c")) as f:
        own.write_text(f.read())
    found = handout.leaks(["labs/01-sync-echo/net.c"], ["01-sync-echo"], root=tmp_path)
    assert [(lab, allowed) for _, lab, _, _, allowed in found] == [("01-sync-echo", False)]


def test_archive_carries_the_students_ci_workflow(tmp_path):
    yaml = pytest.importorskip("yaml")
    handout.build(str(tmp_path), {"01-sync-echo"}, say=lambda m: None)
    with tarfile.open(tmp_path / "socket-lab-kit-lab01.tar.gz") as tar:
        member = tar.extractfile("socket-lab-kit-lab01/.github/workflows/grade.yml")
        flow = yaml.safe_load(member.read())
    steps = flow["jobs"]["grade"]["steps"]
    runs = "\n".join(s.get("run", "") for s in steps)
    assert "grader/grade.py --report-dir reports" in runs and "packages.txt" in runs
    uses = {s.get("uses", "").split("@")[0]: s for s in steps}
    assert uses["mikepenz/action-junit-report"]["with"]["report_paths"] == "reports/junit.xml"
    assert "reports/report.html" in uses["actions/upload-artifact"]["with"]["path"]
    assert flow[True] if True in flow else flow["on"]  # "on:" reads as True in YAML 1.1
