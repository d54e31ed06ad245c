"""The fuzzing harnesses (grader/fuzz): each compiles against the reference
without a warning, and its committed seeds and saved crashes run through it
with nothing found, in about a second (no fuzzing: `make fuzz` does that).

Skipped, with the reason, where clang or libFuzzer's runtime is missing:
`make fuzz` needs them, `make test` does not.
"""

import os
import subprocess

import pytest

from fuzz import run as fuzz_run

PARSERS = {p.name: p for p in fuzz_run.PARSERS}


@pytest.fixture(scope="module", autouse=True)
def compiler():
    try:
        fuzz_run.check_compiler()
    except fuzz_run.ToolMissing as e:
        pytest.skip(f"make fuzz's compiler is missing ({e})")


@pytest.mark.parametrize("name", sorted(PARSERS))
def test_harness_replays_its_seeds_and_crashes_without_a_finding(name):
    ok, said = fuzz_run.check_one(PARSERS[name])
    assert ok, said


@pytest.mark.parametrize("name", sorted(PARSERS))
def test_seed_corpus_is_small_files(name):
    seeds = PARSERS[name].seeds
    sizes = {f: os.path.getsize(os.path.join(seeds, f)) for f in os.listdir(seeds)}
    assert len(sizes) >= 10, f"{seeds}: too few seeds"
    assert max(sizes.values()) <= PARSERS[name].max_len


# A broken copy of each parser whose mistake the seeds alone must show: the
# harnesses check more than "no crash".
BROKEN = {
    "frame_decoder": "03-chat/decoder-forgets-partial-frames.patch",
    "rpc_request": "04-udp-rpc/parse-seq-wraps.patch",
    "request_line": "05-unix-socket/request-keeps-cr.patch",
}


@pytest.mark.parametrize("name", sorted(BROKEN))
def test_harness_finds_a_known_mistake_from_its_seeds(name, tmp_path):
    parser = PARSERS[name]
    patch = os.path.join(fuzz_run.KIT, "grader", "selftest", "variants", BROKEN[name])
    solutions = tmp_path / "solutions"
    fuzz_run.reference_tree(parser, str(solutions / parser.lab),
                            os.path.join(fuzz_run.KIT, "solutions"))
    subprocess.run(["patch", "-p1", "--batch", "--forward", "-s", "-i", patch],
                   cwd=solutions / parser.lab, check=True)
    binary, _ = fuzz_run.build(parser, str(tmp_path / "build"), solutions=str(solutions))
    seeds = sorted(os.path.join(parser.seeds, f) for f in os.listdir(parser.seeds))
    log = str(tmp_path / "replay.log")
    assert fuzz_run.replay(binary, seeds, log) != 0, f"{BROKEN[name]} went unnoticed"
    with open(log) as f:
        assert "broken rule" in f.read()
