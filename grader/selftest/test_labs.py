"""Every lab: its folder in the grader is complete, the reference gets full
marks, the skeleton builds and scores low without a grader error, and every
file that is not an answer exists once."""

import filecmp
import glob
import os
import re
import subprocess

import pytest

from gradelib import labs

import kit

# With pytest-xdist, this module's gradings happen once, on one worker.
pytestmark = pytest.mark.xdist_group("labs")

PRESENT = kit.LABS
IDS = kit.LAB_IDS


@pytest.mark.parametrize("name", [n for n in labs.names() if n in IDS or
                                  not os.environ.get("SOCKETLAB_SELFTEST_LABS")])
def test_lab_folder_declares_what_the_core_needs(name):
    lab = labs.load(name)  # LabError says what is missing
    assert os.path.isdir(lab.kit_dir), f"labs/{name} does not exist"
    sol = os.path.join(labs.KIT_DIR, "solutions", name)
    assert os.path.isdir(sol), f"solutions/{name} does not exist"
    for answer in lab.answer_files:
        assert os.path.exists(os.path.join(sol, answer)), f"solutions/{name}/{answer} is missing"
        assert os.path.exists(os.path.join(lab.kit_dir, answer)), (
            f"labs/{name}/{answer} (the skeleton of an answer file) is missing")


@pytest.fixture(scope="module")
def solutions_graded(tmp_path_factory):
    """solutions/ as it is: answer files only, the rest filled in from labs/."""
    return kit.grade(os.path.join(labs.KIT_DIR, "solutions"), tmp_path_factory.mktemp("sol"),
                     lab=[lab.number for lab in PRESENT])


@pytest.fixture(scope="module")
def skeletons_graded(tmp_path_factory):
    return kit.grade(os.path.join(labs.KIT_DIR, "labs"), tmp_path_factory.mktemp("skel"),
                     lab=[lab.number for lab in PRESENT])


@pytest.mark.parametrize("lab", PRESENT, ids=IDS)
def test_reference_solution_gets_full_marks(lab, solutions_graded):
    proc, by_lab = solutions_graded
    tests = by_lab.get(lab.name, {})
    assert kit.failed(tests) == [], "\n\n".join(
        f"{n}:\n{tests[n]['output']}" for n in kit.failed(tests)) + proc.stderr
    assert kit.total(tests) == 100


@pytest.mark.parametrize("lab", PRESENT, ids=IDS)
def test_skeleton_builds_and_scores_low_without_grader_error(lab, skeletons_graded):
    proc, by_lab = skeletons_graded
    tests = by_lab.get(lab.name, {})
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert tests["build"]["status"] == "passed", tests["build"]["output"]
    assert kit.grader_errors(tests) == []
    assert kit.total(tests) <= 25, f"the skeleton scores {kit.total(tests)}"


def _tracked(folder):
    out = subprocess.run(["git", "ls-files", "."], cwd=folder, capture_output=True,
                         text=True, check=True).stdout.split()
    return sorted(out)


@pytest.mark.parametrize("lab", PRESENT, ids=IDS)
def test_solutions_hold_only_the_answer_files(lab):
    """Every other file of a lab lives once, in labs/: a second copy would drift."""
    sol = os.path.join(labs.KIT_DIR, "solutions", lab.name)
    assert _tracked(sol) == sorted(lab.answer_files), (
        "solutions/ holds exactly the answer_files of lab.toml")
    for name in _tracked(sol):
        assert not filecmp.cmp(os.path.join(sol, name), os.path.join(lab.kit_dir, name),
                               shallow=False), f"solutions/{lab.name}/{name} is the skeleton's"


@pytest.mark.parametrize("lab", PRESENT, ids=IDS)
def test_students_copy_of_unit_tests_is_the_graders(lab):
    """The grader compiles its own copy (a student's edits change nothing); the
    student's copy in labs/NN/tests/ must be the same bytes."""
    for source in lab.unit_tests:
        mine = os.path.join(lab.tests_dir, source)
        theirs = os.path.join(labs.KIT_DIR, lab.students_copy(source))
        assert filecmp.cmp(mine, theirs, shallow=False), f"{theirs} is not {mine}"


DEFINITION = re.compile(r"^(?!static\b)[a-z][\w \*]*\b(\w+)\([^;]*\)\s*$", re.M)
STATIC_DEF = re.compile(r"^(?:static\s+)?[a-z][\w \*]*?\b(\w+)\(([^;{]*)\)\s*\n\{", re.M)


@pytest.mark.parametrize("lab", PRESENT, ids=IDS)
def test_skeleton_defines_every_function_of_the_solution(lab):
    """Same names, same parameters: the skeleton is the solution with holes."""
    skel = os.path.join(labs.KIT_DIR, "labs", lab.name)
    sol = os.path.join(labs.KIT_DIR, "solutions", lab.name)
    for name in _tracked(sol):
        if not name.endswith(".c") or name.startswith("tests/"):
            continue
        with open(os.path.join(sol, name)) as f:
            wanted = dict(STATIC_DEF.findall(f.read()))
        with open(os.path.join(skel, name)) as f:
            have = dict(STATIC_DEF.findall(f.read()))
        missing = {fn: params for fn, params in wanted.items() if have.get(fn) != params}
        assert not missing, f"{name}: the skeleton lacks or changes {sorted(missing)}"


@pytest.mark.parametrize("tree", ["labs", "solutions"])
@pytest.mark.parametrize("lab", PRESENT, ids=IDS)
def test_lab_builds_without_warnings(lab, tree, tmp_path):
    folder = os.path.join(labs.KIT_DIR, "labs", lab.name)
    if tree == "solutions":
        folder = kit.reference_tree(lab.name, str(tmp_path / lab.name))
    out = subprocess.run(["make", "-s", "-B", "-C", folder],
                         capture_output=True, text=True)
    if tree == "labs":
        subprocess.run(["make", "-s", "-C", folder, "clean"], capture_output=True)
    assert out.returncode == 0 and "warning" not in out.stderr, out.stderr


def test_every_c_file_is_formatted():
    files = subprocess.run(["git", "ls-files", "*.c", "*.h"], cwd=labs.KIT_DIR,
                           capture_output=True, text=True, check=True).stdout.split()
    out = subprocess.run(["clang-format", "--dry-run", "--Werror", *files],
                         cwd=labs.KIT_DIR, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr[:3000]


def test_lab_helper_modules_have_names_of_their_own():
    """The lab folders are on sys.path while grading (gradelib.plugin), so a helper
    module (lab 03's chat_frames.py) must not share its name with another lab's,
    nor with a module of gradelib."""
    gradelib_dir = os.path.join(labs.GRADER_DIR, "gradelib")
    seen = {m[:-3]: "gradelib" for m in os.listdir(gradelib_dir) if m.endswith(".py")}
    for name in labs.names():
        for module in os.listdir(os.path.join(labs.LABS_DIR, name)):
            if not module.endswith(".py") or module.startswith("test_") \
                    or module in ("conftest.py", "bench.py"):  # bench.py: a script
                continue
            stem = module[:-3]
            assert stem not in seen, f"grader/labs/{name}/{module}: {seen.get(stem)} has one"
            seen[stem] = name


def test_modules_with_a_shared_session_stay_on_one_worker():
    """A module-scoped fixture (a memory-check session) is made once per worker:
    without an xdist_group mark the tests of its module are spread over both
    workers and the session runs twice (and takes twice as long)."""
    for path in sorted(glob.glob(os.path.join(labs.LABS_DIR, "*", "test_*.py"))):
        with open(path) as f:
            text = f.read()
        if 'scope="module"' in text:
            assert "pytestmark = pytest.mark.xdist_group(" in text, (
                f"{os.path.relpath(path, labs.KIT_DIR)} has a module-scoped fixture but "
                "no `pytestmark = pytest.mark.xdist_group(...)`")
