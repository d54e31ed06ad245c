"""Copying a student's lab into scratch and building it, within a time bound."""

import json
import os
import shutil

from . import sandbox
from .process import read_head, run_bounded

BUILD_TIMEOUT = int(os.environ.get("SOCKETLAB_BUILD_TIMEOUT", "120"))  # seconds for `make`
_NOT_COPIED = shutil.ignore_patterns("bin", "build", "tests", ".git", "*.o", "*.a", "*.so")


def prepare(lab, submission_dir, scratch):
    """Copies submission_dir/<lab> to scratch/<lab>/src and runs make there.

    The student's own bin/, build/ and tests/ are not copied: the grader
    builds from source and grades with its own tests. Returns the build
    record, also saved as scratch/<lab>/build.json.
    """
    lab_scratch = os.path.join(scratch, lab.name)
    src = os.path.join(lab_scratch, "src")
    origin = os.path.join(submission_dir, lab.name)
    os.makedirs(lab_scratch, exist_ok=True)
    record = {"lab": lab.name, "src": src, "built": False, "output": "",
              "missing": list(lab.programs)}
    if not os.path.isdir(origin):
        record["output"] = f"there is no folder {lab.name} in {submission_dir}"
        return _save(lab_scratch, record)
    shutil.copytree(origin, src, ignore=_NOT_COPIED, symlinks=True)
    sandbox.give_to_student(src, root=scratch)  # the build may write only there
    log = os.path.join(lab_scratch, "build.log")
    rc, timed_out = run_bounded(["make", "-C", src], cwd=src, timeout=BUILD_TIMEOUT,
                                output_path=log, student=True)
    output = read_head(log)
    if timed_out:
        output = f"`make` did not finish within {BUILD_TIMEOUT} s and was stopped.\n" + output
    elif rc != 0:
        output = f"`make` failed (status {rc}):\n" + output
    record.update(built=(rc == 0 and not timed_out), output=output,
                  missing=[p for p in lab.programs
                           if not os.access(os.path.join(src, "bin", p), os.X_OK)])
    return _save(lab_scratch, record)


def _save(lab_scratch, record):
    with open(os.path.join(lab_scratch, "build.json"), "w") as f:
        json.dump(record, f, indent=1)
    return record


def load(scratch, lab):
    with open(os.path.join(scratch, lab.name, "build.json")) as f:
        return json.load(f)
