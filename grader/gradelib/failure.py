"""What a failed check tells the student.

A test keeps a Story: every step it takes (connect, send, expect ...) is
written down as it happens. When an expectation is not met the story raises
Failure with the whole account: the steps, what was expected and what came,
each program's last stderr lines and how it ended, and where to read.

The same account also travels as data (Failure.story, Story.record()): each
step with its time, the hint, each program's stderr tail. The HTML report
draws it as a sequence diagram (gradelib/sequence.py); the text stays the one
students read in the terminal and in results.json.
"""

import time


class Failure(Exception):
    """A check the student's program did not pass (not a grader error).

    story: the account as data (Story.record()), or None when the failure
    was raised without a story."""

    def __init__(self, text, story=None):
        super().__init__(text)
        self.story = story


def show(data, limit=120):
    """Bytes as a student can read them: quoted text, or hex when binary."""
    if data is None:
        return "nothing"
    if isinstance(data, str):
        data = data.encode()
    size = f"{len(data)} byte" + ("" if len(data) == 1 else "s")
    if _is_text(data):
        text = data.decode("ascii")
        shown = text if len(text) <= limit else (
            text[:limit // 2] + " [...] " + text[-limit // 4:])
        escaped = (shown.replace("\\", "\\\\").replace("\r", "\\r")
                   .replace("\n", "\\n").replace("\t", "\\t").replace('"', '\\"'))
        return f'"{escaped}" ({size})'
    head = data[:32].hex(" ")
    more = " ..." if len(data) > 32 else ""
    return f"hex {head}{more} ({size})"


def _is_text(data):
    return all(32 <= b < 127 or b in (9, 10, 13) for b in data)


class Story:
    """The steps of one test, and the programs it watches."""

    def __init__(self, read_more=None):
        self.steps = []
        self.times = []  # seconds since the story began, one per step
        self.programs = []
        self.read_more = read_more
        self.started = time.monotonic()

    def watch(self, program):
        self.programs.append(program)
        return program

    def unwatch(self, program):
        """program's end and stderr no longer belong in the account."""
        if program in self.programs:
            self.programs.remove(program)

    def step(self, action, outcome="ok"):
        self.steps.append((action, outcome))
        self.times.append(round(time.monotonic() - self.started, 3))

    def fail(self, action, expected, got, hint=None):
        """Records the failed step and raises Failure with the account."""
        self.step(action, f"FAILED: expected {expected}, got {got}")
        self.failed_with = (str(expected), str(got))
        text = self.render(hint)  # first: it waits for a dying program's status
        raise Failure(text, self.record(hint))

    def check(self, ok, action, expected, got, hint=None):
        if ok:
            self.step(action)
        else:
            self.fail(action, expected, got, hint)

    def render(self, hint=None):
        lines = []
        for n, (action, outcome) in enumerate(self.steps, 1):
            lines.append(f"step {n:<2} {action}")
            if outcome != "ok":
                lines.append(f"         {outcome}")
        if hint:
            lines.append(f"hint: {hint}")
        for prog in self.programs:
            if prog.proc is None:
                continue
            if prog.alive():
                prog.wait(0.2)  # a crash that broke the connection is still dying
            lines.append(f"{prog.name} {prog.status()}; its last stderr lines:")
            tail = prog.stderr_tail()
            lines.extend("  | " + t for t in tail) if tail else lines.append("  (nothing)")
        if self.read_more:
            lines.append(f"read: {self.read_more}")
        return "\n".join(lines)

    def record(self, hint=None):
        """The account as plain data (JSON-ready): what render() writes as text."""
        times = self.times + [None] * (len(self.steps) - len(self.times))
        steps = [{"action": a, "outcome": o, "t": t}
                 for (a, o), t in zip(self.steps, times)]
        expected, got = getattr(self, "failed_with", (None, None))
        if steps and steps[-1]["outcome"] != "ok" and expected is not None:
            steps[-1].update(expected=expected, got=got)
        programs = [{"name": p.name, "status": p.status(), "stderr": list(p.stderr_tail())}
                    for p in self.programs if p.proc is not None]
        return {"steps": steps, "hint": hint, "programs": programs,
                "read_more": self.read_more}


class QuietStory:
    """A story that writes down only failures: for a crowd of clients whose
    thousands of steps would bury the ones that matter. Failing raises with the
    whole account of the story it stands for."""

    def __init__(self, story):
        self.story = story

    def step(self, action, outcome="ok"):
        pass

    def check(self, ok, action, expected, got, hint=None):
        if not ok:
            self.fail(action, expected, got, hint)

    def fail(self, action, expected, got, hint=None):
        self.story.fail(action, expected, got, hint)
