"""Lab 05's bad input for gradelib.storm: request lines of every command, at
and past the length limit, with CRs, NULs and bytes over 0x7E, random bytes,
lines cut anywhere or never ended, descriptors nobody asked for."""

from gradelib import storm

LINE_MAX = 4096


def _line(rng):
    """One request line a client might send, valid or not, and what it is."""
    kind = rng.randrange(7)
    if kind == 0:
        return rng.choice([b"WHOAMI", b"QUIT", b"ECHO", b"WRITEFD", b"whoami", b""]) + \
            rng.choice([b"\n", b"\r\n", b"\r\r\n", b" \n"]), "a command alone"
    if kind == 1:
        text = bytes(rng.randint(0x20, 0x7E) for _ in range(rng.randint(0, 80)))
        return rng.choice([b"ECHO ", b"WRITEFD "]) + text + b"\n", "ECHO or WRITEFD"
    if kind == 2:  # at the limit, one byte past it, far past it
        size = rng.choice([LINE_MAX - 1, LINE_MAX, LINE_MAX + 1, 3 * LINE_MAX])
        return b"ECHO " + b"z" * (size - 6) + b"\n", f"a line of {size} bytes"
    if kind == 3:
        return b"ECHO " + rng.randbytes(rng.randint(1, 60)).replace(b"\n", b"") + b"\n", \
            "ECHO of random bytes"
    if kind == 4:
        word = bytes(rng.randint(0x21, 0x7E) for _ in range(rng.randint(1, 300)))
        return word + b"\n", f"an unknown word of {len(word)} bytes"
    if kind == 5:
        return b"ECHO never ended " * rng.randint(1, 300), "a line with no end"
    return storm.noise(rng, 1, 200), "random bytes"


def storm_shot(rng):
    """One bad (or merely odd) connection: 1..4 lines, maybe bytes changed,
    cut anywhere, sometimes with descriptors, ended any way."""
    made = [_line(rng) for _ in range(rng.randint(1, 4))]
    data = b"".join(line for line, _ in made)
    note = ", ".join(what for _, what in made)
    if rng.random() < 0.4:
        data, note = storm.mutate(rng, data), note + "; then bytes changed"
    fds = rng.choice([0, 0, 0, 1, 2])
    return storm.Shot(storm.cut(rng, data), end=storm.any_end(rng), fds=fds, note=note)
