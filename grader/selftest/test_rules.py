"""Every rule of a lab's contract is tested, and every test is proved by a variant.

A lab that has grader/labs/NN-name/rules.toml maps each rule its handout
states (in "The contract") to the tests that check it:

    [[rules]]
    text = "A line longer than 4096 bytes is answered with `error: line too long`."
    tests = ["refuses_a_longer_line_and_keeps_serving",
             "unit[line_reader/rejects_line_longer_than_4096_bytes]"]

Test names are written as the report writes them, without `test_`; a unit
test as `unit[suite/name]` (a key of the lab's table, see test_unit.py). For
every such lab this file fails when a rule names no test, a named test does
not exist, a test of the lab is named by no rule, or a test is named on no
variant's `Catches:` line (grader/selftest/variants/NN-name/*.patch).
"""

import ast
import glob
import os
import re
import tomllib

import pytest

import kit

VARIANTS_DIR = os.path.join(os.path.dirname(__file__), "variants")
WITH_RULES = [lab for lab in kit.LABS
              if os.path.exists(os.path.join(lab.tests_dir, "rules.toml"))]
IDS = [lab.name for lab in WITH_RULES]


def _rules(lab):
    with open(os.path.join(lab.tests_dir, "rules.toml"), "rb") as f:
        return tomllib.load(f).get("rules", [])


def _table(module, name):
    """The keys of the module-level dict literal `name = {...}` in module (ast)."""
    for node in module.body:
        if isinstance(node, ast.Assign) and any(
                isinstance(t, ast.Name) and t.id == name for t in node.targets):
            return [ast.literal_eval(k) for k in node.value.keys]
    raise AssertionError(f"no table {name} = {{...}} at the top of the module")


def _table_of(func):
    """The table a test is parametrized over with unit.params(TABLE), or None."""
    for deco in func.decorator_list:
        for call in ast.walk(deco):
            if (isinstance(call, ast.Call) and isinstance(call.func, ast.Attribute)
                    and call.func.attr == "params" and call.args
                    and isinstance(call.args[0], ast.Name)):
                return call.args[0].id
    return None


def lab_tests(lab):
    """Every test of the lab as the report names it: `name`, or `unit[suite/name]`
    for each row of a table that a test is parametrized over with unit.params()."""
    names = set()
    for path in sorted(glob.glob(os.path.join(lab.tests_dir, "test_*.py"))):
        with open(path) as f:
            module = ast.parse(f.read(), path)
        for node in module.body:
            if not (isinstance(node, ast.FunctionDef) and node.name.startswith("test_")):
                continue
            name = node.name[len("test_"):]
            table = _table_of(node)
            if table:
                names |= {f"{name}[{key}]" for key in _table(module, table)}
            else:
                names.add(name)
    return names


def _bare(name):
    """A parametrized behaviour test may be named with or without its [id]; a unit
    test always with its row."""
    return name if name.startswith("unit[") else re.sub(r"\[.*\]$", "", name)


def caught_by_variants(lab):
    """{test name: [variant names]} from the Catches: lines of the lab's variants."""
    caught = {}
    for path in sorted(glob.glob(os.path.join(VARIANTS_DIR, lab.name, "*.patch"))):
        for value in kit.patch_header(path).get("catches", []):
            for name in value.split():
                caught.setdefault(_bare(name), []).append(os.path.basename(path))
    return caught


@pytest.mark.parametrize("lab", WITH_RULES, ids=IDS)
def test_every_rule_names_a_test(lab):
    rules = _rules(lab)
    assert rules, f"grader/labs/{lab.name}/rules.toml has no [[rules]]"
    bad = [r.get("text", "(no text)") for r in rules
           if not r.get("text") or not r.get("tests")]
    assert not bad, f"grader/labs/{lab.name}/rules.toml: rules without text or tests: {bad}"


@pytest.mark.parametrize("lab", WITH_RULES, ids=IDS)
def test_every_test_a_rule_names_exists(lab):
    known = lab_tests(lab)
    missing = sorted({t for r in _rules(lab) for t in r.get("tests", [])
                      if _bare(t) not in known})
    assert not missing, (f"grader/labs/{lab.name}/rules.toml names tests that do not "
                         f"exist (names as in the report, without test_): {missing}")


@pytest.mark.parametrize("lab", WITH_RULES, ids=IDS)
def test_every_test_checks_a_rule(lab):
    named = {_bare(t) for r in _rules(lab) for t in r.get("tests", [])}
    orphans = sorted(lab_tests(lab) - named)
    assert not orphans, (f"tests of {lab.name} that no rule of rules.toml names (a rule "
                         f"of the handout's contract is missing, or the test is not "
                         f"needed): {orphans}")


@pytest.mark.parametrize("lab", WITH_RULES, ids=IDS)
def test_every_test_is_proved_by_a_variant(lab):
    caught = caught_by_variants(lab)
    unproved = sorted(lab_tests(lab) - set(caught))
    assert not unproved, (f"tests of {lab.name} that no variant names on its Catches: "
                          f"line (add grader/selftest/variants/{lab.name}/NAME.patch with "
                          f"the mistake each catches): {unproved}")
    unknown = sorted(set(caught) - lab_tests(lab))
    assert not unknown, (f"variants of {lab.name} name tests that do not exist: "
                         + ", ".join(f"{t} ({', '.join(caught[t])})" for t in unknown))
