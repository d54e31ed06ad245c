"""Naming the likely mistake: a submission's failures against the kit's known ones.

Every buggy variant of a reference (grader/selftest/variants/NN-name/*.patch)
is a known mistake, with its words (`Mistake:`) and its fingerprint: the set
of tests it fails when it is graded whole. `make fingerprints` records them in
grader/labs/NN-name/mistakes.json, with a digest of everything they depend
on; `make test` fails when that digest is no longer the files' (stale).

The measure: Jaccard similarity, |F & S| / |F | S|, of the tests a submission
fails (F) and a fingerprint (S). A mistake is named when it scores at least
THRESHOLD; a second one only when it scores within MARGIN of the first. No
failures, no mistake: a correct program is never told one.
"""

import glob
import hashlib
import json
import os

from . import labs

THRESHOLD = 0.6
MARGIN = 0.1
FILE = "mistakes.json"


def variants_dir(lab):
    return os.path.join(labs.GRADER_DIR, "selftest", "variants", lab.name)


def inputs_digest(lab):
    """What the fingerprints of lab depend on: its variants, its reference's answer
    files, its student folder (handout apart) and its grader folder (this file apart)."""
    paths = sorted(glob.glob(os.path.join(variants_dir(lab), "*.patch")))
    paths += [os.path.join(labs.KIT_DIR, "solutions", lab.name, f) for f in lab.answer_files]
    for root in (lab.kit_dir, lab.tests_dir):
        for dirpath, dirnames, filenames in os.walk(root):
            dirnames[:] = sorted(d for d in dirnames
                                 if d not in ("bin", "build", "__pycache__"))
            paths += [os.path.join(dirpath, f) for f in sorted(filenames)
                      if f not in (FILE, "README.md", "bench.py", "rules.toml")
                      and not f.endswith((".o", ".a", ".pyc"))]
    h = hashlib.sha256()
    for path in paths:
        h.update(os.path.relpath(path, labs.KIT_DIR).encode() + b"\0")
        with open(path, "rb") as f:
            h.update(f.read())
    return h.hexdigest()


def load(lab):
    """The lab's known mistakes ([] when it has none recorded)."""
    path = os.path.join(lab.tests_dir, FILE)
    if not os.path.exists(path):
        return []
    with open(path) as f:
        return json.load(f)["mistakes"]


def similarity(failed, fingerprint):
    failed, fingerprint = set(failed), set(fingerprint)
    union = failed | fingerprint
    return len(failed & fingerprint) / len(union) if union else 0.0


def likely(failed, known, threshold=THRESHOLD, margin=MARGIN):
    """[(mistake, score)]: the best match, and a second one close to it, or []."""
    if not failed:
        return []
    scored = sorted(((similarity(failed, m["fails"]), m["variant"], m) for m in known
                     if m["fails"]), key=lambda t: (-t[0], t[1]))
    if not scored or scored[0][0] < threshold:
        return []
    best = scored[0][0]
    return [(m, s) for s, _, m in scored[:2] if s >= threshold and best - s <= margin]


def advice(lab, results):
    """The lines a report shows above the failures of lab, or []."""
    failed = [r.name for r in results if r.lab == lab.name and not r.passed
              and not r.is_build and not getattr(r, "hidden", False)]
    found = likely(failed, load(lab))
    if not found:
        return []
    lines = []
    for i, (m, score) in enumerate(found):
        where = f" (handout: {m['handout']})" if m.get("handout") else ""
        lead = ("Your failures look like a known mistake: " if i == 0 else
                "Or, as closely: ")
        lines.append(f"{lead}{m['mistake']}{where}")
    return lines
