"""The lecture notes and slides (slides-notes/): every chapter has its notes and
a Marp deck, every link between notes, handouts and labs resolves, every code
sample meant to compile does, chapters and labs point at each other, and every
deck renders to a self-contained HTML file whose slides fit on the screen."""

import os
import re
import shutil
import subprocess
import sys

import pytest

from gradelib import labs

SLIDES_DIR = os.path.join(labs.KIT_DIR, "slides-notes")
sys.path.insert(0, SLIDES_DIR)
import build  # noqa: E402
import check  # noqa: E402

CHAPTERS = check.chapters()
HANDOUTS = check.lab_handouts()


def _ok(problems):
    assert not problems, "\n".join(problems)


# ---------------------------------------------------------------- (a) layout

def test_the_chapters_are_there():
    assert CHAPTERS, "no chapter folder (slides-notes/NN-topic/)"


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_chapter_has_notes_and_a_marp_deck(chapter):
    _ok(check.check_layout(chapter))


def test_the_index_lists_every_chapter():
    index = os.path.join(SLIDES_DIR, "README.md")
    linked = {check.resolve(link)[0] for link in check.links(index)}
    missing = [c for c in CHAPTERS
               if os.path.join(SLIDES_DIR, c, "notes.md") not in linked]
    assert not missing, f"slides-notes/README.md does not link the notes of {missing}"


# ---------------------------------------------------------------- (b) links

def test_every_relative_link_resolves():
    _ok(check.check_links())


def test_what_students_read_links_nothing_in_solutions():
    _ok(check.check_student_links())


# ---------------------------------------------------------------- (c) code samples

@pytest.mark.parametrize("chapter", CHAPTERS)
def test_code_samples_compile(chapter):
    paths = [os.path.join(SLIDES_DIR, chapter, name) for name in ("notes.md", "slides.md")]
    _ok(check.check_compile([p for p in paths if os.path.exists(p)]))


def test_code_samples_outside_the_chapters_compile():
    chapter_files = {os.path.join(SLIDES_DIR, c, n) for c in CHAPTERS
                     for n in ("notes.md", "slides.md")}
    _ok(check.check_compile([p for p in check.markdown_files() if p not in chapter_files]))


# ---------------------------------------------------------------- (d) chapters <-> labs

@pytest.mark.parametrize("chapter", CHAPTERS)
def test_chapter_links_the_lab_that_practises_it(chapter):
    _ok(check.check_chapter_links_lab(chapter))


@pytest.mark.parametrize("handout", HANDOUTS, ids=check.rel)
def test_lab_handout_links_the_chapters_it_relies_on(handout):
    _ok(check.check_lab_links_chapter(handout))


# ---------------------------------------------------------------- the checks catch what they should

def test_the_checks_catch_broken_links_samples_and_markers(tmp_path):
    page = tmp_path / "page.md"
    (tmp_path / "there.md").write_text("# Title\n\n## The `net.h` library: step 2\n")
    page.write_text(
        "# Page\n\n"
        "[ok](there.md#the-neth-library-step-2) [gone](nowhere.md) [bad](there.md#nope)\n"
        "`[not a link](in-code.md)`\n\n"
        "```\n[not a link either](fenced.md)\n```\n\n"
        "<!-- compile: fragment -->\n```c\nint fd = socket(AF_INET, SOCK_STREAM, 0);\n"
        "close(fd);\n```\n\n"
        "<!-- compile -->\n```c\nint main(void) { return undeclared; }\n```\n\n"
        "<!-- compile -->\nnot code\n")
    problems = check.check_links([str(page)])
    assert len(problems) == 2, problems
    assert "nowhere.md" in problems[0] and "#nope" in problems[1]
    problems = check.check_compile([str(page)])
    assert len(problems) == 2, problems
    assert "not followed by a ```c block" in problems[0]
    assert "page.md:18" in problems[1] and "undeclared" in problems[1]


def test_slugs_follow_githubs_rules():
    assert check.slug("The library: `byte_queue.h` and `line_rules.h`") == \
        "the-library-byte_queueh-and-line_rulesh"
    assert check.slug("Step 3: `recv()` → 0, **EOF**") == "step-3-recv--0-eof"
    assert check.slug("AF_INET6: IPv6") == "af_inet6-ipv6"


# ---------------------------------------------------------------- committed diagrams

# The committed diagrams/NAME.svg were drawn by Debian 12's Graphviz. Its layout
# depends on the fonts installed too (a fresh machine has fewer, and drew one
# drawing with other widths), so a drawing is compared by what it says: its
# nodes, edges and labels, with the numbers (coordinates, sizes) taken out.
DOT_SOURCES = build.dot_sources()


def _content(svg):
    """What a drawing says, without where: numbers (coordinates, sizes) taken out."""
    return re.sub(r"-?\d+(\.\d+)?", "#", svg)


@pytest.mark.parametrize("dot", DOT_SOURCES, ids=check.rel)
def test_committed_svg_is_there(dot):
    assert os.path.exists(dot[:-4] + ".svg"), (
        f"{check.rel(dot)[:-4]}.svg is missing: run /usr/bin/python3 slides-notes/build.py "
        "--diagrams and commit it (the notes show it on a forge)")


@pytest.mark.skipif(not shutil.which("dot"), reason="no Graphviz (apt-get install graphviz)")
def test_committed_svgs_match_their_sources():
    stale = []
    for dot in DOT_SOURCES:
        svg = dot[:-4] + ".svg"
        if not os.path.exists(svg):
            continue  # test_committed_svg_is_there says so
        if _content(build.dot_svg(dot)) != _content(check.read(svg)):
            stale.append(check.rel(svg))
    assert not stale, ("diagrams/NAME.svg does not match its NAME.dot: run /usr/bin/python3 "
                       "slides-notes/build.py --diagrams, and commit both:\n  "
                       + "\n  ".join(stale))


# ---------------------------------------------------------------- rendering

def _offline(argv):
    """argv in a network namespace with no network at all, where we may make one."""
    if shutil.which("unshare"):
        for prefix in (["unshare", "-n"], ["unshare", "-rn"]):
            if subprocess.run([*prefix, "true"], capture_output=True).returncode == 0:
                return [*prefix, *argv]
    return argv


@pytest.fixture(scope="module")
def rendered(tmp_path_factory):
    """Every chapter rendered into a scratch folder, without network (npm ci,
    if node_modules is missing, runs first, with it).

    Only one case is skipped: Marp is not installed and the npm registry cannot
    be reached from this machine (no network, or a TLS proxy whose CA the
    machine lacks); every other failure of the install fails the tests."""
    try:
        build.ensure_node_modules(quiet=True)
    except build.BuildError as e:
        unreachable = re.search(r"E(CONNREFUSED|NOTFOUND|AI_AGAIN|TIMEDOUT|NETUNREACH)|"
                                r"SELF_SIGNED_CERT|UNABLE_TO_GET_ISSUER_CERT|CERT_HAS_EXPIRED",
                                str(e))
        if not unreachable:
            raise
        pytest.skip(f"Marp is not installed and the npm registry cannot be reached "
                    f"from here ({unreachable.group(0)}): the decks were not rendered")
    out = tmp_path_factory.mktemp("slides")
    argv = _offline([sys.executable, os.path.join(SLIDES_DIR, "build.py"),
                     "--out", str(out), "--quiet"])
    run = subprocess.run(argv, capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stdout + run.stderr
    return out


DECKS = [c for c in CHAPTERS if os.path.exists(os.path.join(SLIDES_DIR, c, "slides.md"))]


@pytest.mark.xdist_group("slides")
@pytest.mark.parametrize("chapter", DECKS)
def test_deck_renders_self_contained(rendered, chapter):
    path = rendered / chapter / "slides.html"
    assert path.exists() and path.stat().st_size > 0, f"{path} missing or empty"
    text = path.read_text()
    want = check.slide_count(check.read(os.path.join(SLIDES_DIR, chapter, "slides.md")))
    got = len(re.findall(r'<section\b[^>]*\bid="\d+"', text))
    assert got == want, f"{chapter}: {got} slides rendered, slides.md has {want}"
    local = [src for src in re.findall(r'\bsrc\s*=\s*"([^"]*)"', text)
             if not src.startswith(("data:", "http:", "https:"))]
    local += [u for u in re.findall(r'url\((?:&quot;|["\'])?([^)"&\']*)', text)
              if u and not u.startswith(("data:", "http:", "https:", "#"))]
    assert not local, f"{chapter}: pictures not inlined: {local}"
    assert "socketlab-inline-" not in text
    assert 'data-theme="socketlab"' in text, f"{chapter}: not in the socketlab theme"


@pytest.mark.xdist_group("slides")
@pytest.mark.parametrize("chapter", [c for c in CHAPTERS
                                     if os.path.exists(os.path.join(SLIDES_DIR, c, "notes.md"))])
def test_notes_render(rendered, chapter):
    text = (rendered / chapter / "notes.html").read_text()
    assert "<h1" in text
    assert not [s for s in re.findall(r'\bsrc\s*=\s*"([^"]*)"', text)
                if not s.startswith("data:")], f"{chapter}: pictures not inlined"


@pytest.mark.xdist_group("slides")
@pytest.mark.parametrize("chapter", DECKS)
def test_every_slide_has_speaker_notes(rendered, chapter):
    """The presenter view (P) shows each slide's notes: the HTML comments of
    slides.md that are not directives."""
    text = (rendered / chapter / "slides.html").read_text()
    want = check.slide_count(check.read(os.path.join(SLIDES_DIR, chapter, "slides.md")))
    notes = dict(re.findall(r'<div class="bespoke-marp-note" data-index="(\d+)"[^>]*>(.*?)</div>',
                            text, re.S))
    missing = [i + 1 for i in range(want)
               if not re.sub(r"<[^>]+>|\s", "", notes.get(str(i), ""))]
    assert not missing, (f"{chapter}: slides without speaker notes: {missing} (add an "
                         "HTML comment <!-- what to say --> at the end of each slide)")


@pytest.mark.xdist_group("slides")
def test_notes_link_lab_handouts_rendered_with_their_sections(rendered):
    """A link from the notes to labs/NN-name/README.md#section opens the
    handout rendered, at that section."""
    checked = 0
    for chapter in CHAPTERS:
        page = rendered / chapter / "notes.html"
        for href in re.findall(r'href="([^"]*)"', page.read_text()):
            target, _, anchor = href.partition("#")
            if not re.search(r"(^|/)labs/\d\d-[^/]+/README\.(md|html)$", target):
                continue
            assert target.endswith(".html"), f"{chapter}/notes.html links {href}, not rendered"
            handout = (page.parent / target).resolve()
            assert handout.exists(), f"{chapter}/notes.html: {href}: no such page"
            if anchor:
                assert f'id="{anchor}"' in handout.read_text(), \
                    f"{chapter}/notes.html: {href}: no such section in the rendered handout"
            checked += 1
    assert checked, "no link from the notes to a lab handout"


@pytest.mark.xdist_group("slides")
def test_notes_render_tabs_at_four_columns(rendered):
    css = (rendered / CHAPTERS[0] / "notes.html").read_text()
    assert re.search(r"tab-size:\s*4", css), "notes.html: tabs at 8 columns (no tab-size: 4)"


@pytest.mark.xdist_group("slides")
@pytest.mark.skipif(not build.find_chromium(), reason="no Chromium to look at the slides "
                    "(apt-get install chromium)")
def test_every_slide_fits_on_the_screen(rendered):
    decks = [str(rendered / c / "slides.html") for c in DECKS]
    _ok(build.fit_problems(decks))
