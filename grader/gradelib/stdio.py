"""A program's stdin and stdout as steps of a story, for interactive programs.

Start the program with stdin="pipe"; Typist writes its stdin a piece at a
time, Screen reads its stdout file as it grows. Both write each step into the
story, and an expectation that is not met fails with the whole account.
"""

import os
import select
import time

from .failure import show

POLL = 0.01


class Typist:
    """Types into a program's stdin (started with stdin="pipe")."""

    def __init__(self, program, story):
        self.program = program
        self.story = story

    def type(self, data, timeout=5.0):
        """Writes data to stdin; fails if the program does not read it in time."""
        action = f"type into {self.program.name}'s stdin: {show(data)}"
        pipe = self.program.proc.stdin
        os.set_blocking(pipe.fileno(), False)  # a program that never reads cannot block us
        deadline = time.monotonic() + timeout
        view = memoryview(data)
        while view:
            try:
                view = view[os.write(pipe.fileno(), view):]
            except BlockingIOError:
                if time.monotonic() > deadline:
                    self.story.fail(action, f"{self.program.name} to read its stdin",
                                    f"{len(view)} bytes still unread after {timeout:.0f} s")
                select.select([], [pipe.fileno()], [], 0.05)
            except (BrokenPipeError, ValueError, OSError):
                self.story.fail(action, f"{self.program.name} to read its stdin",
                                f"its stdin is closed ({self.program.name} "
                                f"{self.program.status()})")
        self.story.step(action)

    def end(self):
        """Closes stdin: the program reads end of file."""
        if not self.program.proc.stdin.closed:
            try:
                self.program.proc.stdin.close()
            except BrokenPipeError:
                pass
        self.story.step(f"end {self.program.name}'s stdin (end of file)")


class Screen:
    """Reads what a program writes to stdout, in order, as it arrives."""

    def __init__(self, program, story):
        self.program = program
        self.story = story
        self.seen = 0  # bytes of stdout already matched

    def _new(self):
        return self.program.stdout()[self.seen:]

    def _wait(self, done, timeout):
        deadline = time.monotonic() + timeout
        while True:
            data = self._new()
            if done(data):
                return data, "ok"
            if not self.program.alive():
                data = self._new()  # what it wrote before ending
                return data, ("ok" if done(data) else "ended")
            if time.monotonic() > deadline:
                return data, "timeout"
            time.sleep(POLL)

    def expect(self, expected, timeout=3.0, hint=None):
        """Expects exactly these bytes next on stdout."""
        data, state = self._wait(lambda d: len(d) >= len(expected), timeout)
        got = data[:len(expected)]
        action = f"expect {show(expected)} on {self.program.name}'s stdout"
        if got == expected:
            self.seen += len(expected)
            self.story.step(action)
            return
        self.story.fail(action, show(expected), self._came(got, state, timeout), hint)

    def expect_silence(self, seconds, hint=None):
        """Expects nothing new on stdout for the given time."""
        data, _ = self._wait(lambda d: len(d) > 0, seconds)
        action = f"expect nothing on {self.program.name}'s stdout for {seconds:.1f} s"
        if not data:
            self.story.step(action)
            return
        self.story.fail(action, "nothing", show(data), hint)

    def rest(self):
        """All of stdout not matched yet (no expectation)."""
        data = self._new()
        self.seen += len(data)
        return data

    def _came(self, got, state, timeout):
        what = show(got) if got else "nothing"
        if state == "ended":
            return f"{what}, then {self.program.name} {self.program.status()}"
        if state == "timeout":
            return f"{what}, then nothing more for {timeout:.1f} s"
        return what


def expect_exit(story, program, code, timeout=5.0, hint=None):
    """Expects the program to end with exit status code within timeout."""
    got = program.wait(timeout)
    story.check(got == code, f"wait for {program.name} to end", f"exit status {code}",
                f"{program.name} {program.status()}" if got is not None else
                f"{program.name} still running after {timeout:.0f} s", hint)


def expect_stderr_has(story, program, text, hint=None):
    """Expects text (bytes) somewhere in the program's stderr."""
    err = program.stderr()
    story.check(text in err, f"read {program.name}'s stderr",
                f"a line with {show(text)}", show(err) if err else "nothing", hint)


def expect_stdout(story, program, expected, hint=None):
    """Expects the whole of the program's stdout to be expected (once it has ended)."""
    out = program.stdout()
    story.check(out == expected, f"read all of {program.name}'s stdout", show(expected),
                show(out), hint)
