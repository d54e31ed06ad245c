#!/usr/bin/python3
"""Records each known mistake's fingerprint: grades every buggy variant of a lab
whole and writes the tests it fails to grader/labs/NN-name/mistakes.json
(gradelib/mistakes.py says what they are for).

    fingerprints.py [--lab NN]...      (make fingerprints [LAB=NN])

A lab's file records the digest of what the fingerprints depend on; `make
test` says when it is stale. Takes a few seconds per variant.
"""

import argparse
import glob
import json
import os
import re
import sys
import tempfile

GRADER_DIR = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, GRADER_DIR)
sys.path.insert(0, os.path.join(GRADER_DIR, "selftest"))

from gradelib import labs, mistakes  # noqa: E402

import kit  # noqa: E402

READ = re.compile(r'^read: labs/[^,]+, "(.+)"$', re.M)


def fingerprint(lab, patch):
    """(the tests the variant fails, the handout section its caught tests cite)."""
    with tempfile.TemporaryDirectory() as tmp:
        kit.patched_solution(lab.name, patch, os.path.join(tmp, "sub", lab.name))
        proc, by_lab = kit.grade(os.path.join(tmp, "sub"), os.path.join(tmp, "reports"),
                                 lab=lab.number)
    tests = by_lab.get(lab.name, {})
    if not tests or kit.grader_errors(tests):
        raise RuntimeError(f"{patch}: the grading failed:\n{proc.stdout}{proc.stderr}")
    fails = [n for n in kit.failed(tests) if n != "build"]
    catches = " ".join(kit.patch_header(patch).get("catches", [])).split()
    section = None
    for name in catches + fails:
        found = READ.search(tests.get(name, {}).get("output", ""))
        if found:
            section = found.group(1)
            break
    return fails, section


def record(lab, say=print):
    known = []
    patches = sorted(glob.glob(os.path.join(mistakes.variants_dir(lab), "*.patch")))
    for n, patch in enumerate(patches, 1):
        name = os.path.basename(patch)[:-len(".patch")]
        fails, section = fingerprint(lab, patch)
        words = kit.patch_header(patch).get("mistake", [name])[0]
        known.append({"variant": name, "mistake": words, "handout": section,
                      "fails": fails})
        say(f"{lab.name} {n}/{len(patches)} {name}: {len(fails)} tests fail")
    path = os.path.join(lab.tests_dir, mistakes.FILE)
    with open(path, "w") as f:
        json.dump({"inputs": mistakes.inputs_digest(lab), "mistakes": known}, f, indent=1)
        f.write("\n")
    return path


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lab", action="append", default=[])
    args = parser.parse_args()
    chosen = [labs.find(sel) for sel in args.lab] or labs.all_labs()
    for lab in chosen:
        print(f"wrote {record(lab)}", flush=True)


if __name__ == "__main__":
    main()
