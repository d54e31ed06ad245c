#!/usr/bin/python3
"""The checks of the lecture notes and slides (slides-notes/), for `make test`.

Each check is a function that returns a list of problems (strings that start
with the file and line to fix); an empty list means it passed.
grader/selftest/test_slides.py calls them one by one; run this file to see
every problem at once:

    /usr/bin/python3 slides-notes/check.py            # all checks
    /usr/bin/python3 slides-notes/check.py links      # one of them

The checks:
  layout      every chapter folder (NN-topic/) has notes.md and slides.md, and
              slides.md starts with Marp front matter (marp: true, theme: socketlab)
              and holds 12 to 25 slides; notes.md starts with a '# Title' and has a
              '**Contents:**' line
  links       every relative link and image in slides-notes/**/*.md, labs/*/README.md,
              solutions/*/README.md and README.md names a file that exists (a
              diagrams/NAME.svg counts when diagrams/NAME.dot, its source, exists),
              and every #anchor names a heading of the target (GitHub's rules)
  student-links   the chapters and the labs' handouts link nothing in solutions/
              (the student archive leaves it out: such a link is broken there)
  compile     every ```c block after <!-- compile --> compiles as a whole file, and
              every one after <!-- compile: fragment --> compiles inside a function
              body (or, if it holds functions, at file level) with FRAGMENT_HEADERS
  chapter-labs     each chapter's notes.md links a lab handout (labs/NN-name/README.md),
                   or names a lab not written yet as "lab NN (coming)"
  lab-chapters     each labs/NN-name/README.md and solutions/NN-name/README.md
                   links at least one chapter's notes.md
"""

import glob
import html
import os
import re
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
KIT_DIR = os.path.dirname(HERE)
CHAPTER_RE = re.compile(r"^\d\d-[a-z0-9-]+$")
MIN_SLIDES, MAX_SLIDES = 12, 25

CC = os.environ.get("CC", "cc")
CFLAGS = ["-std=c17", "-D_DEFAULT_SOURCE", "-Wall", "-Wextra", "-Werror"]
# A fragment is cut out of a program that uses what it declares: only the
# warnings about unused names are relaxed for it.
FRAGMENT_CFLAGS = CFLAGS + ["-Wno-unused-variable", "-Wno-unused-but-set-variable",
                            "-Wno-unused-function", "-Wno-unused-label",
                            "-Wno-unused-parameter", "-Wno-unused-value"]
FRAGMENT_HEADERS = [
    "stdio.h", "stdlib.h", "string.h", "unistd.h", "errno.h", "sys/socket.h",
    "netinet/in.h", "arpa/inet.h", "netdb.h", "poll.h", "signal.h", "sys/un.h",
    "sys/types.h",
    # and a few more that the chapters' examples reach for
    "err.h", "fcntl.h", "limits.h", "stdbool.h", "stddef.h", "stdint.h", "time.h",
    "sys/stat.h", "sys/uio.h", "sys/wait.h", "sys/select.h", "sys/time.h",
    "sys/mman.h", "netinet/tcp.h", "pthread.h",
]
COMPILE_MARK = re.compile(r"^\s*<!--\s*compile\s*(?::\s*([\w-]*)\s*)?-->\s*$")


# ---------------------------------------------------------------- where things are

def chapters(root=HERE):
    """The chapter folders (NN-topic) under root, in order, as names."""
    return sorted(d for d in os.listdir(root)
                  if CHAPTER_RE.match(d) and os.path.isdir(os.path.join(root, d)))


def lab_handouts(kit=KIT_DIR):
    """labs/NN-name/README.md and solutions/NN-name/README.md that exist, as paths."""
    found = []
    for top in ("labs", "solutions"):
        found += sorted(glob.glob(os.path.join(kit, top, "[0-9][0-9]-*", "README.md")))
    return found


def markdown_files(kit=KIT_DIR):
    """Every Markdown file whose links are checked."""
    root = os.path.join(kit, "slides-notes")
    files = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if d not in ("node_modules", "build")
                             and not d.startswith("."))
        files += [os.path.join(dirpath, f) for f in sorted(filenames) if f.endswith(".md")]
    files += lab_handouts(kit)
    top = os.path.join(kit, "README.md")
    if os.path.exists(top):
        files.append(top)
    return files


def rel(path, kit=KIT_DIR):
    return os.path.relpath(path, kit)


def read(path):
    with open(path, encoding="utf-8") as f:
        return f.read()


# ---------------------------------------------------------------- reading Markdown

FENCE_RE = re.compile(r"^ {0,3}(`{3,}|~{3,})(.*)$")


def fences(lines):
    """Yields (start, end, info) for each fenced code block; lines[start] is the
    opening fence, lines[end] the closing one (len(lines) if never closed)."""
    i = 0
    while i < len(lines):
        m = FENCE_RE.match(lines[i])
        if not m or (m.group(1)[0] == "`" and "`" in m.group(2)):
            i += 1
            continue
        mark, info = m.group(1), m.group(2).strip()
        j = i + 1
        while j < len(lines):
            c = re.match(r"^ {0,3}(`{3,}|~{3,})\s*$", lines[j])
            if c and c.group(1)[0] == mark[0] and len(c.group(1)) >= len(mark):
                break
            j += 1
        yield i, j, info
        i = j + 1


def prose(text, spans=True, comments=True):
    """text with code blocks, code spans (unless spans=False) and HTML comments
    (unless comments=False) blanked out, keeping its length and line breaks:
    what is left renders as prose."""
    def blank(m):
        return re.sub(r"[^\n]", " ", m.group(0))
    if comments:
        text = re.sub(r"<!--.*?-->", blank, text, flags=re.S)
    lines = text.split("\n")
    for start, end, _ in fences(lines):
        for k in range(start, min(end + 1, len(lines))):
            lines[k] = " " * len(lines[k])
    if not spans:
        return "\n".join(lines)
    return "\n".join(re.sub(r"(`+)(?!`).+?(?<!`)\1(?!`)", blank, line) for line in lines)


def front_matter(text):
    """The YAML front matter as {key: value} (flat, strings), or None."""
    m = re.match(r"\A---[ \t]*\n(.*?)\n---[ \t]*(\n|\Z)", text, re.S)
    if not m:
        return None
    fields = {}
    for line in m.group(1).split("\n"):
        kv = re.match(r"^([A-Za-z_][\w-]*)\s*:\s*(.*?)\s*$", line)
        if kv:
            fields[kv.group(1)] = kv.group(2).strip("'\"")
    return fields


def body_after_front_matter(text):
    """(body, number of lines the front matter took)."""
    m = re.match(r"\A---[ \t]*\n.*?\n---[ \t]*(\n|\Z)", text, re.S)
    if not m:
        return text, 0
    return text[m.end():], m.group(0).count("\n")


HR_RE = re.compile(r"^ {0,3}([-*_])(?:[ \t]*\1){2,}[ \t]*$")


def slide_count(text):
    """How many slides Marp makes of a deck: one more than its rulers (---, ***,
    ___ with a blank line before them; a --- right under text is a heading)."""
    body, _ = body_after_front_matter(text)
    lines = prose(body).split("\n")
    rulers = 0
    for k, line in enumerate(lines):
        if HR_RE.match(line) and (k == 0 or not lines[k - 1].strip()
                                  or HR_RE.match(lines[k - 1])):
            rulers += 1
    has_content = bool(body.strip())
    return rulers + 1 if has_content else rulers


LINK_RE = re.compile(
    r"(!?)\[((?:[^\[\]\n]|\[[^\[\]\n]*\])*)\]"           # [text] or ![alt]
    r"\(\s*(<[^<>\n]*>|[^\s()<>]*(?:\([^\s()]*\)[^\s()<>]*)*)"  # (target
    r"(?:\s+(?:\"[^\"\n]*\"|'[^'\n]*'|\([^()\n]*\)))?\s*\)")    # "title")
REF_DEF_RE = re.compile(r"^ {0,3}\[([^\]\n]+)\]:\s*(<[^>\n]*>|\S+)", re.M)
HTML_LINK_RE = re.compile(r"<(img|a|source)\b[^>]*?\s(src|href)\s*=\s*(\"[^\"]*\"|'[^']*')",
                          re.I)


class Link:
    """One link or image in a Markdown file: where it is and what it names."""

    def __init__(self, path, line, target, image, start, end):
        self.path, self.line, self.target, self.image = path, line, target, image
        self.start, self.end = start, end  # the target's offsets in the file's text

    def __repr__(self):
        return f"{rel(self.path)}:{self.line}: {self.target}"


def links(path, text=None):
    """Every link and image of a Markdown file, outside code and comments."""
    text = read(path) if text is None else text
    visible = prose(text)
    found = []

    def add(target, image, start, end):
        line = text.count("\n", 0, start) + 1
        found.append(Link(path, line, target, image, start, end))

    for m in LINK_RE.finditer(visible):
        target, start = m.group(3), m.start(3)
        if target.startswith("<"):
            target, start = target[1:-1], start + 1
        add(target, m.group(1) == "!", start, start + len(target))
    for m in REF_DEF_RE.finditer(visible):
        target, start = m.group(2), m.start(2)
        if target.startswith("<"):
            target, start = target[1:-1], start + 1
        add(target, False, start, start + len(target))
    for m in HTML_LINK_RE.finditer(visible):
        target, start = m.group(3)[1:-1], m.start(3) + 1
        add(html.unescape(target), m.group(1).lower() != "a", start, start + len(m.group(3)) - 2)
    found.sort(key=lambda link: link.start)
    return found


def is_external(target):
    return bool(re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*:", target)) or target.startswith("//")


def split_target(target):
    """'path#anchor' -> (unquoted path, anchor or None)."""
    path, _, anchor = target.partition("#")
    path = re.sub(r"%([0-9A-Fa-f]{2})", lambda m: chr(int(m.group(1), 16)), path)
    return path, (anchor if "#" in target else None)


def slug(heading):
    """GitHub's anchor for a heading's text: Markdown taken off, lowercase,
    spaces to -, punctuation dropped except - and _."""
    text = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", heading)   # links: their text
    text = re.sub(r"<[^>]+>", "", text)                           # HTML tags
    text = html.unescape(text)
    text = text.replace("`", "")
    text = re.sub(r"(\*+|(?<![\w])_+|_+(?![\w]))", "", text)     # emphasis marks
    text = text.strip().lower()
    text = "".join(ch for ch in text if ch.isalnum() or ch in " -_")
    return text.replace(" ", "-")


def anchors(path):
    """Every #anchor a Markdown file offers: its headings' slugs (a repeated
    heading gets -1, -2, ... as on GitHub) and explicit <a id/name="...">."""
    text = prose(read(path), spans=False)
    seen = {}
    found = set()
    for m in re.finditer(r"^ {0,3}#{1,6}[ \t]+(.+?)[ \t#]*$", text, re.M):
        base = slug(m.group(1))
        n = seen.get(base, 0)
        seen[base] = n + 1
        found.add(base if n == 0 else f"{base}-{n}")
    raw = read(path)
    found |= set(re.findall(r"<a\s[^>]*?(?:id|name)\s*=\s*[\"']([^\"']+)[\"']", raw, re.I))
    return found


def resolve(link):
    """The file a relative link names (absolute path) and its anchor."""
    path, anchor = split_target(link.target)
    if not path:
        return link.path, anchor
    return os.path.normpath(os.path.join(os.path.dirname(link.path), path)), anchor


def built_from_source(path):
    """A diagrams/NAME.svg is made by build.py from diagrams/NAME.dot."""
    base, ext = os.path.splitext(path)
    return (ext == ".svg" and os.path.basename(os.path.dirname(path)) == "diagrams"
            and os.path.exists(base + ".dot"))


# ---------------------------------------------------------------- the checks

def check_layout(chapter, root=HERE):
    """(a) notes.md and slides.md exist; slides.md has Marp front matter and
    12 to 25 slides; notes.md starts with a heading."""
    problems = []
    folder = os.path.join(root, chapter)
    for name in ("notes.md", "slides.md"):
        if not os.path.isfile(os.path.join(folder, name)):
            problems.append(f"slides-notes/{chapter}/{name}: missing")
    slides = os.path.join(folder, "slides.md")
    if os.path.isfile(slides):
        text = read(slides)
        fields = front_matter(text)
        where = f"slides-notes/{chapter}/slides.md:1"
        if fields is None:
            problems.append(f"{where}: no front matter (a first line ---, then marp: true, "
                            "theme: socketlab, paginate: true, then ---)")
        else:
            if fields.get("marp") != "true":
                problems.append(f"{where}: front matter lacks 'marp: true'")
            if fields.get("theme") != "socketlab":
                problems.append(f"{where}: front matter has theme "
                                f"{fields.get('theme')!r}, not 'socketlab'")
        n = slide_count(text)
        if not MIN_SLIDES <= n <= MAX_SLIDES:
            problems.append(f"slides-notes/{chapter}/slides.md: {n} slides, "
                            f"the layout asks for {MIN_SLIDES} to {MAX_SLIDES}")
    notes = os.path.join(folder, "notes.md")
    if os.path.isfile(notes):
        first = read(notes).lstrip().split("\n", 1)[0]
        if not first.startswith("# "):
            problems.append(f"slides-notes/{chapter}/notes.md:1: does not start with "
                            "a '# Title' heading")
        if not re.search(r"^\*\*Contents:\*\* \[", read(notes), re.M):
            problems.append(f"slides-notes/{chapter}/notes.md: no '**Contents:** [...](#...)' "
                            "line linking its sections")
    return problems


def check_links(paths=None):
    """(b) every relative link and image resolves; every #anchor is a heading."""
    problems = []
    anchor_cache = {}
    for path in (markdown_files() if paths is None else paths):
        for link in links(path):
            target = link.target.strip()
            if not target or is_external(target):
                continue
            file, anchor = resolve(link)
            if not os.path.exists(file) and not built_from_source(file):
                problems.append(f"{rel(path)}:{link.line}: {target}: "
                                f"no such file {rel(file)}")
                continue
            if anchor is None or not file.endswith(".md"):
                continue
            if file.endswith("slides.md") and re.fullmatch(r"\d+", anchor):
                continue  # Marp's slide numbers
            if file not in anchor_cache:
                anchor_cache[file] = anchors(file)
            if anchor not in anchor_cache[file]:
                problems.append(f"{rel(path)}:{link.line}: {target}: "
                                f"{rel(file)} has no heading with the anchor #{anchor}")
    return problems


def check_student_links(paths=None, kit=KIT_DIR):
    """(b) what students read (the chapters, the labs' handouts) links nothing in
    solutions/: the student archive (make handout) leaves that folder out."""
    if paths is None:
        paths = [p for p in markdown_files(kit)
                 if not rel(p, kit).startswith(("solutions" + os.sep, "README.md"))]
    solutions = os.path.join(kit, "solutions") + os.sep
    problems = []
    for path in paths:
        for link in links(path):
            if is_external(link.target.strip()):
                continue
            file, _ = resolve(link)
            if (file + os.sep).startswith(solutions):
                twin = os.path.join(kit, "labs", os.path.relpath(file, solutions))
                hint = (f"link {os.path.relpath(twin, os.path.dirname(path))} instead "
                        "(the same file)" if os.path.isfile(twin) and os.path.isfile(file)
                        and read(twin) == read(file) else "quote the code instead")
                problems.append(f"{rel(path, kit)}:{link.line}: {link.target}: solutions/ "
                                f"is not in the student archive (make handout); {hint}")
    return problems


class Sample:
    """A code block marked to compile."""

    def __init__(self, path, line, kind, code):
        self.path, self.line, self.kind, self.code = path, line, kind, code

    def __repr__(self):
        return f"{rel(self.path)}:{self.line}"


def samples(path):
    """(samples, problems) of one Markdown file: each ```c block after a
    <!-- compile --> or <!-- compile: fragment --> line; a marker that is not
    followed by a ```c block is a problem (it would silently check nothing)."""
    lines = read(path).split("\n")
    blocks = {start: (end, info) for start, end, info in fences(lines)}
    visible = prose("\n".join(lines), comments=False).split("\n")  # not in code
    found, problems = [], []
    for k, line in enumerate(visible):
        m = COMPILE_MARK.match(line)
        if not m:
            if re.search(r"<!--\s*compile", line):
                problems.append(f"{rel(path)}:{k + 1}: malformed marker {line.strip()!r} "
                                "(write <!-- compile --> or <!-- compile: fragment -->)")
            continue
        kind = m.group(1) or "program"
        if kind not in ("program", "fragment"):
            problems.append(f"{rel(path)}:{k + 1}: unknown marker {line.strip()!r} "
                            "(write <!-- compile --> or <!-- compile: fragment -->)")
            continue
        j = k + 1
        while j < len(lines) and not lines[j].strip():
            j += 1
        if j not in blocks or blocks[j][1].split()[:1] != ["c"]:
            problems.append(f"{rel(path)}:{k + 1}: {line.strip()} is not followed by "
                            "a ```c block")
            continue
        end = blocks[j][0]
        found.append(Sample(path, j + 2, kind, "\n".join(lines[j + 1:end]) + "\n"))
    return found, problems


def _cc(source, flags, workdir):
    src = os.path.join(workdir, "sample.c")
    with open(src, "w", encoding="utf-8") as f:
        f.write(source)
    run = subprocess.run([CC, *flags, "-c", src, "-o", os.path.join(workdir, "sample.o")],
                         capture_output=True, text=True, timeout=60)
    return run.returncode == 0, run.stderr


def compile_sample(sample):
    """None when the sample compiles, else the compiler's messages (they point at
    the Markdown file's own lines)."""
    name = rel(sample.path).replace('"', "")
    with tempfile.TemporaryDirectory(prefix="slides-cc-") as tmp:
        if sample.kind == "program":
            ok, err = _cc(f'#line {sample.line} "{name}"\n{sample.code}', CFLAGS, tmp)
            return None if ok else err
        headers = "".join(f"#include <{h}>\n" for h in FRAGMENT_HEADERS)
        as_body = (f"{headers}int socketlab_fragment(void);\n"
                   f"int socketlab_fragment(void)\n{{\n"
                   f'#line {sample.line} "{name}"\n{sample.code}\n#line 1 "(wrapper)"\n'
                   f"\treturn 0;\n}}\n")
        ok, err = _cc(as_body, FRAGMENT_CFLAGS, tmp)
        if ok:
            return None
        at_file_level = f'{headers}#line {sample.line} "{name}"\n{sample.code}'
        ok2, _ = _cc(at_file_level, FRAGMENT_CFLAGS, tmp)
        return None if ok2 else err


def check_compile(paths=None):
    """(c) every sample marked to compile does."""
    problems = []
    for path in (markdown_files() if paths is None else paths):
        found, marker_problems = samples(path)
        problems += marker_problems
        for sample in found:
            err = compile_sample(sample)
            if err:
                problems.append(f"{sample!r}: the {sample.kind} does not compile "
                                f"(cc {' '.join(CFLAGS)}):\n{err.rstrip()}")
    return problems


def _linked_files(path):
    return {resolve(link)[0] for link in links(path) if not is_external(link.target)}


def check_chapter_links_lab(chapter, root=HERE, kit=KIT_DIR):
    """(d) the chapter's notes.md links a lab handout; a lab not written yet
    may be named instead, as 'lab 03 (coming)'."""
    notes = os.path.join(root, chapter, "notes.md")
    if not os.path.exists(notes):
        return [f"slides-notes/{chapter}/notes.md: missing"]
    handouts = {os.path.normpath(p) for p in glob.glob(
        os.path.join(kit, "labs", "[0-9][0-9]-*", "README.md"))}
    if _linked_files(notes) & handouts:
        return []
    written = {os.path.basename(os.path.dirname(p))[:2] for p in handouts}
    coming = {n for n in re.findall(r"\blab (\d\d)\b[^()\n]{0,40}\(coming\)",
                                    prose(read(notes)), re.I) if n not in written}
    if coming:
        return []
    return [f"slides-notes/{chapter}/notes.md: links no lab handout "
            "(add a link like ../../labs/01-sync-echo/README.md under '## Exercises')"]


def check_lab_links_chapter(handout, kit=KIT_DIR):
    """(d) a lab handout links at least one chapter's notes.md."""
    notes = {os.path.normpath(os.path.join(kit, "slides-notes", c, "notes.md"))
             for c in chapters(os.path.join(kit, "slides-notes"))}
    if _linked_files(handout) & notes:
        return []
    return [f"{rel(handout)}: links no chapter's notes "
            "(a 'Chapters this lab relies on' line, e.g. "
            "../../slides-notes/04-berkeley-api/notes.md)"]


def run_all():
    """Every check, as {name: problems}."""
    results = {"layout": [], "chapter-labs": [], "lab-chapters": []}
    for chapter in chapters():
        results["layout"] += check_layout(chapter)
        results["chapter-labs"] += check_chapter_links_lab(chapter)
    for handout in lab_handouts():
        results["lab-chapters"] += check_lab_links_chapter(handout)
    results["links"] = check_links()
    results["student-links"] = check_student_links()
    results["compile"] = check_compile()
    return results


def main(argv):
    wanted = argv[1:]
    results = run_all()
    failed = False
    for name, problems in results.items():
        if wanted and name not in wanted:
            continue
        print(f"{name}: {'ok' if not problems else f'{len(problems)} problem(s)'}")
        for p in problems:
            print("  " + p.replace("\n", "\n    "))
        failed |= bool(problems)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
