"""Copying a student's lab into scratch and building it, within a time bound."""

import json
import os
import shutil

from . import sandbox
from .failure import Failure
from .process import read_head, run_bounded

BUILD_TIMEOUT = int(os.environ.get("SOCKETLAB_BUILD_TIMEOUT", "120"))  # seconds for `make`
_OUTPUTS = ("bin", "build", "*.o", "*.a", "*.so")
_NOT_COPIED = shutil.ignore_patterns(*_OUTPUTS, "tests", ".git")


def prepare(lab, submission_dir, scratch):
    """Copies submission_dir/<lab> to scratch/<lab>/src, fills it in, and runs make.

    The student's own bin/, build/ and tests/ are not copied: the grader
    builds from source and grades with its own tests. A submission without a
    Makefile (only the .c files uploaded, or solutions/) is in the kit's
    layout: each file of the kit's lab folder it lacks is taken from the kit.
    One with its own Makefile is graded as it is, in its own layout. Returns
    the build record, also saved as scratch/<lab>/build.json.
    """
    lab_scratch = os.path.join(scratch, lab.name)
    src = os.path.join(lab_scratch, "src")
    origin = os.path.join(submission_dir, lab.name)
    os.makedirs(lab_scratch, exist_ok=True)
    record = {"lab": lab.name, "src": src, "built": False, "output": "",
              "missing": list(lab.programs), "filled": []}
    if not os.path.isdir(origin):
        record["output"] = f"there is no folder {lab.name} in {submission_dir}"
        return _save(lab_scratch, record)
    shutil.copytree(origin, src, ignore=_NOT_COPIED, symlinks=True)
    if not has_makefile(src):
        record["filled"] = fill_from_kit(lab, src)
    sandbox.give_to_student(src, root=scratch)  # the build may write only there
    log = os.path.join(lab_scratch, "build.log")
    rc, timed_out = run_bounded(["make", "-C", src], cwd=src, timeout=BUILD_TIMEOUT,
                                output_path=log, student=True)
    output = read_head(log)
    if timed_out:
        output = f"`make` did not finish within {BUILD_TIMEOUT} s and was stopped.\n" + output
    elif rc != 0:
        output = f"`make` failed (status {rc}):\n" + output
    if rc != 0 and record["filled"]:
        output += ("\n(the grader added these files from the kit, because the "
                   f"submission lacks them: {', '.join(record['filled'])})")
    record.update(built=(rc == 0 and not timed_out), output=output,
                  missing=[p for p in lab.programs
                           if not os.access(os.path.join(src, "bin", p), os.X_OK)])
    return _save(lab_scratch, record)


def has_makefile(tree):
    return any(os.path.exists(os.path.join(tree, n))
               for n in ("GNUmakefile", "makefile", "Makefile"))


def fill_from_kit(lab, tree):
    """Copies into tree every file of the kit's lab folder that tree lacks (build
    outputs and tests/ apart); returns their paths, relative to tree."""
    added = []
    kit = lab.kit_dir
    for dirpath, dirnames, filenames in os.walk(kit):
        rel_dir = os.path.relpath(dirpath, kit)
        ignored = _NOT_COPIED(dirpath, dirnames + filenames)
        dirnames[:] = [d for d in dirnames if d not in ignored]
        for name in filenames:
            if name in ignored:
                continue
            rel = os.path.normpath(os.path.join(rel_dir, name))
            target = os.path.join(tree, rel)
            if not os.path.lexists(target):
                os.makedirs(os.path.dirname(target), exist_ok=True)
                shutil.copy2(os.path.join(dirpath, name), target)
                added.append(rel)
    return sorted(added)


def _save(lab_scratch, record):
    with open(os.path.join(lab_scratch, "build.json"), "w") as f:
        json.dump(record, f, indent=1)
    return record


def load(scratch, lab):
    with open(os.path.join(scratch, lab.name, "build.json")) as f:
        return json.load(f)


def require(scratch, lab):
    """The build record of lab; Failure (the test cannot run) if it did not build."""
    record = load(scratch, lab)
    if not record["built"] and not os.path.isdir(os.path.join(record["src"], "bin")):
        raise Failure(f"{lab.name} did not build, so this test cannot run. The "
                      f"compiler's output is in the build report ('{lab.name}: build').")
    return record
