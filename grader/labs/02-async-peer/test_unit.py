"""Lab 02's unit tests: the grader's Criterion tests (unit/test_peer.c), run
by grade.py against the student's build/liblab.a, scored here one by one."""

import pytest

from gradelib import unit

UNIT_TESTS = {
    # suite/name: (points, handout section)
    "byte_queue/push_then_peek_gives_the_bytes_back": (2, "Bounded queues"),
    "byte_queue/push_takes_only_what_fits": (2, "Bounded queues"),
    "byte_queue/consume_keeps_the_rest_in_order": (2, "Bounded queues"),
    "byte_queue/wraps_around_the_end": (3, "Bounded queues"),
    "byte_queue/carries_a_megabyte_in_odd_pieces": (1, "Bounded queues"),
    "chunk_to_send/releases_a_whole_line": (1, "Sending and receiving"),
    "chunk_to_send/releases_one_line_at_a_time": (1, "Sending and receiving"),
    "chunk_to_send/holds_a_partial_line": (1, "Sending and receiving"),
    "chunk_to_send/releases_4096_bytes_without_lf": (1, "Sending and receiving"),
    "chunk_to_send/releases_the_rest_at_end_of_stdin": (1, "Sending and receiving"),
    "chunk_to_send/finds_lf_after_nul_bytes": (1, "Sending and receiving"),
    "chunk_to_print/releases_bytes_at_once": (1, "The exit line"),
    "chunk_to_print/holds_what_may_become_exit": (2, "The exit line"),
    "chunk_to_print/releases_the_exit_line_whole": (1, "The exit line"),
}


@pytest.mark.parametrize("name", unit.params(UNIT_TESTS))
def test_unit(name, request, lab):
    unit.grade(request, lab, UNIT_TESTS, name)
