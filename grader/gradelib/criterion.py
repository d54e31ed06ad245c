"""Compiling the grader's Criterion tests against the student's liblab.a, and running them."""

import json
import os
import xml.etree.ElementTree as ET

from . import sandbox
from .process import read_head, run_bounded

COMPILE_TIMEOUT = 60
RUN_TIMEOUT = 60
CFLAGS = ["-std=c17", "-D_DEFAULT_SOURCE", "-g", "-O0", "-pthread"]


def run(lab, src, out_dir):
    """Runs lab's unit tests; returns {"error": text|None, "tests": {suite/name: result}}.

    A result is {"status": PASSED|FAILED|ERRORED|MISSING, "messages": [...]}.
    Saved as out_dir/unit.json.
    """
    result = {"error": None, "tests": {}}
    if lab.unit_tests:
        result = _compile_and_run(lab, src, out_dir)
    with open(os.path.join(out_dir, "unit.json"), "w") as f:
        json.dump(result, f, indent=1)
    return result


def _compile_and_run(lab, src, out_dir):
    library = os.path.join(src, "build", "liblab.a")
    if not os.path.exists(library):
        return {"error": "build/liblab.a was not built, so the unit tests cannot be "
                         "linked against your functions.", "tests": {}}
    binary = os.path.join(out_dir, "unit-tests")
    sources = [os.path.join(lab.tests_dir, s) for s in lab.unit_tests]
    log = os.path.join(out_dir, "unit-compile.log")
    rc, timed_out = run_bounded(["cc", *CFLAGS, *include_flags(src, lab), *sources,
                                 library, "-lcriterion", "-o", binary],
                                cwd=out_dir, timeout=COMPILE_TIMEOUT, output_path=log)
    if rc != 0 or timed_out:
        return {"error": "the unit tests do not compile against your headers and "
                         "liblab.a (did you change a header?):\n" + read_head(log),
                "tests": {}}
    run_dir = os.path.join(out_dir, "unit-run")  # the student's code runs here
    os.makedirs(run_dir)
    sandbox.give_to_student(run_dir, root=os.path.dirname(out_dir))
    report = os.path.join(run_dir, "criterion.xml")
    run_log = os.path.join(out_dir, "unit-run.log")
    _, timed_out = run_bounded([binary, f"--xml={report}", "--jobs=2"],
                               cwd=run_dir, timeout=RUN_TIMEOUT, output_path=run_log,
                               student=True)
    return {"error": None if os.path.exists(report) else
            "the unit tests stopped before writing their report"
            + (f" (time-out of {RUN_TIMEOUT} s)" if timed_out else "") + ":\n"
            + read_head(run_log), "tests": _parse(report)}


def include_flags(src, lab):
    """-I for the submission's folder, each of its folders that holds a header
    the kit's lab provides (a submission in its own layout), then the kit's
    lab folder for a header the submission does not have."""
    provided = {n for n in os.listdir(lab.kit_dir) if n.endswith(".h")}
    dirs = [src]
    for dirpath, dirnames, filenames in os.walk(src):
        dirnames.sort()
        if dirpath != src and provided & set(filenames):
            dirs.append(dirpath)
    dirs.append(lab.kit_dir)
    return [flag for d in dirs for flag in ("-I", d)]


def _parse(report):
    """{suite/name: {status, messages}} from Criterion's XML report.

    The XML, not the JSON: Criterion writes messages into its JSON without
    escaping quotes, while the XML keeps them in CDATA. Only each test's
    status is read; the totals Criterion prints are not consistent.
    """
    try:
        root = ET.parse(report).getroot()
    except (OSError, ET.ParseError):
        return {}
    tests = {}
    for suite in root.iter("testsuite"):
        for case in suite.iter("testcase"):
            messages = []
            for node in list(case.iter("failure")) + list(case.iter("error")):
                text = (node.text or "").strip()
                messages += text.splitlines() if text else [node.get("message", "")]
            tests[f"{suite.get('name')}/{case.get('name')}"] = {
                "status": case.get("status", "ERRORED"),
                "messages": [m for m in messages if m.strip()],
            }
    return tests
