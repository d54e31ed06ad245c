# Socket Lab Kit: the two commands that do everything are `make grade` and `make test`.
#
#   make grade                      grade every lab in labs/ (your work)
#   make grade LAB=01               grade one lab
#   make grade LAB=01 TEST=bye      run only the tests whose name contains "bye"
#   make grade SUBMISSION=DIR       grade a tree laid out like labs/
#   make test                       the kit's own tests
#   make handout                    the student archive (no solutions)
#   make handout LAB="01 02"        the archive of these labs alone (dist/)
#   make grade-class CLASS=DIR      grade a class: one folder or archive per student
#   make gradescope LAB=01          Gradescope's autograder zip for lab 01 (dist/)
#   make grade PRIVATE=DIR          add an instructor's private tests (also grade-class,
#                                   gradescope)
#   make flaky N=20                 grade the reference N times, cores busy; any change?
#   make bench                      time the grading of every lab (reference and skeleton)
#   make fingerprints [LAB=NN]      grade every buggy variant whole: the known mistakes' fingerprints
#   make fuzz SECONDS=300           fuzz the reference's parsers (60 s each unless told)
#   make slides                     the chapters' slides and notes as HTML (slides-notes/build/)
#   make slides PDF=1               the same, and a PDF of each deck (needs Debian's chromium)

PYTHON     := /usr/bin/python3
SUBMISSION ?= labs
REPORT_DIR ?= reports
LAB        ?=
TEST       ?=
JOBS       ?= 2

PRIVATE    ?=
CLASS      ?=
CLASS_OUT  ?= $(REPORT_DIR)/class

GRADE_ARGS := --submission '$(SUBMISSION)' --report-dir '$(REPORT_DIR)' --jobs $(JOBS) \
	$(if $(LAB),--lab '$(LAB)') $(if $(TEST),--test '$(TEST)') \
	$(if $(PRIVATE),--private '$(PRIVATE)')

N          ?= 20

.PHONY: all grade test deps handout grade-class gradescope flaky bench fingerprints slides \
	clean format \
	check-format

all: grade

deps:
	@grader/install-deps.sh

grade: deps
	@$(PYTHON) grader/grade.py $(GRADE_ARGS)

test: deps
	$(PYTHON) -m pytest -c grader/selftest/pytest.ini -n $(JOBS) --dist loadgroup grader/selftest

handout:
	@$(PYTHON) grader/handout.py --out dist $(if $(LAB),--lab '$(LAB)')

grade-class: deps
	@test -n '$(CLASS)' || { echo "usage: make grade-class CLASS=DIR [LAB=01] [PRIVATE=DIR]"; exit 2; }
	@$(PYTHON) grader/grade_class.py '$(CLASS)' --out '$(CLASS_OUT)' \
		$(if $(LAB),--lab '$(LAB)') $(if $(PRIVATE),--private '$(PRIVATE)')

gradescope:
	@$(PYTHON) grader/gradescope.py build --out dist $(if $(LAB),--lab '$(LAB)') \
		$(if $(PRIVATE),--private '$(PRIVATE)')

flaky: deps
	@$(PYTHON) grader/flaky.py --runs $(N) --load $(if $(LAB),--lab '$(LAB)')

fingerprints: deps
	@$(PYTHON) grader/fingerprints.py $(if $(LAB),--lab '$(LAB)')

bench: deps
	@$(PYTHON) grader/bench.py $(if $(LAB),--lab '$(LAB)')

.PHONY: fuzz
fuzz:
	@$(PYTHON) grader/fuzz/run.py $(if $(SECONDS),--seconds '$(SECONDS)') $(if $(LAB),--lab '$(LAB)')

slides: deps
	@$(PYTHON) slides-notes/build.py $(if $(PDF),--pdf)

format:
	clang-format -i $$(git ls-files '*.c' '*.h')

check-format:
	@clang-format --dry-run --Werror $$(git ls-files '*.c' '*.h')

clean:
	rm -rf $(REPORT_DIR) dist slides-notes/build
	for d in labs/*/; do $(MAKE) -s -C $$d clean; done
