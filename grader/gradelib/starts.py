"""Servers that never became ready, remembered for the rest of a grading.

A server that prints no `listening on` line costs every test that needs it
its whole ready time-out. Once one test has waited it out, the others that
start the same command line fail at once, with the first one's account.
The record is a file per command line in the lab's scratch folder, so that
every pytest-xdist worker sees it.
"""

import hashlib
import os


def key(program, args, env=None, wrap=None):
    """A name for one way of starting a program: the same argv, environment and tool."""
    text = repr((program, [str(a) for a in args], sorted((env or {}).items()),
                 wrap.__qualname__ if wrap else None))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


class Record:
    def __init__(self, scratch, lab_name):
        self.folder = os.path.join(scratch, lab_name, "not-ready")

    def failed(self, key):
        """What happened the first time this command line was started, or None."""
        try:
            with open(os.path.join(self.folder, key)) as f:
                return f.read()
        except FileNotFoundError:
            return None

    def fail(self, key, why):
        os.makedirs(self.folder, exist_ok=True)
        tmp = os.path.join(self.folder, f".{key}.{os.getpid()}")
        with open(tmp, "w") as f:
            f.write(why)
        os.replace(tmp, os.path.join(self.folder, key))
