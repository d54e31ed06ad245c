"""Naming the likely mistake: a submission's failures against the kit's known ones.

Every buggy variant of a reference (grader/selftest/variants/NN-name/*.patch)
is a known mistake, with its words (`Mistake:`) and its fingerprint: the set
of tests it fails when it is graded whole. `make fingerprints` records them in
grader/labs/NN-name/mistakes.json, with a digest of everything they depend
on; `make test` fails when that digest is no longer the files' (stale).

The measure (see likely): a known mistake fits when at least PRECISION of
its fingerprint S failed in the submission's failures F; the one that
explains most of F is named first (ties: the larger Jaccard similarity
|F & S| / |F | S|), and a second one if it explains most of what is left
(two mistakes at once). They are named only if together they explain at
least COVER of F. No failures, no mistake: a correct program is never told
one. When a single test failed and at least BROAD known mistakes fail it (a
memory check, the storm of bad input), the report says that the mistake it
names is one possibility among those.
"""

import glob
import hashlib
import json
import os

from . import labs

PRECISION = 0.8  # of a fingerprint that must have failed for it to fit
COVER = 0.6      # of the failures the named mistakes must explain
FILE = "mistakes.json"
BROAD = 3        # known mistakes failing one test that make it weak evidence alone


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


def likely(failed, known, precision=PRECISION, cover=COVER):
    """[(mistake, similarity)]: at most two known mistakes that together explain
    the failures, the one that explains most first; [] when none fits well.

    A mistake is a candidate when most of its fingerprint failed here (at least
    `precision` of it): a mistake whose tests passed is not this one. The first
    is the candidate that explains most failures (ties: the closer by Jaccard
    similarity), the second the one that explains most of the rest. They are
    named only if together they explain at least `cover` of the failures."""
    failed = set(failed)
    if not failed:
        return []
    rest, chosen = set(failed), []
    for _ in range(2):
        best = None
        for m in known:
            prints = set(m["fails"])
            if not prints or m in (c for c, _ in chosen):
                continue
            if len(prints & failed) / len(prints) < precision or not prints & rest:
                continue
            key = (len(prints & rest), similarity(failed, prints), m["variant"])
            if best is None or key[:2] > best[0][:2]:
                best = (key, m)
        if best is None:
            break
        chosen.append((best[1], similarity(failed, best[1]["fails"])))
        rest -= set(best[1]["fails"])
        if not rest:
            break
    if (len(failed) - len(rest)) / len(failed) < cover:
        return []
    return chosen


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
                "and another one with it: ")
        lines.append(f"{lead}{m['mistake']}{where}")
    if len(failed) == 1:
        others = sum(1 for m in load(lab) if failed[0] in m["fails"])
        if others >= BROAD:
            lines.append(f"(Only one test failed, and {others} of the known mistakes "
                         "fail it: this is one possibility among them; the test's "
                         "story below shows what happened.)")
    return lines
