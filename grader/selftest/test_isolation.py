"""The network namespace around a test run, and grading without it."""

import json
import os
import subprocess
import sys

import pytest

from gradelib import labs

import kit

sys.path.insert(0, labs.GRADER_DIR)
import grade  # noqa: E402


def test_test_run_sees_only_loopback():
    """Read from /proc/net/dev inside the namespace: no traffic is sent."""
    prefix, why = grade.network_isolation()
    if prefix is None:
        pytest.skip(f"no network namespace on this machine: {why}")
    out = subprocess.run(prefix + ["cat", "/proc/net/dev"], capture_output=True,
                         text=True, check=True).stdout
    interfaces = [line.split(":")[0].strip() for line in out.splitlines()[2:]]
    assert interfaces == ["lo"]


def test_grading_without_isolation_still_works_and_says_so(tmp_path, monkeypatch):
    monkeypatch.setenv("SOCKETLAB_NETNS", "0")
    proc, by_lab = kit.grade(os.path.join(labs.KIT_DIR, "solutions"), tmp_path, lab="01",
                             test="echoes_a_line")
    assert by_lab["01-sync-echo"]["echoes_a_line"]["status"] == "passed", proc.stderr
    with open(tmp_path / "results.json") as f:
        assert "graded without network isolation" in json.load(f)["output"]
