"""The student archive: no solutions in it, and its grader runs."""

import os
import subprocess
import sys
import tarfile

from gradelib import labs


def test_student_archive_has_no_solutions_and_grades(tmp_path):
    out = subprocess.run([os.path.join(labs.GRADER_DIR, "make-handout.sh"), str(tmp_path)],
                         cwd=labs.KIT_DIR, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    archive = tmp_path / "socket-lab-kit-student.tar.gz"
    with tarfile.open(archive) as tar:
        names = tar.getnames()
        tar.extractall(tmp_path / "x")
    top = "socket-lab-kit-student/"
    assert any(n.startswith(top + "labs/") for n in names)
    assert any(n.startswith(top + "grader/gradelib/") for n in names)
    assert not [n for n in names if n.startswith((top + "solutions", top + "grader/selftest"))]
    kit_dir = tmp_path / "x" / "socket-lab-kit-student"
    run = subprocess.run([sys.executable, "grader/grade.py", "--lab", "01", "--quiet",
                          "--test", "usage_errors", "--report-dir", str(tmp_path / "r")],
                         cwd=kit_dir, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stdout + run.stderr
    assert run.stdout.startswith("01-sync-echo ")
