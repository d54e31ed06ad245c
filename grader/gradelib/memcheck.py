"""Running a program under Valgrind memcheck and reading what it found."""

import contextlib
import glob
import os
import re
import xml.etree.ElementTree as ET

from . import build, labs, sandbox, starts
from .failure import Failure, Story
from .process import Program

ERROR_EXIT = 99  # valgrind's exit status when it found errors (leaks included)
VALGRIND = ["valgrind", "--leak-check=full", "--errors-for-leak-kinds=definite,indirect",
            f"--error-exitcode={ERROR_EXIT}", "--track-fds=yes", "--num-callers=12",
            "--vgdb=no"]  # no FIFOs left in /tmp
LEAK_KINDS = {"Leak_DefinitelyLost", "Leak_IndirectlyLost"}
STARTUP = 0.5  # valgrind's own start-up, in seconds, measured here


def wrap(argv, out_dir, tag):
    """argv run under memcheck, its reports in out_dir/<tag>.<pid>.{xml,log}."""
    os.makedirs(out_dir, exist_ok=True)
    sandbox.give_to_student(out_dir, root=os.path.dirname(out_dir))  # valgrind writes there
    base = os.path.join(out_dir, tag)
    return [*VALGRIND, "--xml=yes", f"--xml-file={base}.%p.xml",
            f"--log-file={base}.%p.log", *argv]


class Report:
    """What memcheck said about one program: errors, leaks, open descriptors."""

    def __init__(self, errors, leaks, open_fds, complete):
        self.errors = errors        # ["Invalid read of size 4 at net.c:42 (in read_line)"]
        self.leaks = leaks          # ["16 bytes ... definitely lost ... at echo_server.c:80"]
        self.open_fds = open_fds    # ["Open AF_INET socket 4: 127.0.0.1:4000 <-> ..."]
        self.complete = complete    # False when the XML was cut off (killed)


def read(out_dir, tag):
    """The Report of the first process run under tag (the program itself)."""
    xmls = sorted(glob.glob(os.path.join(out_dir, f"{tag}.*.xml")), key=_pid_of)
    if not xmls:
        return None
    xml_path = xmls[0]
    errors, leaks, complete = _read_xml(xml_path)
    open_fds = _read_open_fds(xml_path[:-4] + ".log")
    return Report(errors, leaks, open_fds, complete)


def _pid_of(path):
    return int(path.rsplit(".", 2)[-2])


def _read_xml(path):
    try:
        root = ET.parse(path).getroot()
    except ET.ParseError:
        return [], [], False
    errors, leaks = [], []
    for err in root.iter("error"):
        kind = err.findtext("kind", "")
        what = err.findtext("what") or err.findtext("xwhat/text") or kind
        where = _where(err)
        if kind in LEAK_KINDS:
            leaks.append(f"{what}{where}")
        elif not kind.startswith("Leak_"):
            errors.append(f"{what}{where}")
    return errors, leaks, True


def _where(err):
    """' at net.c:42 (in read_line), called from ...' for the first frames with a file."""
    frames = []
    for frame in err.iter("frame"):
        fn, file, line = frame.findtext("fn"), frame.findtext("file"), frame.findtext("line")
        if file and line and not file.startswith(("vg_", "m_")):
            frames.append(f"{file}:{line} (in {fn})")
        if len(frames) == 3:
            break
    return (" at " + ", called from ".join(frames)) if frames else ""


_OPEN = re.compile(r"^==\d+== (Open .*)$")


def _read_open_fds(log_path):
    """Descriptors left open at exit, except 0-2 and those inherited from the parent."""
    try:
        with open(log_path) as f:
            lines = f.read().splitlines()
    except OSError:
        return []
    found = []
    for i, line in enumerate(lines):
        m = _OPEN.match(line)
        if not m:
            continue
        follows = lines[i + 1] if i + 1 < len(lines) else ""
        if "<inherited from parent>" in follows:
            continue
        found.append(m.group(1).rstrip(": "))
    return found


# -- a realistic session under Valgrind, and the tests that judge it ----------
class Session:
    """One session of a lab's programs under memcheck, run once per test module.

    A module-scoped fixture makes it, drives it inside `with session.running():`
    and yields it; each memory-check test then judges one finding. A test
    scores only if the session ran to its end: what a program leaves behind is
    judged at the end the contract describes, never on a session cut short (a
    skeleton that does nothing must not earn memory points).

        @pytest.fixture(scope="module")
        def run(request, tmp_path_factory):
            s = memcheck.Session(request, tmp_path_factory, "Checking memory with Valgrind")
            server = s.program("echo-server", "0", tag="server")
            with s.running():
                s.start_server("server") ...
            yield s
    """

    def __init__(self, request, tmp_path_factory, section, name="memcheck"):
        lab = labs.load(labs.of_path(request.path))
        scratch = request.config.getoption("--scratch")
        self.story = Story(read_more=f"{lab.handout}, \"{section}\"")
        self.build = build.require(scratch, lab)
        self.starts = starts.Record(scratch, lab.name)
        self.work = str(tmp_path_factory.mktemp(name))
        sandbox.give_to_student(self.work, root=scratch)
        self.vg_dir = os.path.join(self.work, "valgrind")
        self.completed = False  # every step of the session went as expected
        self.programs = {}      # tag -> Program

    def program(self, name, *args, tag, stdin=None):
        """bin/name under Valgrind, not started yet; its report is read by tag."""
        argv = wrap([os.path.join(self.build["src"], "bin", name), *map(str, args)],
                    self.vg_dir, tag)
        prog = self.story.watch(Program(argv, self.work, name=name, stdin=stdin))
        prog.plain = (name, args)  # how the behaviour tests start it
        self.programs[tag] = prog
        return prog

    def start_server(self, tag, timeout=15.0):
        """Starts the program of tag and waits for its ready line; at once a
        Failure if the same command line never served in the behaviour tests."""
        prog = self.programs[tag]
        name, args = prog.plain
        shown = " ".join([f"valgrind ... bin/{name}", *map(str, args)])
        known = self.starts.failed(starts.key(name, args))
        if known:
            self.story.fail(f"start `{shown}`", "the line `listening on ADDRESS`",
                            known + " (in a behaviour test; not tried again)")
        prog.start()
        prog.wait_ready(timeout)
        self.story.step(f"start `{shown}`: it printed `listening on {prog.shown_address}`")
        return prog

    @contextlib.contextmanager
    def running(self):
        """Runs the body; a Failure or a broken connection ends the session early
        (written in the story); every program is killed at the end."""
        try:
            yield self
            self.completed = True
        except (Failure, OSError) as e:
            if isinstance(e, OSError):
                e = f"the connection failed: {e.strerror or e}"
            if not self.story.steps or self.story.steps[-1][1] == "ok":
                self.story.step("the session stopped", f"FAILED: {str(e).splitlines()[0]}")
        finally:
            for prog in self.programs.values():
                prog.kill()

    def report(self, tag):
        return read(self.vg_dir, tag)

    # -- judging -----------------------------------------------------------
    def _fail(self, text, findings=()):
        shown = "\n".join("  " + f for f in findings[:8])
        more = f"\n  ... and {len(findings) - 8} more" if len(findings) > 8 else ""
        body = f"{text}:\n{shown}{more}\n\n" if findings else f"{text}\n\n"
        raise Failure(f"{body}the session:\n{self.story.render()}", self.story.record())

    def _judged(self, tag, what):
        """The report of tag, once the session has run to its end."""
        if tag not in self.programs:
            self._fail(f"the session stopped before it started the {tag}, so {what} of "
                       f"the {tag} cannot be judged (the behaviour tests show what went "
                       "wrong)")
        prog = self.programs[tag]
        if not self.completed:
            self._fail(f"the session did not run to its end, so {what} of {prog.name} "
                       "cannot be judged (the behaviour tests show what went wrong)")
        report = self.report(tag)
        if report is None:
            self._fail(f"Valgrind wrote no report for {prog.name}")
        return prog, report

    def check_errors_and_exit(self, tag, status=0, how_it_ends=""):
        """No memory errors, and the exit status the contract gives."""
        early = self.report(tag) if tag in self.programs else None
        if early is not None and early.errors:  # shown even if the session stopped early
            self._fail(f"Valgrind found memory errors in {self.programs[tag].name}",
                       early.errors)
        prog, report = self._judged(tag, "the memory errors and the exit status")
        if report.errors:
            self._fail(f"Valgrind found memory errors in {prog.name}", report.errors)
        code = prog.returncode()
        if code == ERROR_EXIT and report.leaks:
            return  # Valgrind's status for the leaks, which check_leaks grades
        if code != status:
            self._fail(f"{prog.name} {prog.status()}{' ' + how_it_ends if how_it_ends else ''}"
                       f", expected exit status {status}" + _valgrind_status_note(code))

    def check_leaks(self, tag, how_it_ends="when it was stopped"):
        prog, report = self._judged(tag, "the memory left allocated")
        if not report.complete:
            self._fail(f"{prog.name} did not exit {how_it_ends} (it had to be killed), so "
                       "Valgrind could not finish its leak check")
        if report.leaks:
            self._fail(f"{prog.name} lost memory (definitely or indirectly)", report.leaks)

    def check_descriptors(self, tag, which, how_it_ends="when it was stopped"):
        prog, report = self._judged(tag, "the descriptors left open")
        if not report.complete:
            self._fail(f"{prog.name} did not exit {how_it_ends} (it had to be killed), so "
                       "Valgrind could not list its descriptors")
        if report.open_fds:
            self._fail(f"{prog.name} left descriptors open at exit ({which})",
                       report.open_fds)


def _valgrind_status_note(code):
    if code == ERROR_EXIT:
        return (f" ({ERROR_EXIT} is the status the grader asks Valgrind to exit with when "
                "it finds errors, with --error-exitcode; your own Valgrind run shows "
                "your program's status)")
    return ""
