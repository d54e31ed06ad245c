"""Buggy variants of the reference solutions: each must lose the points of
the tests meant to catch it. Only those tests are run for each variant, to
keep `make test` short.

A variant is a patch in variants/<lab>/<name>.patch against solutions/<lab>,
headed by the mistake it makes and the tests that must catch it:

    Mistake: SIGPIPE is not ignored: writing to a client that left kills the server.
    Catches: survives_a_client_that_does_not_read

    --- a/echo_server.c
    +++ b/echo_server.c
    ...
"""

import glob
import os

import pytest


import kit

VARIANTS = sorted(p for p in glob.glob(os.path.join(os.path.dirname(__file__), "variants",
                                                   "*", "*.patch"))
                  if os.path.basename(os.path.dirname(p)) in kit.LAB_IDS)


def _id(path):
    return f"{os.path.basename(os.path.dirname(path))}/{os.path.basename(path)[:-6]}"


def _k_term(name):
    """The -k term that selects a test by its table name ('unit[send_all/x]' -> 'x')."""
    return name.rstrip("]").split("/")[-1].split("[")[-1]


@pytest.mark.parametrize("variant", VARIANTS, ids=[_id(v) for v in VARIANTS])
def test_variant_loses_the_points_of_its_tests(variant, tmp_path):
    lab = os.path.basename(os.path.dirname(variant))
    header = kit.patch_header(variant)
    catches = " ".join(header.get("catches", [])).split()
    assert catches, f"{variant} names no test in its Catches: line"
    kit.patched_solution(lab, variant, tmp_path / "submission" / lab)
    only = " or ".join(_k_term(t) for t in catches)
    # One worker: a variant runs a few tests, and starting two costs a second.
    proc, by_lab = kit.grade(tmp_path / "submission", tmp_path / "reports", lab=lab[:2],
                             test=only, jobs=1)
    tests = by_lab.get(lab, {})
    assert tests, proc.stdout + proc.stderr
    assert kit.grader_errors(tests) == []
    not_caught = [t for t in catches if tests.get(t, {}).get("status") != "failed"]
    assert not not_caught, (f"{header.get('mistake', [''])[0]}\nthese tests did not catch it: "
                            f"{not_caught}\nfailed instead: {kit.failed(tests)}")
    assert tests["build"]["status"] == "passed", "a variant must build"
