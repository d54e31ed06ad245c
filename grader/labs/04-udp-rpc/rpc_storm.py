"""Lab 04's bad datagrams for gradelib.storm: requests with every SEQ, command
and number a parser may trip over, random bytes, empty and oversized
datagrams, often with a few bytes changed."""

from gradelib import storm

SEQS = [b"1", b"7", b"4294967295", b"4294967296", b"0", b"07", b"-1", b"+1",
        b"99999999999", b"", b" 1"]
NUMBERS = [b"1", b"-5", b"2147483647", b"-2147483648", b"2147483648", b"-2147483649",
           b"x", b"", b"--5", b"+5", b"5 6", b"0x10", b"9" * 30]


def _request(rng):
    """A request a client might send, valid or not, and what it is."""
    seq = rng.choice(SEQS) if rng.random() < 0.5 else b"%d" % rng.randint(1, 2**32 - 1)
    command = rng.randrange(6)
    if command == 0:
        text = bytes(rng.randint(0x20, 0x7E) for _ in range(rng.randint(0, 60)))
        return seq + b" ECHO " + text, "ECHO"
    if command == 1:  # as long as a request may be, or one byte more
        size = rng.choice([1400, 1401, 1402])
        head = seq + b" ECHO "
        return head + b"e" * max(0, size - len(head)), f"ECHO of {size} bytes in all"
    if command == 2:
        return seq + b" INCR " + rng.choice(NUMBERS), "INCR"
    if command == 3:
        return seq + rng.choice([b" GET", b" GET 1", b" GET ", b"  GET"]), "GET"
    if command == 4:
        word = bytes(rng.randint(0x21, 0x7E) for _ in range(rng.randint(1, 300)))
        return seq + b" " + word, f"an unknown command of {len(word)} bytes"
    return seq + rng.choice([b"", b" ", b" ECHO\n", b" ECHO hi\n\n", b" ECHO \r\n",
                             b" ECHO a\x00b", b" INCR 5\n"]), "a request at its edges"


def storm_shot(rng):
    """One bad (or merely odd) datagram, from one of the storm's 4 sockets."""
    kind = rng.randrange(8)
    if kind == 0:
        data, note = storm.noise(rng, 0, 100), "random bytes"
    elif kind == 1:
        data, note = b"", "an empty datagram"
    elif kind == 2:
        size = rng.choice([2000, 9000, 65000])
        data, note = storm.noise(rng, size, size), f"{size} random bytes"
    else:
        data, note = _request(rng)
        if kind >= 5:
            data, note = storm.mutate(rng, data), note + ", then bytes changed"
    return storm.Shot(data, note=note, source=rng.randrange(4))
