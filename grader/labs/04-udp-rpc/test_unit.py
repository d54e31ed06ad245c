"""Lab 04's unit tests: the grader's Criterion tests (unit/test_rpc_request.c,
unit/test_udp_table.c), run by grade.py against the student's build/liblab.a,
scored here one by one."""

import pytest

from gradelib import unit

PROTOCOL = "The protocol"
TABLE = "Remembering clients, within bounds"

UNIT_TESTS = {
    # suite/name: (points, handout section)
    "parse/echo_with_text": (1, PROTOCOL),
    "parse/echo_without_text": (1, PROTOCOL),
    "parse/echo_keeps_every_space_of_its_text": (1, PROTOCOL),
    "parse/incr_with_a_number": (1, PROTOCOL),
    "parse/incr_argument_within_int32": (1, PROTOCOL),
    "parse/incr_bad_number": (1, PROTOCOL),
    "parse/incr_rejects_trailing_garbage": (1, PROTOCOL),
    "parse/get": (1, PROTOCOL),
    "parse/unknown_command": (1, PROTOCOL),
    "parse/get_with_an_argument_is_unknown": (1, PROTOCOL),
    "parse/seq_bounds": (2, PROTOCOL),
    "parse/seq_without_sign_or_leading_zero": (1, PROTOCOL),
    "parse/garbage_is_malformed_without_seq": (1, PROTOCOL),
    "parse/unprintable_byte_after_seq_is_malformed_with_seq": (1, PROTOCOL),
    "parse/one_trailing_lf_is_ignored": (1, PROTOCOL),
    "parse/reads_only_len_bytes": (1, PROTOCOL),
    "parse/datagram_of_1400_bytes_is_a_request": (1, PROTOCOL),
    "parse/datagram_over_1400_bytes_is_malformed": (1, PROTOCOL),
    "answer/echo_gives_the_text_back": (1, PROTOCOL),
    "answer/incr_adds_and_returns_the_new_total": (1, PROTOCOL),
    "answer/get_returns_the_total_unchanged": (1, PROTOCOL),
    "answer/total_is_64_bit": (1, PROTOCOL),
    "answer/errors_leave_the_total_alone": (1, PROTOCOL),
    "answer/largest_seq_and_echo_fit_in_1400_bytes": (1, PROTOCOL),
    "format/writes_seq_space_result": (1, PROTOCOL),
    "format/copies_result_bytes_whatever_they_are": (1, PROTOCOL),
    "format/fails_with_enospc_when_it_does_not_fit": (1, PROTOCOL),
    "table/init_refuses_capacity_zero": (1, TABLE),
    "table/find_in_an_empty_table_gives_null": (1, TABLE),
    "table/touch_adds_a_new_client_from_zero": (1, TABLE),
    "table/touch_finds_a_known_client_with_its_state": (1, TABLE),
    "table/a_client_is_its_address_and_port": (1, TABLE),
    "table/find_does_not_add": (1, TABLE),
    "table/evicts_the_least_recently_seen": (2, TABLE),
    "table/find_does_not_count_as_seen": (1, TABLE),
    "table/a_client_in_a_reused_slot_starts_fresh": (1, TABLE),
    "table/never_holds_more_than_its_capacity": (1, TABLE),
}


@pytest.mark.parametrize("name", unit.params(UNIT_TESTS))
def test_unit(name, request, lab):
    unit.grade(request, lab, UNIT_TESTS, name)
