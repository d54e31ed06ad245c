"""A class of submissions for the class grader's tests and measurements: the
reference, the skeleton, buggy variants, in the shapes students hand them in
(a folder, a .zip of the answer files alone, a .tar.gz of the whole kit)."""

import glob
import os
import random
import shutil
import tarfile
import zipfile

import kit
from gradelib import labs


def reference(tree, lab_names):
    for name in lab_names:
        kit.reference_tree(name, os.path.join(tree, name))


def skeleton(tree, lab_names):
    for name in lab_names:
        shutil.copytree(os.path.join(labs.KIT_DIR, "labs", name), os.path.join(tree, name),
                        ignore=shutil.ignore_patterns("bin", "build", "*.o", "*.a"))


def variant(tree, lab_names, rng):
    """Every lab from the reference, one of them with a random buggy variant."""
    buggy = rng.choice(lab_names)
    for name in lab_names:
        patches = sorted(glob.glob(os.path.join(labs.GRADER_DIR, "selftest", "variants",
                                                name, "*.patch")))
        if name == buggy and patches:
            kit.patched_solution(name, rng.choice(patches), os.path.join(tree, name))
        else:
            kit.reference_tree(name, os.path.join(tree, name))
    return buggy


def zip_answers(tree, archive):
    """A .zip of the answer files alone (as uploaded to Gradescope): lab folders kept."""
    with zipfile.ZipFile(archive, "w") as z:
        for lab in os.listdir(tree):
            for f in labs.load(lab).answer_files:
                z.write(os.path.join(tree, lab, f), f"{lab}/{f}")


def tar_kit(tree, archive):
    """A .tar.gz of a whole kit checkout: socket-lab-kit/labs/NN-name/..."""
    with tarfile.open(archive, "w:gz") as tar:
        tar.add(tree, arcname="socket-lab-kit/labs")


def make_class(class_dir, lab_names, n, seed=13):
    """n submissions in class_dir, mixed: references, skeletons, variants; as folders,
    zips and tarballs. Returns {student: what it is}."""
    rng = random.Random(seed)
    os.makedirs(class_dir, exist_ok=True)
    made = {}
    for i in range(n):
        kind = ("reference", "skeleton", "variant", "variant")[i % 4]
        name = f"student{i + 1:02d}"
        work = os.path.join(class_dir, ".work", name)
        if kind == "reference":
            reference(work, lab_names)
        elif kind == "skeleton":
            skeleton(work, lab_names)
        else:
            kind = "variant of " + variant(work, lab_names, rng)
        shape = ("folder", "zip", "tar.gz")[i % 3]
        if shape == "folder":
            shutil.move(work, os.path.join(class_dir, name))
        elif shape == "zip":
            zip_answers(work, os.path.join(class_dir, name + ".zip"))
        else:
            tar_kit(work, os.path.join(class_dir, name + ".tar.gz"))
        made[name] = f"{kind} ({shape})"
    shutil.rmtree(os.path.join(class_dir, ".work"), ignore_errors=True)
    return made
