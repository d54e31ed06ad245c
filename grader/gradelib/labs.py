"""The labs: each is a folder grader/labs/NN-name/ that declares itself in lab.toml.

Nothing else in gradelib names a lab. A lab's folder holds:
  lab.toml      what the core needs (see Lab below and grader/README.md)
  unit/*.c      the grader's Criterion tests (students get a copy in labs/NN-name/tests/)
  test_*.py     one file per part of the grade (the part's name follows `test_`)
  conftest.py   the lab's own fixtures, if any
A folder that lacks one of these, or declares something that is not there, is
a LabError with a message that says what to fix: never a lab skipped in silence.
"""

import glob
import os
import re
import tomllib
from dataclasses import dataclass

GRADER_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
KIT_DIR = os.path.dirname(GRADER_DIR)
LABS_DIR = os.path.join(GRADER_DIR, "labs")
NAME = re.compile(r"^\d\d-[a-z0-9-]+$")


class LabError(Exception):
    """A lab folder of the grader that is incomplete or inconsistent (a kit bug)."""


@dataclass(frozen=True)
class Lab:
    name: str            # folder name, e.g. "01-sync-echo"
    title: str           # one line, for reports
    programs: tuple      # what `make` must leave in bin/
    answer_files: tuple  # the student's files: what solutions/NN-name holds
    unit_tests: tuple    # the grader's Criterion sources, relative to tests_dir
    parts: dict          # {part: title} in report order; part "x" is test_x.py

    @property
    def number(self):
        return self.name[:2]

    @property
    def tests_dir(self):
        return os.path.join(LABS_DIR, self.name)

    @property
    def kit_dir(self):
        """The kit's student folder of this lab: handout, Makefile, headers, skeleton."""
        return os.path.join(KIT_DIR, "labs", self.name)

    @property
    def handout(self):
        return f"labs/{self.name}/README.md"

    def part_rank(self, part):
        return list(self.parts).index(part) if part in self.parts else len(self.parts)

    def part_title(self, part):
        return self.parts.get(part, part)

    def students_copy(self, unit_source):
        """Where students find their copy of one of the grader's unit-test files."""
        return os.path.join("labs", self.name, "tests", os.path.basename(unit_source))


def load(name):
    """The Lab in grader/labs/<name>; LabError if its folder is not complete."""
    folder = os.path.join(LABS_DIR, name)
    path = os.path.join(folder, "lab.toml")
    if not os.path.exists(path):
        raise LabError(f"grader/labs/{name} has no lab.toml (see grader/README.md, "
                       "\"Adding a lab\")")
    try:
        with open(path, "rb") as f:
            data = tomllib.load(f)
    except tomllib.TOMLDecodeError as e:
        raise LabError(f"grader/labs/{name}/lab.toml: {e}") from None
    wanted = {"title": str, "programs": list, "answer_files": list, "unit_tests": list,
              "parts": dict}
    for key, kind in wanted.items():
        if not isinstance(data.get(key), kind):
            raise LabError(f"grader/labs/{name}/lab.toml: `{key}` is missing or not a "
                           f"{kind.__name__}")
    unknown = set(data) - set(wanted)
    if unknown:
        raise LabError(f"grader/labs/{name}/lab.toml: unknown keys {sorted(unknown)}")
    lab = Lab(name, data["title"], tuple(data["programs"]), tuple(data["answer_files"]),
              tuple(data["unit_tests"]), dict(data["parts"]))
    _check(lab)
    return lab


def _check(lab):
    where = f"grader/labs/{lab.name}"
    for source in lab.unit_tests:
        if not os.path.exists(os.path.join(lab.tests_dir, source)):
            raise LabError(f"{where}/lab.toml names the unit tests {source}, which do "
                           "not exist")
    files = {os.path.basename(p)[len("test_"):-len(".py")]
             for p in glob.glob(os.path.join(lab.tests_dir, "test_*.py"))}
    undeclared = sorted(files - set(lab.parts))
    if undeclared:
        raise LabError(f"{where}: test_{undeclared[0]}.py is a part that lab.toml's "
                       "[parts] does not declare")
    missing = sorted(set(lab.parts) - files)
    if missing:
        raise LabError(f"{where}/lab.toml declares the part `{missing[0]}`, but there "
                       f"is no test_{missing[0]}.py")


def names():
    """The folder names of every lab of the grader, in order."""
    return sorted(d for d in os.listdir(LABS_DIR)
                  if NAME.match(d) and os.path.isdir(os.path.join(LABS_DIR, d)))


def all_labs():
    """Every lab, loaded; LabError if any is incomplete."""
    return [load(name) for name in names()]


def find(selector):
    """The Lab whose number or name is selector ('01', '1', '01-sync-echo'), or None."""
    for name in names():
        if selector in (name, name[:2]) or selector.zfill(2) == name[:2]:
            return load(name)
    return None


PRIVATE_ENV = "SOCKETLAB_PRIVATE_TESTS"  # an instructor's folder of private tests


def private_dir():
    """The folder of private tests grade.py was given (--private), or None. It is
    laid out like grader/labs: PRIVATE/NN-name/test_*.py."""
    where = os.environ.get(PRIVATE_ENV)
    return os.path.realpath(where) if where else None


def is_private(path):
    where = private_dir()
    return bool(where) and os.path.realpath(str(path)).startswith(where + os.sep)


def of_path(path):
    """The name of the lab a test file belongs to (its folder under grader/labs,
    or under the folder of private tests)."""
    if is_private(path):
        return os.path.relpath(os.path.realpath(str(path)), private_dir()).split(os.sep)[0]
    return os.path.relpath(str(path), LABS_DIR).split(os.sep)[0]
