"""Every handout section that a grader test or a skeleton TODO cites exists."""

import glob
import os
import re

import pytest

from gradelib import labs

import kit

PRESENT = kit.LABS
CITED_BY_TEST = re.compile(r'handout\("([^"]+)"\)|\(\d+, "([^"]+)"\)')
CITED_BY_TODO = re.compile(r'TODO \(step (\d+), "([^"]+)"\)')


def _headings(lab):
    path = os.path.join(labs.KIT_DIR, "labs", lab.name, "README.md")
    with open(path) as f:
        text = re.sub(r"```.*?```", "", f.read(), flags=re.S)  # not comments in code
    return {m.group(1).strip() for m in re.finditer(r"^#{1,4} (.+)$", text, re.M)}


@pytest.mark.parametrize("lab", PRESENT, ids=[lab.name for lab in PRESENT])
def test_sections_cited_by_the_grader_exist(lab):
    cited = set()
    for path in glob.glob(os.path.join(lab.tests_dir, "test_*.py")):
        with open(path) as f:
            cited |= {a or b for a, b in CITED_BY_TEST.findall(f.read())}
    assert cited, "the grader's tests cite no handout section"
    missing = sorted(cited - _headings(lab))
    assert not missing, f"labs/{lab.name}/README.md has no section {missing}"


@pytest.mark.parametrize("lab", PRESENT, ids=[lab.name for lab in PRESENT])
def test_steps_cited_by_todos_exist(lab):
    cited = set()
    for path in glob.glob(os.path.join(labs.KIT_DIR, "labs", lab.name, "*.c")):
        with open(path) as f:
            cited |= {f"Step {n}: {title}" for n, title in CITED_BY_TODO.findall(f.read())}
    assert cited, "the skeleton has no TODO that cites a step"
    missing = sorted(cited - _headings(lab))
    assert not missing, f"labs/{lab.name}/README.md has no section {missing}"
