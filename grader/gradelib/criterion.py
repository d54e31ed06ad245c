"""Compiling the grader's Criterion tests against the student's liblab.a, and running them."""

import json
import os

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
    if lab.unit_sources:
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
    sources = [os.path.join(lab.tests_dir, s) for s in lab.unit_sources]
    log = os.path.join(out_dir, "unit-compile.log")
    rc, timed_out = run_bounded(["cc", *CFLAGS, "-I", src, *sources, library,
                                 "-lcriterion", "-o", binary],
                                cwd=out_dir, timeout=COMPILE_TIMEOUT, output_path=log)
    if rc != 0 or timed_out:
        return {"error": "the unit tests do not compile against your net.h and "
                         "liblab.a (did you change a header?):\n" + read_head(log),
                "tests": {}}
    report = os.path.join(out_dir, "criterion.json")
    run_log = os.path.join(out_dir, "unit-run.log")
    _, timed_out = run_bounded([binary, f"--json={report}", "--jobs=2"],
                               cwd=out_dir, timeout=RUN_TIMEOUT, output_path=run_log)
    return {"error": None if os.path.exists(report) else
            "the unit tests stopped before writing their report"
            + (f" (time-out of {RUN_TIMEOUT} s)" if timed_out else "") + ":\n"
            + read_head(run_log), "tests": _parse(report)}


def _parse(report):
    """{suite/name: {status, messages}} from Criterion's JSON (statuses only;
    its totals are not consistent)."""
    try:
        with open(report) as f:
            data = json.load(f)
    except (OSError, ValueError):
        return {}
    tests = {}
    for suite in data.get("test_suites", []):
        for test in suite.get("tests", []):
            tests[f"{suite['name']}/{test['name']}"] = {
                "status": test.get("status", "ERRORED"),
                "messages": [m for m in test.get("messages", []) if m.strip()],
            }
    return tests
