"""Lab 05's unit tests: the grader's Criterion tests (unit/test_unix_addr.c,
unit/test_request.c), run by grade.py against the student's build/liblab.a,
scored here one by one."""

import pytest

from gradelib import unit

UNIT_TESTS = {
    # suite/name: (points, handout section)
    "unix_addr/builds_family_path_and_length": (3, "The address: struct sockaddr_un"),
    "unix_addr/accepts_longest_path_that_fits": (3, "The address: struct sockaddr_un"),
    "unix_addr/refuses_path_one_byte_too_long": (3, "The address: struct sockaddr_un"),
    "unix_addr/refuses_empty_path": (2, "The address: struct sockaddr_un"),
    "request/parses_whoami_and_quit": (1, "The contract"),
    "request/parses_echo_with_text": (2, "The contract"),
    "request/echo_without_text_is_empty": (1, "The contract"),
    "request/removes_lf_and_one_cr": (1, "The contract"),
    "request/parses_line_without_lf": (1, "The contract"),
    "request/commands_are_exact_and_case_sensitive": (1, "The contract"),
    "request/empty_line_is_unknown": (1, "The contract"),
    "request/parses_writefd_text": (1, "Passing descriptors: SCM_RIGHTS"),
}


@pytest.mark.parametrize("name", unit.params(UNIT_TESTS))
def test_unit(name, request, lab):
    unit.grade(request, lab, UNIT_TESTS, name)
