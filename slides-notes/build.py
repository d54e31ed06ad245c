#!/usr/bin/python3
"""Renders the chapters of slides-notes/ (what `make slides` runs).

For each chapter folder NN-topic/ it writes, under build/ (or --out DIR):
  NN-topic/diagrams/NAME.svg   each diagrams/NAME.dot drawn by Graphviz's dot
  NN-topic/slides.html         the Marp deck, self-contained: the theme, and every
                               local picture inlined as a data: URI
  NN-topic/notes.html          the notes as one page, pictures inlined too
  labs/NN-name/README.html     each lab's handout as one page, so that the notes'
                               links to a lab (and its #sections) open it rendered
  NN-topic/slides.pdf          with --pdf, when Chromium is installed

    /usr/bin/python3 slides-notes/build.py [--pdf] [--out DIR] [--chapter NN ...]

The first run installs Marp (the version pinned in package-lock.json) with
`npm ci` into slides-notes/node_modules; it runs again when the lock changes.
That is the only network use: rendering HTML needs no browser and no network.
PDF uses Chromium (CHROME_PATH, or /usr/bin/chromium from Debian's package).
"""

import argparse
import base64
import contextlib
import fcntl
import hashlib
import html
import json
import mimetypes
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import check  # noqa: E402  (the Markdown reading is shared with the checks)

KIT_DIR = os.path.dirname(HERE)
NODE_MODULES = os.path.join(HERE, "node_modules")
MARP = os.path.join(NODE_MODULES, ".bin", "marp")
LOCK = os.path.join(HERE, "package-lock.json")
STAMP = os.path.join(NODE_MODULES, ".socketlab-lock.sha256")
THEME = os.path.join(HERE, "theme.css")
DEFAULT_OUT = os.path.join(HERE, "build")
CHROMIUM = "/usr/bin/chromium"
TOKEN = "socketlab-inline-{}-{}"
MIME = {".svg": "image/svg+xml", ".png": "image/png", ".jpg": "image/jpeg",
        ".jpeg": "image/jpeg", ".gif": "image/gif", ".webp": "image/webp"}


class BuildError(Exception):
    """A failure to report in one clear message."""


def say(quiet, *args):
    if not quiet:
        print(*args, flush=True)


def shown(path):
    """A path as the person at the top of the kit would type it."""
    path = os.path.abspath(path)
    return os.path.relpath(path) if path.startswith(KIT_DIR + os.sep) else path


def run(argv, what, timeout=300, **kwargs):
    """Runs a command; on failure raises BuildError with what it printed."""
    try:
        done = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, **kwargs)
    except FileNotFoundError:
        raise BuildError(f"{what}: {argv[0]} not found") from None
    except subprocess.TimeoutExpired:
        raise BuildError(f"{what}: took more than {timeout} s") from None
    if done.returncode != 0:
        out = (done.stdout + done.stderr).strip()
        tail = "\n".join(out.splitlines()[-30:])
        raise BuildError(f"{what} failed (exit {done.returncode}):\n{tail}")
    return done


# ---------------------------------------------------------------- Marp, from npm

def _lock_digest():
    with open(LOCK, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


@contextlib.contextmanager
def _install_lock():
    """One `npm ci` at a time for this folder (make slides and make test may overlap)."""
    key = hashlib.sha256(HERE.encode()).hexdigest()[:12]
    path = os.path.join(tempfile.gettempdir(), f"socketlab-slides-npm-{key}.lock")
    with open(path, "w") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


def node_modules_ready():
    """True when node_modules holds what package-lock.json pins."""
    try:
        with open(STAMP) as f:
            return f.read().strip() == _lock_digest() and os.path.exists(MARP)
    except FileNotFoundError:
        return False


SYSTEM_CAS = "/etc/ssl/certs/ca-certificates.crt"  # Debian's bundle of trusted CAs


def ensure_node_modules(quiet=False):
    """Installs Marp with `npm ci` when node_modules is missing or older than
    the lock file. Returns True when it installed."""
    if not shutil.which("node"):
        raise BuildError("Node.js is needed to run Marp: `make deps` installs it "
                         "(Debian package nodejs)")
    if node_modules_ready():
        return False
    with _install_lock():
        if node_modules_ready():
            return False
        if not shutil.which("npm"):
            raise BuildError("npm is needed to install Marp once: `sudo apt-get install npm` "
                             "(Debian's nodejs comes without it; NodeSource's includes it)")
        say(quiet, "installing Marp from the npm registry (npm ci, once) ...")
        env = dict(os.environ, PUPPETEER_SKIP_DOWNLOAD="1", npm_config_audit="false",
                   npm_config_fund="false", npm_config_update_notifier="false")
        if "NODE_EXTRA_CA_CERTS" not in env and os.path.exists(SYSTEM_CAS):
            # Node trusts its own copy of Mozilla's list, not the system's: a
            # machine whose network needs a CA of its own has it only there.
            env["NODE_EXTRA_CA_CERTS"] = SYSTEM_CAS
        run(["npm", "ci", "--no-audit", "--no-fund", "--loglevel=error"],
            "npm ci in slides-notes/ (it needs the npm registry)", timeout=600,
            cwd=HERE, env=env)
        with open(STAMP, "w") as f:
            f.write(_lock_digest() + "\n")
    return True


# ---------------------------------------------------------------- diagrams

GENERATOR_RE = re.compile(r"<!-- Generated by graphviz version [^\n]*\n\s*-->\n")


def dot_svg(path):
    """The SVG that Graphviz's dot draws of path, without the comment that names
    dot's version: the text of the committed diagrams/NAME.svg."""
    done = run(["dot", "-Tsvg", path], f"dot on {shown(path)}", timeout=60)
    return GENERATOR_RE.sub("", done.stdout, count=1)


def dot_sources(root=HERE):
    """Every chapter's diagrams/*.dot, as paths."""
    return sorted(os.path.join(root, c, "diagrams", n) for c in check.chapters(root)
                  if os.path.isdir(os.path.join(root, c, "diagrams"))
                  for n in os.listdir(os.path.join(root, c, "diagrams")) if n.endswith(".dot"))


def update_committed_svgs(root=HERE, quiet=False):
    """Writes diagrams/NAME.svg next to each NAME.dot (they are committed, so
    that the notes show their pictures on a forge). Returns the paths changed."""
    if not shutil.which("dot"):
        raise BuildError("Graphviz's dot is needed for the diagrams: `make deps` installs "
                         "it (Debian package graphviz)")
    changed = []
    for path in dot_sources(root):
        svg, text = path[:-4] + ".svg", dot_svg(path)
        try:
            old = check.read(svg)
        except FileNotFoundError:
            old = None
        if old != text:
            with open(svg, "w", encoding="utf-8") as f:
                f.write(text)
            changed.append(svg)
            say(quiet, "wrote", shown(svg))
    return changed


def render_diagrams(src_dir, out_dir):
    """Each diagrams/NAME.dot to out_dir/diagrams/NAME.svg (drawn afresh: the
    committed NAME.svg beside it is not used); other files in diagrams/
    (hand-made pictures) are copied. Returns the paths written."""
    src = os.path.join(src_dir, "diagrams")
    if not os.path.isdir(src):
        return []
    names = sorted(os.listdir(src))
    written = []
    if any(n.endswith(".dot") for n in names) and not shutil.which("dot"):
        raise BuildError("Graphviz's dot is needed for the diagrams: `make deps` installs "
                         "it (Debian package graphviz)")
    os.makedirs(os.path.join(out_dir, "diagrams"), exist_ok=True)
    for name in names:
        path = os.path.join(src, name)
        if not os.path.isfile(path):
            continue
        if name.endswith(".dot"):
            svg = os.path.join(out_dir, "diagrams", name[:-4] + ".svg")
            with open(svg, "w", encoding="utf-8") as f:
                f.write(dot_svg(path))
        elif name.endswith(".svg") and os.path.exists(path[:-4] + ".dot"):
            continue  # the committed drawing of a .dot: drawn afresh above
        else:
            svg = os.path.join(out_dir, "diagrams", name)
            shutil.copyfile(path, svg)
        written.append(svg)
    return written


# ---------------------------------------------------------------- Markdown, prepared

class Prepared:
    """A chapter's Markdown made ready for rendering into out_dir."""

    def __init__(self, text, images):
        self.text = text        # the Markdown to render
        self.images = images    # {token or relative path: absolute file}


def picture(link, src_dir, out_dir):
    """The file a local image names: the one build made (a diagram drawn from
    its .dot just now), else the source folder's."""
    path, _ = check.split_target(link.target)
    for base in (out_dir, src_dir):
        candidate = os.path.normpath(os.path.join(base, path))
        if os.path.isfile(candidate):
            return candidate
    raise BuildError(f"{shown(link.path)}:{link.line}: the picture {link.target} "
                     "does not exist (nor a diagrams/*.dot that makes it)")


def lab_handouts():
    """The labs' handouts (labs/NN-name/README.md) that build renders to
    out_root/labs/NN-name/README.html, so that the notes link them rendered."""
    return [p for p in check.lab_handouts()
            if os.path.basename(os.path.dirname(os.path.dirname(p))) == "labs"]


def handout_page(path, out_root):
    """Where the rendered page of a lab handout goes."""
    return os.path.join(out_root, "labs", os.path.basename(os.path.dirname(path)), "README.html")


def link_for_output(link, out_dir, out_root, built, root):
    """A relative link of the source rewritten for a page in out_dir: to the
    rendered page when it names a chapter's notes.md or slides.md, or a lab's
    handout (labs/NN-name/README.md)."""
    target, anchor = check.resolve(link)
    chapter_dir = os.path.dirname(target)
    if (os.path.dirname(chapter_dir) == root and os.path.basename(chapter_dir) in built
            and os.path.basename(target) in ("notes.md", "slides.md")):
        target = os.path.join(out_root, os.path.basename(chapter_dir),
                              os.path.basename(target)[:-3] + ".html")
    elif target in lab_handouts():
        target = handout_page(target, out_root)
    new = os.path.relpath(target, out_dir)
    return new + (f"#{anchor}" if anchor is not None else "")


def prepare(path, out_dir, out_root, built, inline, copy_to=None, root=HERE):
    """The Markdown of path, ready to render into out_dir: compile markers taken
    out, relative links pointed at the right place from out_dir, local pictures
    replaced by tokens (inline=True; the HTML gets data: URIs for them later) or
    copied next to the prepared file (copy_to, for PDF)."""
    text = check.read(path)
    src_dir = os.path.dirname(path)
    pieces, last, images = [], 0, {}
    for n, link in enumerate(check.links(path, text)):
        target = link.target.strip()
        if not target or check.is_external(target) or target.startswith("#"):
            continue
        if link.image:
            file = picture(link, src_dir, out_dir)
            if inline:
                new = TOKEN.format(n, hashlib.sha256(file.encode()).hexdigest()[:8])
                new += os.path.splitext(file)[1]
                images[new] = file
            else:
                new, _ = check.split_target(target)
                dest = os.path.normpath(os.path.join(copy_to, new))
                if not dest.startswith(copy_to + os.sep):
                    new = f"picture-{n}{os.path.splitext(file)[1]}"
                    dest = os.path.join(copy_to, new)
                os.makedirs(os.path.dirname(dest), exist_ok=True)
                shutil.copyfile(file, dest)
        else:
            new = link_for_output(link, out_dir, out_root, built, root)
        pieces += [text[last:link.start], new]
        last = link.end
    pieces.append(text[last:])
    text = "".join(pieces)
    text = "\n".join(line for line in text.split("\n") if not check.COMPILE_MARK.match(line))
    return Prepared(text, images)


def with_deck_defaults(text, chapter):
    """Front matter completed with a title (the first heading) and lang: en."""
    fields = check.front_matter(text) or {}
    extra = []
    if "title" not in fields:
        body, _ = check.body_after_front_matter(text)
        m = re.search(r"^#{1,2}\s+(.+?)\s*#*\s*$", check.prose(body, spans=False), re.M)
        title = re.sub(r"[`*]", "", m.group(1)) if m else chapter
        if not re.match(r"\d", title):
            title = f"{int(chapter[:2])}. {title}"
        extra.append("title: " + json.dumps(title))
    if "lang" not in fields:
        extra.append("lang: en")
    if not extra:
        return text
    if check.front_matter(text) is None:
        return "---\n" + "\n".join(extra) + "\n---\n\n" + text
    return re.sub(r"\A---[ \t]*\n", lambda m: m.group(0) + "\n".join(extra) + "\n", text,
                  count=1)


def data_uri(file):
    with open(file, "rb") as f:
        data = f.read()
    mime = MIME.get(os.path.splitext(file)[1].lower()) or mimetypes.guess_type(file)[0]
    return f"data:{mime or 'application/octet-stream'};base64," + base64.b64encode(data).decode()


def inline_images(html_path, images):
    """Replaces each token in the rendered file by its picture's data: URI."""
    with open(html_path, encoding="utf-8") as f:
        text = f.read()
    for token, file in images.items():
        if token not in text:
            raise BuildError(f"{shown(html_path)}: the picture {shown(file)} went missing "
                             "in rendering (is it inside a code block or a comment?)")
        text = text.replace(token, data_uri(file))
    with open(html_path, "w", encoding="utf-8") as f:
        f.write(text)


# ---------------------------------------------------------------- slides (Marp)

def marp(input_dir, out_root, extra, env=None, timeout=600):
    """Marp on every slides.md under input_dir, into out_root/NN-topic/."""
    argv = [MARP, "--no-config-file", "--theme-set", THEME, "--html",
            "--input-dir", input_dir, "--output", out_root, *extra]
    done = run(argv, "Marp", timeout=timeout, env=env, cwd=HERE)
    problems = [line for line in (done.stdout + done.stderr).splitlines()
                if ("WARN" in line or "ERROR" in line)
                and "Insecure local file accessing" not in line]  # asked for, for PDF
    if problems:
        raise BuildError("Marp warned:\n" + "\n".join(problems))


def find_chromium():
    path = os.environ.get("CHROME_PATH") or CHROMIUM
    return path if os.access(path, os.X_OK) else None


# ---------------------------------------------------------------- does it fit?

MIN_CODE_PX = 20  # code Marp shrank below this is too small for the back row
MIN_DIAGRAM_PX = 18  # the smallest text of a diagram, as shown on the 1280x720 slide
CONTROL_BAR_TOP = 600  # Marp's control bar (shown when the mouse moves) starts below

FIT_JS = r"""
const puppeteer = require('puppeteer-core');
const [chromium, ...files] = JSON.parse(process.argv[1]);
(async () => {
  const browser = await puppeteer.launch({ executablePath: chromium, headless: true, pipe: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking',
           '--disable-component-update', '--disable-sync', '--no-first-run'] });
  const report = {};
  try {
    const page = await browser.newPage();
    await page.setViewport({ width: 1280, height: 720 });
    for (const file of files) {
      await page.goto('file://' + file, { waitUntil: 'load' });
      await page.evaluate(() => document.fonts.ready);
      await new Promise((r) => setTimeout(r, 300));  // Marp's auto-scaling settles
      report[file] = await page.evaluate(() => {
        const found = [];
        const slides = document.querySelectorAll(
          'section[id]:not([data-marpit-advanced-background="background"])'
          + ':not([data-marpit-advanced-background="pseudo"])');
        for (const s of slides) {
          const box = s.getBoundingClientRect();
          const scale = box.width / s.offsetWidth;
          let bottom = 0, right = 0;
          for (const el of s.children) {
            const r = el.getBoundingClientRect();
            if (!r.width && !r.height) continue;
            bottom = Math.max(bottom, (r.bottom - box.top) / scale);
            right = Math.max(right, (r.right - box.left) / scale);
          }
          let smallest = null;
          for (const code of s.querySelectorAll('pre code, marp-pre code')) {
            const px = parseFloat(getComputedStyle(code).fontSize);
            const shown = code.getBoundingClientRect().width / scale;
            const ratio = code.offsetWidth ? Math.min(1, shown / code.offsetWidth) : 1;
            const eff = px * ratio;
            if (smallest === null || eff < smallest) smallest = eff;
          }
          // Pictures drawn by Graphviz: their smallest text as shown, and how far
          // down they reach (Marp's control bar covers the bottom centre).
          const pictures = [];
          for (const img of s.querySelectorAll('img')) {
            const m = /^data:image\/svg\+xml;base64,(.*)$/.exec(img.getAttribute('src') || '');
            if (!m) continue;
            const svg = new DOMParser().parseFromString(atob(m[1]), 'image/svg+xml');
            const root = svg.documentElement;
            const vb = (root.getAttribute('viewBox') || '').split(/[\s,]+/).map(Number);
            if (vb.length !== 4 || !vb[2]) continue;
            const r = img.getBoundingClientRect();
            const shownW = r.width / scale, shownH = r.height / scale;
            const k = Math.min(shownW / vb[2], shownH / vb[3]);  // object-fit: contain
            let small = null;
            for (const text of root.querySelectorAll('text')) {
              const fs = parseFloat(text.getAttribute('font-size')
                                    || (text.closest('[font-size]') || root).getAttribute('font-size') || '14');
              if (small === null || fs < small) small = fs;
            }
            const drawnH = vb[3] * k, top = (r.top - box.top) / scale + (shownH - drawnH) / 2;
            pictures.push({ text: small === null ? null : small * k, bottom: top + drawnH,
                            width: vb[2] * k, height: drawnH });
          }
          found.push({ slide: Number(s.id), height: s.offsetHeight, width: s.offsetWidth,
                       bottom, right, code: smallest, pictures });
        }
        return found;
      });
    }
  } finally {
    await browser.close();
  }
  process.stdout.write(JSON.stringify(report));
})().catch((e) => {
  console.error(e instanceof Error ? e.stack : require('util').inspect(e));
  process.exit(1);
});
"""


def fit_problems(html_paths, chromium=None):
    """Looks at each slide in Chromium as a projector shows it (1280x720):
    content that runs off the slide, and code that Marp had to shrink below
    MIN_CODE_PX to fit its width. Returns the problems, one string each."""
    chromium = chromium or find_chromium()
    if not chromium:
        raise BuildError(f"no Chromium at {CHROMIUM} to look at the slides "
                         "(apt-get install chromium, or set CHROME_PATH)")
    paths = [os.path.abspath(p) for p in html_paths]
    done = run(["node", "-e", FIT_JS, json.dumps([chromium, *paths])],
               "measuring the slides in Chromium", cwd=HERE, timeout=300)
    report = json.loads(done.stdout)
    problems = []
    for path in paths:
        chapter = os.path.basename(os.path.dirname(path))
        name = (f"slides-notes/{chapter}/slides.md" if check.CHAPTER_RE.match(chapter)
                else shown(path))
        for s in report[path]:
            if s["bottom"] > s["height"] + 1:
                problems.append(f"{name} slide {s['slide']}: runs {s['bottom'] - s['height']:.0f}px "
                                "off the bottom (split it, or shorten it)")
            if s["right"] > s["width"] + 1:
                problems.append(f"{name} slide {s['slide']}: runs {s['right'] - s['width']:.0f}px "
                                "off the right edge")
            for p in s.get("pictures", []):
                if p["text"] is not None and p["text"] < MIN_DIAGRAM_PX - 0.5:
                    problems.append(f"{name} slide {s['slide']}: a diagram's smallest text shows at "
                                    f"{p['text']:.1f}px (at least {MIN_DIAGRAM_PX}px: larger "
                                    "fonts in the .dot, or a less wide layout)")
                if p["bottom"] > CONTROL_BAR_TOP + 0.5:
                    problems.append(f"{name} slide {s['slide']}: a diagram reaches y={p['bottom']:.0f}, "
                                    f"under Marp's control bar (keep it above {CONTROL_BAR_TOP})")
            if s["code"] is not None and s["code"] < MIN_CODE_PX - 0.5:
                problems.append(f"{name} slide {s['slide']}: code shrunk to {s['code']:.0f}px to "
                                f"fit the width (at least {MIN_CODE_PX}px: lines of about "
                                "75 characters at most)")
    return problems


# ---------------------------------------------------------------- notes (markdown-it)

NOTES_JS = r"""
const fs = require('fs');
const MarkdownIt = require('markdown-it');
let hljs = null;
try { hljs = require('highlight.js'); } catch (e) { /* plain code then */ }
const md = new MarkdownIt({
  html: true,
  highlight: (code, lang) => {
    if (hljs && lang && hljs.getLanguage(lang)) {
      try { return hljs.highlight(code, { language: lang, ignoreIllegals: true }).value; }
      catch (e) { /* plain */ }
    }
    return '';
  },
});
for (const [src, out] of JSON.parse(fs.readFileSync(0, 'utf8'))) {
  fs.writeFileSync(out, md.render(fs.readFileSync(src, 'utf8')));
}
"""

NOTES_CSS = """
body { margin: 0; background: #fff; color: #111820;
  font: 18px/1.6 'DejaVu Sans', 'Liberation Sans', Arial, sans-serif; }
main { max-width: 52em; margin: 0 auto; padding: 2em 1.5em 4em; }
h1, h2, h3, h4 { color: #0b4f9c; line-height: 1.25; margin: 1.6em 0 0.5em; }
h1 { font-size: 2em; margin-top: 0.5em; border-bottom: 2px solid #c9d1da; padding-bottom: .2em; }
h2 { font-size: 1.5em; border-bottom: 1px solid #c9d1da; padding-bottom: .15em; }
a { color: #0b4f9c; }
code { font-family: 'DejaVu Sans Mono', 'Liberation Mono', monospace; font-size: 0.9em;
  background: #f3f5f8; padding: 0.05em 0.3em; border-radius: 3px; }
pre { background: #f3f5f8; border-left: 6px solid #0b4f9c; padding: 0.8em 1em;
  overflow-x: auto; line-height: 1.4; }
pre, code { tab-size: 4; -moz-tab-size: 4; }
pre code { background: none; padding: 0; font-size: 0.88em; }
img { max-width: 100%; height: auto; display: block; margin: 1em auto; }
table { border-collapse: collapse; margin: 1em 0; }
th, td { border: 1px solid #c9d1da; padding: 0.35em 0.8em; }
th { background: #e8eef5; }
blockquote { border-left: 6px solid #b84a00; background: #fff6ee; margin: 1em 0;
  padding: 0.5em 1em; }
.hljs-keyword, .hljs-built_in, .hljs-type { color: #7a1f9e; font-weight: 600; }
.hljs-string { color: #0a6b1f; }
.hljs-number, .hljs-literal { color: #a23b00; }
.hljs-comment { color: #5b6570; font-style: italic; }
.hljs-meta { color: #8a4b00; }
.hljs-title { color: #0b4f9c; }
nav.top { font-size: 0.9em; margin-bottom: 1em; }
"""


def add_heading_ids(fragment):
    """Gives each <hN> the id GitHub would, so #anchors work in notes.html."""
    seen = {}

    def one(m):
        base = check.slug(m.group(3))
        n = seen.get(base, 0)
        seen[base] = n + 1
        ident = base if n == 0 else f"{base}-{n}"
        return f'<h{m.group(1)}{m.group(2)} id="{html.escape(ident)}">{m.group(3)}</h{m.group(1)}>'
    return re.sub(r"<h([1-6])([^>]*)>(.*?)</h\1>", one, fragment, flags=re.S)


def notes_page(fragment, title, has_slides, nav=None):
    if nav is None:
        nav = ('<nav class="top"><a href="slides.html">Slides of this chapter</a></nav>\n'
               if has_slides else "")
    return (f'<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">\n'
            f"<title>{html.escape(title)}</title>\n<style>{NOTES_CSS}</style>\n</head>\n"
            f"<body>\n<main>\n{nav}{add_heading_ids(fragment)}</main>\n</body>\n</html>\n")


# ---------------------------------------------------------------- the whole build

def build(out_root=DEFAULT_OUT, pdf=False, only=None, quiet=False, root=HERE):
    """Renders every chapter of root (or those whose NN is in only); returns the
    paths written."""
    root = os.path.abspath(root)
    started = time.monotonic()
    out_root = os.path.abspath(out_root)
    chapters = [c for c in check.chapters(root) if not only or c[:2] in only]
    if only and len(chapters) != len(set(only)):
        raise BuildError(f"no chapter folder for {sorted(set(only) - {c[:2] for c in chapters})}")
    chapters = [c for c in chapters if os.path.exists(os.path.join(root, c, "slides.md"))
                or os.path.exists(os.path.join(root, c, "notes.md"))]
    if not chapters:
        raise BuildError("no chapter to render (slides-notes/NN-topic/slides.md)")
    ensure_node_modules(quiet)
    written = []
    decks, notes = {}, {}
    with tempfile.TemporaryDirectory(prefix="socketlab-slides-") as tmp:
        html_in, pdf_in = os.path.join(tmp, "html"), os.path.join(tmp, "pdf")
        for chapter in chapters:
            src_dir, out_dir = os.path.join(root, chapter), os.path.join(out_root, chapter)
            shutil.rmtree(out_dir, ignore_errors=True)
            os.makedirs(out_dir)
            written += render_diagrams(src_dir, out_dir)
            slides = os.path.join(src_dir, "slides.md")
            if os.path.exists(slides):
                deck = prepare(slides, out_dir, out_root, chapters, inline=True, root=root)
                os.makedirs(os.path.join(html_in, chapter))
                with open(os.path.join(html_in, chapter, "slides.md"), "w") as f:
                    f.write(with_deck_defaults(deck.text, chapter))
                decks[chapter] = deck
                if pdf:
                    copy_to = os.path.join(pdf_in, chapter)
                    os.makedirs(copy_to)
                    printable = prepare(slides, out_dir, out_root, chapters, inline=False,
                                        copy_to=copy_to, root=root)
                    with open(os.path.join(copy_to, "slides.md"), "w") as f:
                        f.write(with_deck_defaults(printable.text, chapter))
            text = os.path.join(src_dir, "notes.md")
            if os.path.exists(text):
                page = prepare(text, out_dir, out_root, chapters, inline=True, root=root)
                prepared = os.path.join(tmp, f"{chapter}.notes.md")
                with open(prepared, "w") as f:
                    f.write(page.text)
                notes[chapter] = (page, prepared)

        if decks:
            marp(html_in, out_root, [])
            for chapter, deck in decks.items():
                path = os.path.join(out_root, chapter, "slides.html")
                if not os.path.exists(path):
                    raise BuildError(f"Marp wrote no {shown(path)}")
                inline_images(path, deck.images)
                written.append(path)

        handouts = {}
        if notes:
            for n, path in enumerate(lab_handouts()):
                out_dir = os.path.dirname(handout_page(path, out_root))
                shutil.rmtree(out_dir, ignore_errors=True)
                os.makedirs(out_dir)
                page = prepare(path, out_dir, out_root, chapters, inline=True, root=root)
                prepared = os.path.join(tmp, f"handout-{n}.md")
                with open(prepared, "w") as f:
                    f.write(page.text)
                handouts[path] = (page, prepared)
        if notes:
            jobs = [[prepared, os.path.join(tmp, f"{c}.notes.html")]
                    for c, (_, prepared) in notes.items()]
            jobs += [[prepared, prepared[:-3] + ".html"] for _, prepared in handouts.values()]
            run(["node", "-e", NOTES_JS], "rendering notes.md with markdown-it",
                input=json.dumps(jobs), cwd=HERE, timeout=120)
            for chapter, (page, _) in notes.items():
                with open(os.path.join(tmp, f"{chapter}.notes.html"), encoding="utf-8") as f:
                    fragment = f.read()
                m = re.search(r"<h1[^>]*>(.*?)</h1>", fragment, re.S)
                title = re.sub(r"<[^>]+>", "", m.group(1)) if m else chapter
                path = os.path.join(out_root, chapter, "notes.html")
                with open(path, "w", encoding="utf-8") as f:
                    f.write(notes_page(fragment, html.unescape(title), chapter in decks))
                inline_images(path, page.images)
                written.append(path)
            for source, (page, prepared) in handouts.items():
                with open(prepared[:-3] + ".html", encoding="utf-8") as f:
                    fragment = f.read()
                m = re.search(r"<h1[^>]*>(.*?)</h1>", fragment, re.S)
                title = re.sub(r"<[^>]+>", "", m.group(1)) if m else "Lab handout"
                path = handout_page(source, out_root)
                nav = (f'<nav class="top">The lab handout, rendered from '
                       f'<code>{html.escape(check.rel(source))}</code></nav>\n')
                with open(path, "w", encoding="utf-8") as f:
                    f.write(notes_page(fragment, html.unescape(title), False, nav=nav))
                inline_images(path, page.images)
                written.append(path)

        if pdf and decks:
            chromium = find_chromium()
            if not chromium:
                say(quiet, f"PDF skipped: no Chromium at {CHROMIUM} (apt-get install chromium, "
                    "or set CHROME_PATH)")
            else:
                env = dict(os.environ, CHROME_PATH=chromium, CHROME_NO_SANDBOX="1")
                marp(pdf_in, out_root, ["--pdf", "--allow-local-files",
                                        "--browser", "chrome", "--browser-path", chromium,
                                        "--browser-timeout", "120"], env=env, timeout=900)
                for chapter in decks:
                    path = os.path.join(out_root, chapter, "slides.pdf")
                    if not os.path.exists(path):
                        raise BuildError(f"Marp wrote no {shown(path)}")
                    written.append(path)

    for path in written:
        say(quiet, "wrote", shown(path))
    say(quiet, f"{len(decks)} deck(s), {len(notes)} page(s) of notes in "
        f"{time.monotonic() - started:.1f} s; open {shown(out_root)}/NN-topic/slides.html")
    return written


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pdf", action="store_true", help="also slides.pdf, with Chromium")
    parser.add_argument("--out", default=DEFAULT_OUT, help="output folder (default: build/)")
    parser.add_argument("--chapter", action="append", metavar="NN",
                        help="only this chapter (repeatable)")
    parser.add_argument("--check-fit", action="store_true",
                        help="then look at every slide in Chromium: fail if content runs off "
                             "a slide, code had to shrink below %dpx, a diagram's text shows "
                             "below %dpx or a diagram reaches under the control bar"
                             % (MIN_CODE_PX, MIN_DIAGRAM_PX))
    parser.add_argument("--quiet", action="store_true", help="print only errors")
    parser.add_argument("--diagrams", action="store_true",
                        help="only redraw the committed diagrams/NAME.svg of each NAME.dot "
                             "(run it after changing a .dot, and commit both)")
    parser.add_argument("--root", default=HERE,
                        help="render the chapter folders of this folder (default: slides-notes/)")
    args = parser.parse_args(argv)
    try:
        if args.diagrams:
            changed = update_committed_svgs(args.root, quiet=args.quiet)
            say(args.quiet, f"{len(changed)} diagram(s) redrawn")
            return 0
        written = build(args.out, pdf=args.pdf, only=args.chapter, quiet=args.quiet,
                        root=args.root)
        if args.check_fit:
            decks = [p for p in written if p.endswith("slides.html")]
            problems = fit_problems(decks)
            if problems:
                raise BuildError("some slides do not fit on the screen:\n  "
                                 + "\n  ".join(problems))
            say(args.quiet, f"looked at {len(decks)} deck(s) in Chromium: every slide fits")
    except BuildError as e:
        print(f"build.py: error: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
