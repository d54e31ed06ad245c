"""Scores and the reports: the terminal table, results.json, junit.xml, and
report.html (gradelib/html_report.py, when Debian's python3-jinja2 is there).

Each takes a list of gradelib.results.Result, one per test, plus one
zero-point Result per lab for its build (part "build").
"""

import json
import os
import xml.etree.ElementTree as ET

from .results import Result

LAB_POINTS = 100  # every lab, bonus and private tests apart
PRIVATE_VISIBILITY = os.environ.get("SOCKETLAB_PRIVATE_VISIBILITY", "hidden")


def lab_totals(entries):
    """{lab: (score, max, bonus_score, bonus_max)} in lab order."""
    totals = {}
    for e in entries:
        s, m, bs, bm = totals.get(e.lab, (0, 0, 0, 0))
        if e.bonus:
            bs, bm = bs + e.score, bm + e.points
        else:
            s, m = s + e.score, m + e.points
        totals[e.lab] = (s, m, bs, bm)
    return dict(sorted(totals.items()))


def build_entries(builds):
    """One zero-point Result per lab that shows its build (and its output when it failed)."""
    return [Result(lab=b["lab"], name="build", points=0, part="build",
                   part_title="build", rank=(-1, 0), passed=b["built"],
                   kind=None if b["built"] else "fail",
                   output="" if b["built"] else b["output"]) for b in builds]


# -- terminal ---------------------------------------------------------------
def terminal(entries, builds, color=False, advice=None):
    """The table a student reads: per lab, each test with its points, then the failures.

    advice: {lab: lines} said once above that lab's failures (the likely mistake)."""
    green, red, bold, off = ("\033[32m", "\033[31m", "\033[1m", "\033[0m") if color else ("",) * 4
    out = []
    totals = lab_totals([e for e in entries if not e.is_build])
    for lab, (s, m, bs, bm) in totals.items():
        out.append(f"{bold}{lab}{off}")
        build = next((b for b in builds if b["lab"] == lab), None)
        if build and not build["built"]:
            out.append(f"  {red}BUILD FAILED{off} (see below)")
        part = None
        for e in (x for x in entries if x.lab == lab and not x.is_build):
            if e.part != part:
                part = e.part
                mine = [x for x in entries if x.lab == lab and x.part == part]
                got = sum(x.score for x in mine if not x.bonus)
                worth = sum(x.points for x in mine if not x.bonus)
                out.append(f"  {e.part_title or part} ({got}/{worth})")
            mark = f"{green}ok  {off}" if e.passed else f"{red}FAIL{off}"
            worth = f"{e.score:>3}/{e.points:<3}" + (" bonus" if e.bonus else "")
            out.append(f"    {mark} {e.name:<54} {worth}")
        line = f"  {'total':<61} {s:>3}/{m}"
        if bm:
            line += f"   bonus {bs}/{bm}"
        out.append(f"{bold}{line}{off}")
        out.append("")
    grand = sum(t[0] for t in totals.values())
    grand_max = sum(t[1] for t in totals.values())
    if len(totals) > 1:
        out.append(f"{bold}TOTAL {grand}/{grand_max}{off}\n")
    failures = [e for e in entries if not e.passed]
    if failures:
        out.append(f"{bold}What went wrong{off}")
        for lab, lines in (advice or {}).items():
            out.extend(f"{bold}{lab}: {line}{off}" for line in lines)
            if lines:
                out.append("")
        for e in failures:
            title = f"{e.lab}: {e.name}"
            if e.kind == "grader-error":
                title += "  (GRADER ERROR: not your fault, please report it)"
            out.append(f"{red}--- {title}{off}")
            out.append(_indent(e.output.rstrip() or "(no message)"))
            out.append("")
    return "\n".join(out)


def _indent(text):
    return "\n".join("    " + line for line in text.splitlines())


# -- results.json (Gradescope) ----------------------------------------------
def gradescope(entries, notes=()):
    """Gradescope's autograder format; bonus tests carry max_score 0 (extra credit).
    Notes on how the grading ran go to the top-level output. A private test
    (Result.hidden) gets Gradescope's "visibility" PRIVATE_VISIBILITY: students
    do not see it, instructors do.
    https://gradescope-autograders.readthedocs.io/en/latest/specs/"""
    tests = []
    for e in entries:
        test = {
            "name": f"{e.lab}: {e.name}",
            "score": e.score,
            "max_score": 0 if e.bonus else e.points,
            "status": "passed" if e.passed else "failed",
            "output": e.output,
        }
        if e.hidden:
            test["visibility"] = PRIVATE_VISIBILITY
        tests.append(test)
    graded = [e for e in entries if not e.is_build]
    return {
        "output": "\n".join(f"note: {n}" for n in notes),
        "score": sum(e.score for e in graded),
        "max_score": sum(e.points for e in graded if not e.bonus),
        "tests": tests,
    }


# -- junit.xml --------------------------------------------------------------
def junit(entries):
    """One <testsuite> per lab, one <testcase> per test, points as properties."""
    root = ET.Element("testsuites")
    for lab in sorted({e.lab for e in entries}):
        mine = [e for e in entries if e.lab == lab]
        failed = [e for e in mine if not e.passed]
        errors = [e for e in failed if e.kind == "grader-error"]
        suite = ET.SubElement(root, "testsuite", name=lab, tests=str(len(mine)),
                              failures=str(len(failed) - len(errors)), errors=str(len(errors)),
                              time=f"{sum(e.duration for e in mine):.3f}")
        for e in mine:
            case = ET.SubElement(suite, "testcase", classname=lab, name=e.name,
                                 time=f"{e.duration:.3f}")
            props = ET.SubElement(case, "properties")
            ET.SubElement(props, "property", name="points", value=str(e.points))
            ET.SubElement(props, "property", name="score", value=str(e.score))
            if not e.passed:
                tag = "error" if e.kind == "grader-error" else "failure"
                first = (e.output.strip().splitlines() or [""])[0]
                node = ET.SubElement(case, tag, message=first[:200])
                node.text = e.output
    ET.indent(root)
    return ET.tostring(root, encoding="unicode", xml_declaration=True)


def write_all(report_dir, entries, notes=(), title="Grading report"):
    """Writes results.json, junit.xml and report.html; returns the names written."""
    os.makedirs(report_dir, exist_ok=True)
    with open(os.path.join(report_dir, "results.json"), "w") as f:
        json.dump(gradescope(entries, notes), f, indent=1)
    with open(os.path.join(report_dir, "junit.xml"), "w") as f:
        f.write(junit(entries) + "\n")
    written = ["results.json", "junit.xml"]
    try:
        from . import html_report
    except ImportError:  # python3-jinja2 missing: the other reports are enough
        return written
    html_report.write(report_dir, entries, notes, title)
    return written + ["report.html"]
