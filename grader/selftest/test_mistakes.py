"""The known mistakes (gradelib/mistakes.py): recorded for every variant, never
stale, and named for a submission that makes one, never for a correct one."""

import glob
import json
import os

import pytest

from gradelib import mistakes
from gradelib.results import Result

import kit

# The labs whose mistakes are recorded (`make fingerprints LAB=NN` records a lab's;
# a lab without the file names no mistake in its reports).
WITH_VARIANTS = [lab for lab in kit.LABS
                 if os.path.exists(os.path.join(lab.tests_dir, mistakes.FILE))]


def _catch_matches(term, name):
    """A Catches: term names a test as test_variants.py does ('x' for 'unit[s/x]')."""
    return name == term or name.rstrip("]").split("/")[-1].split("[")[-1] == term


@pytest.mark.parametrize("lab", WITH_VARIANTS, ids=[lab.name for lab in WITH_VARIANTS])
def test_fingerprints_are_recorded_and_current(lab):
    path = os.path.join(lab.tests_dir, mistakes.FILE)
    rerun = f"run `make fingerprints LAB={lab.number}` and commit {mistakes.FILE}"
    with open(path) as f:
        recorded = json.load(f)
    assert recorded["inputs"] == mistakes.inputs_digest(lab), (
        f"the fingerprints of {lab.name} are stale (its tests, reference or variants "
        f"changed since): {rerun}")
    known = {m["variant"]: m for m in recorded["mistakes"]}
    patches = sorted(os.path.basename(p)[:-len(".patch")] for p in
                     glob.glob(os.path.join(mistakes.variants_dir(lab), "*.patch")))
    assert sorted(known) == patches, rerun
    for name, m in known.items():
        header = kit.patch_header(os.path.join(mistakes.variants_dir(lab), name + ".patch"))
        for term in " ".join(header.get("catches", [])).split():
            assert any(_catch_matches(term, f) for f in m["fails"]), (
                f"{name}: its Catches: test {term} did not fail when it was graded whole")


@pytest.mark.parametrize("lab", WITH_VARIANTS, ids=[lab.name for lab in WITH_VARIANTS])
def test_each_recorded_mistake_is_named_for_its_own_failures(lab):
    """Graded whole, a variant fails exactly its fingerprint: it is named first,
    unless another variant fails exactly the same tests (then either may be)."""
    known = mistakes.load(lab)
    for m in known:
        if not m["fails"]:
            continue
        same = [o["variant"] for o in known if set(o["fails"]) == set(m["fails"])]
        named = [n["variant"] for n, _ in mistakes.likely(m["fails"], known)]
        assert named and named[0] in same, (m["variant"], named)


def _results(lab, failing, passing=()):
    return ([Result(lab=lab, name=n, points=1, passed=False) for n in failing]
            + [Result(lab=lab, name=n, points=1, passed=True) for n in passing])


KNOWN = [
    {"variant": "a", "mistake": "forgets the LF", "handout": "Lines", "fails": ["x", "y"]},
    {"variant": "b", "mistake": "never closes", "handout": None, "fails": ["z"]},
    {"variant": "c", "mistake": "closes twice", "handout": None, "fails": ["x", "y", "w"]},
]


def test_a_correct_program_is_told_no_mistake():
    assert mistakes.likely([], KNOWN) == []


def test_the_mistake_that_explains_most_comes_first():
    named = [m["variant"] for m, _ in mistakes.likely(["x", "y"], KNOWN)]
    assert named == ["a"]  # c predicts w too, which passed: c does not fit
    named = [m["variant"] for m, _ in mistakes.likely(["x", "y", "w"], KNOWN)]
    assert named == ["c"]  # c explains all three, a two
    named = [m["variant"] for m, _ in mistakes.likely(["x", "y", "w", "v"], KNOWN)]
    assert named == ["c"]  # v is unexplained, but 3 of 4 are


def test_two_mistakes_at_once_are_both_named():
    named = [m["variant"] for m, _ in mistakes.likely(["x", "y", "z"], KNOWN)]
    assert named == ["a", "b"]


def test_failures_unlike_every_mistake_name_none():
    assert mistakes.likely(["q", "r", "s"], KNOWN) == []
    assert mistakes.likely(["x", "q", "r"], KNOWN) == []  # a: 1/4


def test_advice_says_the_mistake_and_its_section(monkeypatch):
    class Lab:
        name = "01-x"
    monkeypatch.setattr(mistakes, "load", lambda lab: KNOWN)
    lines = mistakes.advice(Lab, _results("01-x", ["x", "y"], ["z"]))
    assert lines == ["Your failures look like a known mistake: forgets the LF "
                     "(handout: Lines)"]
    assert mistakes.advice(Lab, _results("01-x", [], ["x", "y", "z"])) == []


def test_advice_hedges_a_single_failure_that_many_mistakes_share(monkeypatch):
    class Lab:
        name = "01-x"
    known = KNOWN + [{"variant": f"v{i}", "mistake": f"mistake {i}", "handout": None,
                      "fails": ["z", f"other{i}"]} for i in range(mistakes.BROAD)]
    monkeypatch.setattr(mistakes, "load", lambda lab: known)
    lines = mistakes.advice(Lab, _results("01-x", ["z"], ["x", "y"]))
    assert lines[0] == "Your failures look like a known mistake: never closes"
    assert lines[1].startswith(f"(Only one test failed, and {mistakes.BROAD + 1} of the "
                               "known mistakes fail it")
    monkeypatch.setattr(mistakes, "load", lambda lab: KNOWN)
    assert len(mistakes.advice(Lab, _results("01-x", ["z"], ["x", "y"]))) == 1
