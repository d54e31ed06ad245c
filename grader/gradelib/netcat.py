"""OpenBSD netcat (`nc`) as a real other side for the student's programs."""

import re
import time

READY = re.compile(rb"Listening on (\S+) (\d+)")


def wait_listening(nc, timeout=5.0):
    """The port of `nc -l -v ... 0`, read from its `Listening on HOST PORT` line.

    No race for the port: nc binds port 0 itself and prints the line once
    listen(2) is done, the way the students' servers print theirs.
    Raises RuntimeError (a grader error) if nc does not start."""
    deadline = time.monotonic() + timeout
    while True:
        found = READY.search(nc.stderr())
        if found:
            return int(found.group(2))
        if not nc.alive() or time.monotonic() > deadline:
            raise RuntimeError(f"grader error: `nc -l` did not start ({nc.status()}): "
                               f"{nc.stderr()!r}")
        time.sleep(0.01)
