"""A failed test's story drawn as a sequence diagram (inline SVG, no script).

The story (failure.Story.record()) is a list of steps written for a student:
"client: send "hi\\n" (3 bytes)", "client: expect the line "hi\\n" ...",
"start `bin/echo-server 0`: ...". Their words say who acted: a step that starts
with "LABEL: " is one of the grader's sides (a client, the fake server); the
programs are the ones the story watched. parse() turns the steps into
participants and events; svg() draws them:

    time | client            other side | echo-server
    0.03 |   ---- send "hi\\n" --------->|
    0.05 |   <--- expected "hi\\n" ------|   (grey, dashed)
         |   <--- got "ho\\n" -----------|   (red)

A step it cannot place becomes a note across the diagram, so nothing is lost.
"""

import re
from dataclasses import dataclass, field
from html import escape

TERMINAL = "terminal"          # the grader typing into stdin, reading stdout
YOUR_PROGRAM = "your program"  # when the story watched no program
_LABEL = re.compile(r"^([A-Za-z][\w .-]{0,30}?): (.*)$", re.S)
_TOWARDS_PROGRAM = ("send", "connect", "half-close", "reset", "close")
_FROM_PROGRAM = ("expect", "accept")


@dataclass
class Event:
    kind: str                  # "arrow" or "note"
    text: str                  # what the step says
    t: float = None            # seconds since the test began
    source: str = None         # arrows: who acts
    target: str = None         # arrows: who is acted upon
    over: list = field(default_factory=list)  # notes: the lifelines it covers
    failed: bool = False
    expected: str = None
    got: str = None


def parse(story):
    """(participants, events) for a story record; participants in drawing order,
    the grader's sides first, then the programs."""
    programs = [p["name"] for p in story.get("programs", [])]
    sides, events, current = [], [], None
    for step in story.get("steps", []):
        action, t = step["action"], step.get("t")
        failed = step.get("outcome", "ok") != "ok"
        started = _started(action, programs)
        if started:
            current = started
        event = _event(action, programs, current)
        event.t, event.failed = t, failed
        if failed:
            event.expected = step.get("expected")
            event.got = step.get("got") or step["outcome"]
        for who in (event.source, event.target, *event.over):
            if who and who not in programs and who not in sides and who != YOUR_PROGRAM:
                sides.append(who)
        events.append(event)
    used = {w for e in events for w in (e.source, e.target, *e.over)}
    lifelines = sides + (programs or ([YOUR_PROGRAM] if YOUR_PROGRAM in used else []))
    return lifelines or [YOUR_PROGRAM], events


def _started(action, programs):
    m = re.match(r"start `(?:\S*/)?([\w.-]+)", action)
    return m.group(1) if m and m.group(1) in programs else None


def _named_program(text, programs):
    for name in programs:
        if re.search(rf"(?<![\w-]){re.escape(name)}(?![\w-])", text):
            return name
    return None


def _event(action, programs, current):
    """The event one step's words describe."""
    named = _named_program(action, programs)
    target = named or current or (programs[0] if programs else YOUR_PROGRAM)
    if action.startswith("type into ") or action.startswith("end ") and "stdin" in action:
        return Event("arrow", action, source=TERMINAL, target=target)
    if action.startswith("expect ") and "stdout" in action:
        return Event("arrow", action, source=target, target=TERMINAL)
    m = _LABEL.match(action)
    if m and m.group(1) not in programs:
        side, what = m.group(1), m.group(2)
        verb = what.split(" ", 1)[0]
        if verb in _TOWARDS_PROGRAM:
            return Event("arrow", what, source=side, target=target)
        if verb in _FROM_PROGRAM:
            return Event("arrow", what, source=target, target=side)
        return Event("note", what, over=[side])
    if named or action.startswith("start "):
        return Event("note", action, over=[target])
    return Event("note", action, over=[])  # across the whole diagram


# -- drawing -----------------------------------------------------------------
COLUMN = 250      # px between lifelines
LEFT = 70         # the time column
TOP = 46          # the participants' boxes
ROW = 36          # one step
CHARS = 40        # what fits on an arrow's label at 11 px


def svg(story, title="the exchange"):
    """The story as an <svg> element (a string), sized to its content."""
    lifelines, events = parse(story)
    x = {name: LEFT + COLUMN // 2 + i * COLUMN for i, name in enumerate(lifelines)}
    width = LEFT + COLUMN * len(lifelines)
    body, y = [], TOP + 20
    for e in events:
        height = ROW + (ROW if e.failed and e.kind == "arrow" else 0)
        if e.failed:
            body.append(f'<rect x="0" y="{y - 4}" width="{width}" height="{height}" '
                        'class="sq-band"/>')
        if e.t is not None:
            body.append(f'<text x="8" y="{y + 18}" class="sq-time">{e.t:.2f} s</text>')
        if e.kind == "arrow":
            body.append(_arrow(x, e, y))
        else:
            body.append(_note(x, lifelines, e, y, width))
        y += height
    height = y + 10
    heads = []
    for name, cx in x.items():
        kind = "side" if name in (TERMINAL,) or name not in _programs(story) else "prog"
        if name == YOUR_PROGRAM:
            kind = "prog"
        heads.append(f'<line x1="{cx}" y1="{TOP}" x2="{cx}" y2="{height}" class="sq-life"/>'
                     f'<rect x="{cx - 95}" y="8" width="190" height="{TOP - 14}" rx="5" '
                     f'class="sq-head sq-{kind}"/><text x="{cx}" y="{TOP - 14}" '
                     f'class="sq-name">{escape(_cut(name, 26))}</text>')
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
            f'viewBox="0 0 {width} {height}" role="img" class="sequence">'
            f'<title>{escape(title)}</title>'
            '<defs><marker id="arrowhead" viewBox="0 0 10 10" refX="9" refY="5" '
            'markerWidth="7" markerHeight="7" orient="auto-start-reverse">'
            '<path d="M0,0 L10,5 L0,10 z" fill="context-stroke"/></marker></defs>'
            + "".join(heads) + "".join(body) + "</svg>")


def _programs(story):
    return [p["name"] for p in story.get("programs", [])]


def _arrow(x, e, y):
    x1, x2 = x[e.source], x[e.target]
    if x1 == x2:  # a side talking to itself: a short loop
        x2 = x1 + 40
    if not e.failed:
        return _line(x1, x2, y + 20, "sq-ok", e.text)
    label_expected = f"expected {e.expected}" if e.expected else e.text
    return (_line(x1, x2, y + 20, "sq-expected", label_expected, full=e.text)
            + _line(x1, x2, y + 20 + ROW, "sq-got", f"got {e.got}"))


def _line(x1, x2, y, kind, label, full=None):
    mid = (x1 + x2) / 2
    return (f'<g class="{kind}"><title>{escape(full or label)}</title>'
            f'<line x1="{x1}" y1="{y}" x2="{x2 + (-4 if x2 > x1 else 4)}" y2="{y}" '
            f'marker-end="url(#arrowhead)"/>'
            f'<text x="{mid}" y="{y - 5}">{escape(_cut(label, CHARS * abs(x2 - x1) // COLUMN or CHARS))}'
            '</text></g>')


def _note(x, lifelines, e, y, width):
    if e.over:
        cx = x[e.over[0]]
        left, right = cx - COLUMN // 2 + 6, cx + COLUMN // 2 - 6
    else:
        left, right = LEFT, width - 6
    chars = int((right - left) / 6.8)
    kind = "sq-note sq-failed" if e.failed else "sq-note"
    label = e.text if not e.failed else f"{e.text}: {e.got}"
    return (f'<g class="{kind}"><title>{escape(label)}</title>'
            f'<rect x="{left}" y="{y + 2}" width="{right - left}" height="{ROW - 10}" rx="3"/>'
            f'<text x="{(left + right) / 2}" y="{y + 19}">{escape(_cut(label, chars))}</text></g>')


def _cut(text, n):
    n = max(int(n), 8)
    return text if len(text) <= n else text[:n - 1] + "\u2026"


STYLE = """
svg.sequence { background: #fff; }
svg.sequence text { font-family: "DejaVu Sans Mono", ui-monospace, monospace; font-size: 11px;
                    font-weight: normal; }
svg.sequence .sq-life { stroke: #bbb; stroke-dasharray: 4 3; }
svg.sequence .sq-head { stroke-width: 1.2; }
svg.sequence .sq-side { fill: #eef3fb; stroke: #5b7db1; }
svg.sequence .sq-prog { fill: #fdf4e3; stroke: #b58a2f; }
svg.sequence text.sq-name { text-anchor: middle; font-weight: bold; font-size: 12px; }
svg.sequence text.sq-time { fill: #888; }
svg.sequence g line { stroke-width: 1.6; }
svg.sequence g text { text-anchor: middle; }
svg.sequence .sq-ok line { stroke: #333; } svg.sequence .sq-ok text { fill: #222; }
svg.sequence .sq-expected line { stroke: #2e7d32; stroke-dasharray: 6 4; }
svg.sequence .sq-expected text { fill: #2e7d32; }
svg.sequence .sq-got line { stroke: #c62828; stroke-width: 2.2; }
svg.sequence .sq-got text { fill: #c62828; font-weight: bold; }
svg.sequence .sq-note rect { fill: #f6f6f6; stroke: #ccc; }
svg.sequence .sq-note text { fill: #444; }
svg.sequence .sq-note.sq-failed rect { fill: #fdecea; stroke: #c62828; }
svg.sequence .sq-note.sq-failed text { fill: #c62828; font-weight: bold; }
svg.sequence .sq-band { fill: #fff5f5; }
"""
