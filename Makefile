# Socket Lab Kit: the two commands that do everything are `make grade` and `make test`.
#
#   make grade                      grade every lab in labs/ (your work)
#   make grade LAB=01               grade one lab
#   make grade LAB=01 TEST=bye      run only the tests whose name contains "bye"
#   make grade SUBMISSION=DIR       grade a tree laid out like labs/
#   make test                       the kit's own tests
#   make handout                    the student archive (no solutions)
#   make flaky N=20                 grade the reference N times, cores busy; any change?
#   make bench                      time the grading of every lab (reference and skeleton)
#   make slides                     the chapters' slides and notes as HTML (slides-notes/build/)
#   make slides PDF=1               the same, and a PDF of each deck (needs Debian's chromium)

PYTHON     := /usr/bin/python3
SUBMISSION ?= labs
REPORT_DIR ?= reports
LAB        ?=
TEST       ?=
JOBS       ?= 2

GRADE_ARGS := --submission '$(SUBMISSION)' --report-dir '$(REPORT_DIR)' --jobs $(JOBS) \
	$(if $(LAB),--lab '$(LAB)') $(if $(TEST),--test '$(TEST)')

N          ?= 20

.PHONY: all grade test deps handout flaky bench slides clean format check-format

all: grade

deps:
	@grader/install-deps.sh

grade: deps
	@$(PYTHON) grader/grade.py $(GRADE_ARGS)

test: deps
	$(PYTHON) -m pytest -c grader/selftest/pytest.ini -n $(JOBS) --dist loadgroup grader/selftest

handout:
	@grader/make-handout.sh dist

flaky: deps
	@$(PYTHON) grader/flaky.py --runs $(N) --load $(if $(LAB),--lab '$(LAB)')

bench: deps
	@$(PYTHON) grader/bench.py $(if $(LAB),--lab '$(LAB)')

slides: deps
	@$(PYTHON) slides-notes/build.py $(if $(PDF),--pdf)

format:
	clang-format -i $$(git ls-files '*.c' '*.h')

check-format:
	@clang-format --dry-run --Werror $$(git ls-files '*.c' '*.h')

clean:
	rm -rf $(REPORT_DIR) dist slides-notes/build
	for d in labs/*/; do $(MAKE) -s -C $$d clean; done
