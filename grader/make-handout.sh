#!/bin/sh
# Builds the student archive (see grader/handout.py): the kit without solutions/
# and without the grader's own tests.
#   make-handout.sh [OUTDIR] [LAB...]     every lab, or only the labs named
set -eu
out=${1:-dist}
[ $# -gt 0 ] && shift
here=$(dirname "$0")
labs=""
for l in "$@"; do labs="$labs --lab $l"; done
# shellcheck disable=SC2086
exec /usr/bin/python3 "$here/handout.py" --out "$out" $labs
