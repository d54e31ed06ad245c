"""One graded test, as every report sees it."""

import json
from dataclasses import asdict, dataclass, fields


@dataclass
class Result:
    lab: str                 # "01-sync-echo"
    name: str                # the test's name in the table ("exits_with_0_on_sigterm")
    points: int              # what it is worth
    bonus: bool = False      # extra credit, apart from the lab's 100
    part: str = ""           # "server", "unit", ... ("build" for the build line)
    part_title: str = ""     # "the server"
    rank: tuple = (0, 0)     # (part's place in the lab, test's place in the part)
    passed: bool = None      # None while the test has not finished
    kind: str = None         # "fail" (the student's) or "grader-error" (the kit's)
    output: str = ""         # the failure's account, for the student
    duration: float = 0.0
    nodeid: str = ""
    story: dict = None       # a failure's account as data (failure.Story.record())
    hidden: bool = False     # a private test: its output is not shown to the student

    @property
    def score(self):
        return self.points if self.passed else 0

    @property
    def is_build(self):
        return self.part == "build"


def dump(results, path):
    with open(path, "w") as f:
        json.dump([asdict(r) for r in results], f, indent=1)


def load(path):
    names = {f.name for f in fields(Result)}
    with open(path) as f:
        return [Result(**{k: (tuple(v) if k == "rank" else v) for k, v in d.items()
                          if k in names}) for d in json.load(f)]
