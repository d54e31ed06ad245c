"""What a student hands in, laid out as the grader wants it (like labs/).

A student hands in a folder or an archive (.zip, .tar.gz, .tgz, .tar) holding
either lab folders (01-sync-echo/..., at any depth: the kit itself, labs/, or
the folders alone) or only the files they wrote (echo_server.c, net.c, ...).
arrange() copies that into a tree laid out like labs/: lab folders are taken
whole; loose files go to the lab whose answer_files name them (or to the one
lab being graded). The grader fills in the rest from the kit (build.py).

Archives are unpacked with limits: no path outside the target, no links or
devices, at most MAX_FILES members and MAX_BYTES in all.
"""

import os
import shutil
import tarfile
import zipfile

from . import labs

MAX_FILES = 2000
MAX_BYTES = 50 * 1024 * 1024
ARCHIVES = (".zip", ".tar.gz", ".tgz", ".tar")


class LayoutError(Exception):
    """A submission that cannot be unpacked or holds nothing to grade."""


def student_name(path):
    """The student's name from a folder or archive name."""
    base = os.path.basename(os.path.normpath(path))
    for ext in ARCHIVES:
        if base.endswith(ext):
            base = base[:-len(ext)]
    return "".join(c if c.isalnum() or c in "._-" else "_" for c in base) or "student"


def is_submission(path):
    return os.path.isdir(path) or path.endswith(ARCHIVES)


def unpack(archive, target):
    """Extracts archive into target within the limits; LayoutError otherwise."""
    os.makedirs(target, exist_ok=True)
    root = os.path.realpath(target)
    try:
        if archive.endswith(".zip"):
            with zipfile.ZipFile(archive) as z:
                members = [(m.filename, m.file_size, m.is_dir(), True) for m in z.infolist()]
                _check(members, root)
                for m in z.infolist():
                    if not m.is_dir():
                        z.extract(m, target)
        else:
            with tarfile.open(archive) as tar:
                members = [(m.name, m.size, m.isdir(), m.isfile() or m.isdir())
                           for m in tar.getmembers()]
                _check(members, root)
                for m in tar.getmembers():  # plain files only, paths checked above
                    if m.isfile():
                        m.mode = 0o644
                        tar.extract(m, target, set_attrs=False)
    except (OSError, zipfile.BadZipFile, tarfile.TarError, EOFError) as e:
        raise LayoutError(f"{os.path.basename(archive)} cannot be unpacked: {e}") from None


def _check(members, root):
    if len(members) > MAX_FILES:
        raise LayoutError(f"the archive has {len(members)} files (at most {MAX_FILES})")
    if sum(size for _, size, _, _ in members) > MAX_BYTES:
        raise LayoutError(f"the archive unpacks to more than {MAX_BYTES >> 20} MiB")
    for name, _, _, plain in members:
        where = os.path.realpath(os.path.join(root, name))
        if not plain:
            raise LayoutError(f"the archive holds a link or device: {name}")
        if where != root and not where.startswith(root + os.sep):
            raise LayoutError(f"the archive writes outside its folder: {name}")


def arrange(source, target, chosen=None):
    """Lays the submission in folder source out like labs/ in target.

    chosen: the Lab objects being graded (None: every lab of the grader).
    Returns the lab names found; LayoutError if there is nothing to grade."""
    chosen = chosen or labs.all_labs()
    names = {lab.name for lab in chosen}
    found = _lab_folders(source, names)
    os.makedirs(target, exist_ok=True)
    if found:
        for name, path in found.items():
            shutil.copytree(path, os.path.join(target, name), symlinks=False,
                            ignore=shutil.ignore_patterns("bin", "build", ".git", "*.o"))
        return sorted(found)
    placed = _loose_files(source, chosen, target)
    if not placed:
        raise LayoutError("no lab folder (01-sync-echo, ...) and no file a lab asks for "
                          f"({', '.join(sorted({f for lab in chosen for f in lab.answer_files}))})")
    return sorted(placed)


def _lab_folders(source, names):
    """{lab name: its folder} for the shallowest lab folders under source."""
    found = {}
    for dirpath, dirnames, _ in os.walk(source):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith((".", "__MACOSX")))
        for d in list(dirnames):
            if d in names and d not in found:
                found[d] = os.path.join(dirpath, d)
                dirnames.remove(d)
        if dirpath.count(os.sep) - source.count(os.sep) > 6:
            dirnames[:] = []
    return found


def _loose_files(source, chosen, target):
    """Copies the answer files found anywhere under source into target/<lab>/."""
    placed = set()
    files = {}
    for dirpath, dirnames, filenames in os.walk(source):
        dirnames[:] = [d for d in dirnames if not d.startswith((".", "__MACOSX"))]
        for f in filenames:
            files.setdefault(f, os.path.join(dirpath, f))
    for lab in chosen:
        mine = [f for f in lab.answer_files if f in files]
        if len(chosen) > 1:
            # a name several labs ask for goes to one only if the others lack it
            mine = [f for f in mine
                    if not any(f in other.answer_files for other in chosen if other != lab)]
        for f in mine:
            os.makedirs(os.path.join(target, lab.name), exist_ok=True)
            shutil.copy(files[f], os.path.join(target, lab.name, f))
            placed.add(lab.name)
    return placed
