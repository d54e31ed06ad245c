"""Checks that every lab's programs share: bad usage, a refused connection."""

from .failure import show
from .stdio import expect_exit


def usage_errors_exit_with_2(start, story, cases, timeout=5.0):
    """Each (program, args) of cases is bad usage: exit status 2, and a usage line
    on stderr (section 0 of the contract)."""
    for program, args in cases:
        prog = start(program, *args)
        code = prog.wait(timeout)
        shown = " ".join(["bin/" + program, *args])
        story.check(code == 2, f"`{shown}` is bad usage", "exit status 2 and a usage "
                    "line on stderr", prog.status() if code is not None else
                    f"still running after {timeout:.0f} s")
        story.check(prog.stderr().strip() != b"", f"`{shown}` explains itself",
                    "a usage line on stderr", "nothing on stderr")


def refused_connection_exits_1(start, story, program, *args, stdin=b"", timeout=5.0):
    """`program args...` pointed at a port where nothing listens (see
    conversation.refusing_port): exit status 1 and a message of the shape
    `program: connect HOST:PORT: Connection refused` (err(3), not perror)."""
    prog = start(program, *args, stdin=stdin)
    expect_exit(story, prog, 1, timeout=timeout)
    err = prog.stderr()
    story.check(err.startswith(program.encode() + b": ") and b"refused" in err,
                f"read {program}'s stderr",
                f"a line like `{program}: connect HOST:PORT: Connection refused`",
                show(err))
