"""report.html: one page per submission that a student reads to learn why a
test failed. Self-contained: its style and diagrams are inline, it loads
nothing (no script, no font, no image from the network).

For each lab: the score, each test with its points; for each failed test the
exchange drawn as a sequence diagram (gradelib/sequence.py), what was expected
and what came, the programs' last stderr lines, the hint, the handout section
and the command that reruns the test. Private tests show their score only.
"""

import datetime
import os

import jinja2

from . import sequence
from .reports import lab_totals

RERUN = "rerun just this test: "


def render(entries, notes=(), title="Grading report"):
    """The page, as a string, for a list of gradelib.results.Result."""
    env = jinja2.Environment(autoescape=True, trim_blocks=True, lstrip_blocks=True)
    env.filters["diagram"] = lambda story, name: jinja2.utils.markupsafe.Markup(
        sequence.svg(story, f"the exchange in {name}"))
    totals = lab_totals([e for e in entries if not e.is_build])
    return env.from_string(TEMPLATE).render(
        title=title, notes=list(notes), style=STYLE + sequence.STYLE,
        when=datetime.datetime.now().strftime("%Y-%m-%d %H:%M"),
        labs=[_lab(lab, t, entries) for lab, t in totals.items()],
        total=sum(t[0] for t in totals.values()),
        total_max=sum(t[1] for t in totals.values()),
        broken=[e for e in entries if e.is_build and not e.passed and e.lab not in totals])


def _lab(lab, totals, entries):
    score, worth, bonus, bonus_max = totals
    mine = [e for e in entries if e.lab == lab]
    build = next((e for e in mine if e.is_build), None)
    parts = {}
    for e in mine:
        if not e.is_build:
            parts.setdefault(e.part_title or e.part, []).append(e)
    failures = [_failure(e) for e in mine if not e.passed and not e.is_build]
    return {"name": lab, "score": score, "max": worth, "bonus": bonus, "bonus_max": bonus_max,
            "percent": round(100 * score / worth) if worth else 0,
            "build_output": build.output if build and not build.passed else None,
            "parts": [{"title": t, "tests": ts,
                       "score": sum(x.score for x in ts if not x.bonus),
                       "max": sum(x.points for x in ts if not x.bonus)}
                      for t, ts in parts.items()],
            "failures": failures}


def _failure(e):
    lines = e.output.rstrip().splitlines()
    rerun = next((ln[len(RERUN):] for ln in reversed(lines) if ln.startswith(RERUN)), None)
    story = e.story
    failed_step = None
    if story and story.get("steps") and story["steps"][-1].get("outcome", "ok") != "ok":
        failed_step = story["steps"][-1]
    return {"id": f"{e.lab}-{e.name}".replace("[", "-").replace("]", "").replace("/", "-"),
            "e": e, "rerun": rerun, "story": story, "failed_step": failed_step,
            "text": "\n".join(ln for ln in lines if not ln.startswith(RERUN)),
            "grader_error": e.kind == "grader-error"}


def write(report_dir, entries, notes=(), title="Grading report"):
    path = os.path.join(report_dir, "report.html")
    with open(path, "w") as f:
        f.write(render(entries, notes, title))
    return path


STYLE = """
body { font: 15px/1.45 system-ui, "DejaVu Sans", sans-serif; margin: 0; color: #222;
       background: #fafafa; }
main { max-width: 1100px; margin: 0 auto; padding: 18px 24px 60px; }
h1 { font-size: 24px; margin: 8px 0 2px; } h2 { font-size: 20px; margin: 28px 0 8px; }
h3 { font-size: 16px; margin: 0 0 8px; }
.muted { color: #777; font-size: 13px; }
.total { font-size: 28px; font-weight: bold; }
.note { background: #fff8e1; border-left: 4px solid #f0b400; padding: 6px 10px; margin: 6px 0; }
.lab { background: #fff; border: 1px solid #ddd; border-radius: 8px; padding: 14px 18px;
       margin: 18px 0; }
.bar { height: 10px; background: #eee; border-radius: 5px; overflow: hidden; margin: 6px 0 12px; }
.bar span { display: block; height: 100%; background: #2e7d32; }
.bar.low span { background: #c62828; } .bar.mid span { background: #f0b400; }
table { border-collapse: collapse; width: 100%; font-size: 14px; }
td { padding: 2px 8px; border-bottom: 1px solid #f0f0f0; }
td.pts { text-align: right; white-space: nowrap; width: 90px; font-variant-numeric: tabular-nums; }
tr.part td { font-weight: bold; background: #f6f6f6; border-bottom: 1px solid #ddd; }
.ok { color: #2e7d32; font-weight: bold; } .fail { color: #c62828; font-weight: bold; }
a { color: #1a5fb4; }
.failure { border: 1px solid #e6b8b8; border-radius: 8px; margin: 16px 0; background: #fff; }
.failure > h3 { background: #fdecea; padding: 8px 12px; margin: 0; border-radius: 8px 8px 0 0; }
.failure .inner { padding: 10px 14px; }
.diagram { overflow-x: auto; border: 1px solid #eee; margin: 8px 0; }
.verdict { display: grid; grid-template-columns: 90px 1fr; gap: 2px 10px; margin: 8px 0;
           font-family: ui-monospace, "DejaVu Sans Mono", monospace; font-size: 13px; }
.verdict .k { color: #777; } .verdict .exp { color: #2e7d32; } .verdict .got { color: #c62828; }
.hint { background: #e8f1fd; border-left: 4px solid #1a5fb4; padding: 6px 10px; margin: 8px 0; }
pre { background: #f4f4f4; padding: 8px 10px; overflow-x: auto; font-size: 12.5px;
      border-radius: 4px; margin: 6px 0; white-space: pre-wrap; }
code { font-size: 13px; background: #f1f1f1; padding: 1px 4px; border-radius: 3px; }
details summary { cursor: pointer; color: #555; font-size: 13px; }
"""

TEMPLATE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{ title }}</title>
<style>{{ style }}</style></head>
<body><main>
<h1>{{ title }}</h1>
<div class="muted">graded {{ when }}</div>
<div class="total">{{ total }} / {{ total_max }}</div>
{% for n in notes %}<div class="note">note: {{ n }}</div>{% endfor %}
{% for e in broken %}<div class="lab"><h2>{{ e.lab }}</h2><pre>{{ e.output }}</pre></div>{% endfor %}

{% for lab in labs %}
<section class="lab" id="{{ lab.name }}">
<h2>{{ lab.name }} &mdash; {{ lab.score }} / {{ lab.max }}{% if lab.bonus_max %}
 <span class="muted">(bonus {{ lab.bonus }} / {{ lab.bonus_max }})</span>{% endif %}</h2>
<div class="bar {{ 'low' if lab.percent < 50 else 'mid' if lab.percent < 90 else '' }}">
<span style="width: {{ lab.percent }}%"></span></div>
{% if lab.build_output %}<p class="fail">The build failed: every test below needs it.</p>
<pre>{{ lab.build_output }}</pre>{% endif %}
<table>
{% for part in lab.parts %}
<tr class="part"><td colspan="2">{{ part.title }}</td><td class="pts">{{ part.score }} / {{ part.max }}</td></tr>
{% for t in part.tests %}
<tr><td style="width: 3em">{% if t.passed %}<span class="ok">ok</span>{% else %}<span class="fail">FAIL</span>{% endif %}</td>
<td>{% if not t.passed %}<a href="#{{ (t.lab ~ '-' ~ t.name)|replace('[', '-')|replace(']', '')|replace('/', '-') }}">{{ t.name }}</a>{% else %}{{ t.name }}{% endif %}
{% if t.hidden %} <span class="muted">(private test)</span>{% endif %}</td>
<td class="pts">{{ t.score }} / {{ t.points }}{% if t.bonus %} bonus{% endif %}</td></tr>
{% endfor %}{% endfor %}
</table>

{% if lab.failures %}<h2>What went wrong in {{ lab.name }}</h2>{% endif %}
{% for f in lab.failures %}
<div class="failure" id="{{ f.id }}">
<h3>{{ f.e.name }} <span class="muted">&minus;{{ f.e.points }} point{{ '' if f.e.points == 1 else 's' }}</span>
{% if f.grader_error %} <span class="fail">GRADER ERROR: not your fault, please report it</span>{% endif %}</h3>
<div class="inner">
{% if f.e.hidden %}
<p>This is a private test of your instructor: its details are not shown.</p>
{% else %}
{% if f.story and f.story.hint %}<div class="hint"><b>hint:</b> {{ f.story.hint }}</div>{% endif %}
{% if f.failed_step %}
<div class="verdict"><span class="k">step</span><span>{{ f.failed_step.action }}</span>
{% if f.failed_step.expected %}<span class="k">expected</span><span class="exp">{{ f.failed_step.expected }}</span>
<span class="k">got</span><span class="got">{{ f.failed_step.got }}</span>
{% else %}<span class="k">outcome</span><span class="got">{{ f.failed_step.outcome }}</span>{% endif %}</div>
{% endif %}
{% if f.story and f.story.steps %}<div class="diagram">{{ f.story | diagram(f.e.name) }}</div>{% endif %}
{% if f.story %}
{% for p in f.story.programs %}
<div><b>{{ p.name }}</b> {{ p.status }}; its last stderr lines:</div>
<pre>{% if p.stderr %}{{ p.stderr | join('\\n') }}{% else %}(nothing){% endif %}</pre>
{% endfor %}
{% if f.story.read_more %}<div>read: <b>{{ f.story.read_more }}</b></div>{% endif %}
<details><summary>the whole account, as text</summary><pre>{{ f.text }}</pre></details>
{% else %}
<pre>{{ f.text or "(no message)" }}</pre>
{% endif %}
{% if f.rerun %}<div>rerun just this test: <code>{{ f.rerun }}</code></div>{% endif %}
{% endif %}
</div></div>
{% endfor %}
</section>
{% endfor %}
</main></body></html>
"""
