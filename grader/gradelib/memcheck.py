"""Running a program under Valgrind memcheck and reading what it found."""

import glob
import os
import re
import xml.etree.ElementTree as ET

from . import sandbox

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
