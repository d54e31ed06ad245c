#!/bin/sh
# Builds the student archive: the kit as committed, without solutions/ and
# without the grader's own tests (its buggy variants are patches of the solutions).
set -eu
out=${1:-dist}
top=$(git rev-parse --show-toplevel)
cd "$top"
mkdir -p "$out"
name=socket-lab-kit-student
git ls-files | grep -v -E '^(solutions/|grader/selftest/)' |
	tar -czf "$out/$name.tar.gz" --transform "s,^,$name/," -T -
echo "$out/$name.tar.gz: the kit for students (no solutions)"
