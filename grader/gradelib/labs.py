"""The labs the grader knows, and where each keeps its tests."""

import os
from dataclasses import dataclass, field

GRADER_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
KIT_DIR = os.path.dirname(GRADER_DIR)


@dataclass
class Lab:
    name: str                       # folder name, e.g. "01-sync-echo"
    programs: list                  # what `make` must leave in bin/
    unit_sources: list = field(default_factory=list)  # grader's Criterion files

    @property
    def number(self):
        return self.name[:2]

    @property
    def tests_dir(self):
        return os.path.join(GRADER_DIR, "labs", self.name)


LABS = [
    Lab("01-sync-echo", ["echo-server", "echo-client"], ["unit/test_net.c"]),
    Lab("02-async-peer", ["peer"], ["unit/test_peer.c"]),
]


def find(selector):
    """The Lab whose number or name is selector ('01', '1', '01-sync-echo')."""
    for lab in LABS:
        if selector in (lab.name, lab.number) or selector.zfill(2) == lab.number:
            return lab
    return None
