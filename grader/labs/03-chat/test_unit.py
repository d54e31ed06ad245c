"""Lab 03's unit tests: the grader's Criterion tests (unit/test_frame.c), run
by grade.py against the student's build/liblab.a, scored here one by one."""

import pytest

from gradelib import unit

FORMAT = "The frame format"
DECODER = "A streaming decoder"
NAMES = "Names and texts"

UNIT_TESTS = {
    # suite/name: (points, handout section)
    "frame_encode/hello_with_a_big_endian_length": (1, FORMAT),
    "frame_encode/an_empty_payload_has_length_1": (1, FORMAT),
    "frame_encode/a_length_over_255_takes_two_bytes": (1, FORMAT),
    "frame_encode/refuses_a_payload_over_8191_bytes": (1, FORMAT),
    "frame_encode/refuses_a_buffer_too_small": (1, FORMAT),
    "frame_encode/msg_carries_the_name_length_then_name_then_text": (1, FORMAT),
    "frame_split_msg/gives_the_name_and_the_text": (1, FORMAT),
    "frame_split_msg/refuses_a_name_longer_than_the_payload": (1, FORMAT),
    "frame_decode/all_at_once": (1, DECODER),
    "frame_decode/one_byte_at_a_time": (2, DECODER),
    "frame_decode/two_pieces_cut_at_every_byte": (2, DECODER),
    "frame_decode/random_pieces": (2, DECODER),
    "frame_decode/stops_at_the_end_of_each_frame": (1, DECODER),
    "frame_decode/length_0_is_refused_from_the_header": (1, DECODER),
    "frame_decode/length_8193_is_refused_from_the_header": (1, DECODER),
    "frame_decode/a_huge_length_is_refused_from_the_header": (1, DECODER),
    "frame_decode/lengths_1_and_8192_are_valid": (1, DECODER),
    "frame_decode/unknown_types_are_passed_on": (1, DECODER),
    "chat_name_valid/accepts_1_to_32_printable_bytes": (1, NAMES),
    "chat_name_valid/refuses_empty_long_and_other_bytes": (1, NAMES),
    "chat_text_valid/accepts_spaces_and_bytes_over_0x7e": (1, NAMES),
    "chat_text_valid/refuses_empty_long_and_control_bytes": (1, NAMES),
}


@pytest.mark.parametrize("name", unit.params(UNIT_TESTS))
def test_unit(name, request, lab):
    unit.grade(request, lab, UNIT_TESTS, name)
