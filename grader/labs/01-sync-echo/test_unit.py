"""Lab 01's unit tests: the grader's Criterion tests (unit/test_net.c), run
by grade.py against the student's build/liblab.a, scored here one by one."""

import pytest

from gradelib import unit

UNIT_TESTS = {
    # suite/name: (points, handout section)
    "send_all/writes_whole_buffer": (3, "Short writes"),
    "send_all/loops_over_short_writes": (4, "Short writes"),
    "send_all/retries_after_eintr": (3, "Short writes"),
    "send_all/reports_epipe_when_peer_closed": (2, "Short writes"),
    "line_reader/reads_one_line": (2, "Lines over a byte stream"),
    "line_reader/splits_several_lines_in_one_segment": (3, "Lines over a byte stream"),
    "line_reader/joins_line_arriving_byte_by_byte": (3, "Lines over a byte stream"),
    "line_reader/accepts_line_of_exactly_4096_bytes": (2, "The 4096-byte limit"),
    "line_reader/rejects_line_longer_than_4096_bytes": (2, "The 4096-byte limit"),
    "line_reader/returns_last_line_without_lf": (1, "Lines over a byte stream"),
}


@pytest.mark.parametrize("name", unit.params(UNIT_TESTS))
def test_unit(name, request, lab):
    unit.grade(request, lab, UNIT_TESTS, name)
