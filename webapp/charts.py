"""Charts drawn on the server as accessible SVG: pages work without JavaScript and print well.

Each chart is an `<svg role="img">` with a `<title>` and a `<desc>` (aria-labelledby both), and
the page shows the same numbers in a table beside it, so nothing is only in the picture. Colours
are the Okabe–Ito palette, distinguishable with the common kinds of colour blindness, and every
series also differs by its label; a hidden figure is drawn as a labelled gap, never as zero.
No inline style attributes (the Content-Security-Policy allows none): presentation attributes
and classes from style.css only.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

# Okabe & Ito (2008), "Color Universal Design".
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442")
_ids = itertools.count(1)


@dataclass(frozen=True)
class Bar:
    label: str
    value: float | None  # None: hidden (suppressed)
    low: float | None = None
    high: float | None = None
    shown: str = ""  # the value as the page writes it (locale formatting)


def _id(prefix: str) -> str:
    return f"{prefix}-{next(_ids)}"


def bars(title: str, description: str, items: Sequence[Bar], maximum: float,
         minimum: float = 0.0, hidden_text: str = "hidden") -> Markup:
    """Horizontal bars (one per item) with an optional interval whisker on each."""
    row, label_w, width = 30, 190, 560
    plot_w = width - label_w - 60
    height = row * len(items) + 20
    span = (maximum - minimum) or 1.0

    def x(v: float) -> float:
        return label_w + plot_w * (min(max(v, minimum), maximum) - minimum) / span

    cid = _id("chart")
    parts = [f'<svg class="chart" role="img" viewBox="0 0 {width} {height}" '
             f'aria-labelledby="{cid}-t {cid}-d" xmlns="http://www.w3.org/2000/svg">',
             f'<title id="{cid}-t">{escape(title)}</title>',
             f'<desc id="{cid}-d">{escape(description)}</desc>']
    zero = x(max(minimum, 0.0)) if minimum < 0 else label_w
    parts.append(f'<line x1="{zero:.1f}" y1="4" x2="{zero:.1f}" y2="{height - 8}" '
                 'class="axis" stroke="#555" stroke-width="1"/>')
    for i, (item, colour) in enumerate(zip(items, itertools.cycle(PALETTE), strict=False)):
        y = 10 + i * row
        parts.append(f'<text x="{label_w - 8}" y="{y + 15}" text-anchor="end" '
                     f'class="chart-label">{escape(item.label)}</text>')
        if item.value is None:
            parts.append(f'<text x="{label_w + 6}" y="{y + 15}" class="chart-hidden">'
                         f'{escape(hidden_text)}</text>')
            continue
        x0, x1 = sorted((zero, x(item.value)))
        parts.append(f'<rect x="{x0:.1f}" y="{y + 3}" width="{max(x1 - x0, 1):.1f}" '
                     f'height="{row - 10}" fill="{colour}"/>')
        if item.low is not None and item.high is not None:
            lo, hi = x(item.low), x(item.high)
            mid = y + 3 + (row - 10) / 2
            parts.append(f'<path d="M{lo:.1f} {mid - 5:.1f}v10M{lo:.1f} {mid:.1f}H{hi:.1f}'
                         f'M{hi:.1f} {mid - 5:.1f}v10" stroke="#222" stroke-width="1.5" '
                         'fill="none" class="interval"/>')
        parts.append(f'<text x="{max(x1, x(item.high) if item.high is not None else x1) + 6:.1f}"'
                     f' y="{y + 15}" class="chart-value">{escape(item.shown)}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 - every text above went through escape()


@dataclass(frozen=True)
class Series:
    label: str
    points: Sequence[float | None]  # one per period; None: hidden


def lines(title: str, description: str, periods: Sequence[str], series: Sequence[Series],
          maximum: float, minimum: float = 0.0) -> Markup:
    """A line per series over the periods; a hidden point breaks its line (no fake zero)."""
    width, height, left, bottom = 560, 240, 48, 40
    plot_w, plot_h = width - left - 16, height - bottom - 16
    span = (maximum - minimum) or 1.0
    step = plot_w / max(len(periods) - 1, 1)

    def xy(i: int, v: float) -> tuple[float, float]:
        return left + i * step, 16 + plot_h * (1 - (v - minimum) / span)

    cid = _id("chart")
    parts = [f'<svg class="chart" role="img" viewBox="0 0 {width} {height}" '
             f'aria-labelledby="{cid}-t {cid}-d" xmlns="http://www.w3.org/2000/svg">',
             f'<title id="{cid}-t">{escape(title)}</title>',
             f'<desc id="{cid}-d">{escape(description)}</desc>',
             f'<line x1="{left}" y1="16" x2="{left}" y2="{16 + plot_h}" stroke="#555"/>',
             f'<line x1="{left}" y1="{16 + plot_h}" x2="{width - 16}" y2="{16 + plot_h}" '
             'stroke="#555"/>',
             f'<text x="{left - 6}" y="20" text-anchor="end" class="chart-label">'
             f'{escape(_number(maximum))}</text>',
             f'<text x="{left - 6}" y="{16 + plot_h}" text-anchor="end" class="chart-label">'
             f'{escape(_number(minimum))}</text>']
    for i, period in enumerate(periods):
        x, _ = xy(i, minimum)
        parts.append(f'<text x="{x:.1f}" y="{height - 18}" text-anchor="middle" '
                     f'class="chart-label">{escape(period)}</text>')
    dashes = ("", ' stroke-dasharray="6 3"', ' stroke-dasharray="2 3"')
    for n, (s, colour) in enumerate(zip(series, itertools.cycle(PALETTE), strict=False)):
        runs: list[list[tuple[float, float]]] = [[]]
        for i, v in enumerate(s.points):
            if v is None:
                runs.append([])
            else:
                runs[-1].append(xy(i, v))
        for run in runs:
            if len(run) > 1:
                d = "M" + "L".join(f"{px:.1f} {py:.1f}" for px, py in run)
                parts.append(f'<path d="{d}" stroke="{colour}" stroke-width="2.5" fill="none"'
                             f'{dashes[n % len(dashes)]}/>')
            for px, py in run:
                parts.append(f'<circle cx="{px:.1f}" cy="{py:.1f}" r="3.5" fill="{colour}"/>')
    for n, (s, colour) in enumerate(zip(series, itertools.cycle(PALETTE), strict=False)):
        y = height - 4
        x = left + n * 170
        parts.append(f'<rect x="{x}" y="{y - 9}" width="12" height="4" fill="{colour}"/>'
                     f'<text x="{x + 16}" y="{y}" class="chart-label">{escape(s.label)}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 - every text above went through escape()


def _number(v: float) -> str:
    return f"{v:g}"


# A single-hue sequential scale (ColorBrewer "Blues", 5 classes): light to dark reads as low to
# high for every kind of colour vision, and each tile prints its value anyway.
BLUES = ("#eff3ff", "#bdd7e7", "#6baed6", "#3182bd", "#08519c")
_DARK_FROM = 3  # classes from here on take white text


@dataclass(frozen=True)
class Tile:
    label: str  # the area's name (the tile shows a short form, the tooltip the whole)
    short: str
    column: int
    row: int
    value: float | None  # None: hidden or not surveyed
    shown: str = ""  # the value as the page writes it
    note: str = ""  # "hidden", "no data": printed in a tile without a value
    hidden: bool = False  # hatched grey (suppressed), not blank


def _two_lines(name: str) -> list[str]:
    """A name in at most two lines that fit a tile: after a hyphen, else at a middle space."""
    if len(name) <= 13:
        return [name]
    if "-" in name:
        head, tail = name.split("-", 1)
        return [head + "-", tail]
    spaces = [i for i, c in enumerate(name) if c == " "]
    if not spaces:
        return [name]
    cut = min(spaces, key=lambda i: abs(i - len(name) / 2))
    return [name[:cut], name[cut + 1:]]


def colour_class(value: float, minimum: float, maximum: float) -> int:
    span = (maximum - minimum) or 1.0
    share = (min(max(value, minimum), maximum) - minimum) / span
    return min(int(share * len(BLUES)), len(BLUES) - 1)


def tile_map(title: str, description: str, tiles: Sequence[Tile], minimum: float,
             maximum: float, legend: Sequence[str] = ()) -> Markup:
    """A tile map: one square per area, placed roughly where it lies, shaded by its value on a
    single-hue scale with the value printed in it; a hidden area is hatched grey with its note
    (never a zero), an area without data is blank with its note."""
    size, gap = 92, 4
    columns = max((t.column for t in tiles), default=0) + 1
    rows = max((t.row for t in tiles), default=0) + 1
    legend_h = 34 if legend else 0
    width, height = columns * (size + gap) + gap, rows * (size + gap) + gap + legend_h
    cid = _id("chart")
    parts = [f'<svg class="chart tile-map" role="img" viewBox="0 0 {width} {height}" '
             f'aria-labelledby="{cid}-t {cid}-d" xmlns="http://www.w3.org/2000/svg">',
             f'<title id="{cid}-t">{escape(title)}</title>',
             f'<desc id="{cid}-d">{escape(description)}</desc>',
             f'<defs><pattern id="{cid}-hatch" width="8" height="8" '
             'patternUnits="userSpaceOnUse" patternTransform="rotate(45)">'
             '<rect width="8" height="8" fill="#d9d9d9"/>'
             '<line x1="0" y1="0" x2="0" y2="8" stroke="#8c8c8c" stroke-width="3"/>'
             '</pattern></defs>']
    for t in tiles:
        x, y = gap + t.column * (size + gap), gap + t.row * (size + gap)
        if t.value is not None:
            cls = colour_class(t.value, minimum, maximum)
            fill, ink, kind = BLUES[cls], "#ffffff" if cls >= _DARK_FROM else "#000000", "shown"
        elif t.hidden:
            fill, ink, kind = f"url(#{cid}-hatch)", "#000000", "hidden"
        else:
            fill, ink, kind = "#ffffff", "#000000", "no-data"
        dash = ' stroke-dasharray="4 3"' if kind == "no-data" else ""
        parts.append(f'<g class="tile tile-{kind}" data-area="{escape(t.label)}">'
                     f'<title>{escape(t.label)}: {escape(t.shown or t.note)}</title>'
                     f'<rect x="{x}" y="{y}" width="{size}" height="{size}" fill="{fill}" '
                     f'stroke="#333" stroke-width="1"{dash}/>'
                     + (f'<rect x="{x + 2}" y="{y + 2}" width="{size - 4}" height="30" '
                        'fill="#ffffff"/>' if kind == "hidden" else "")
                     + "".join(f'<text x="{x + 5}" y="{y + 15 + 13 * i}" fill="{ink}" '
                               f'class="tile-name">{escape(line)}</text>'
                               for i, line in enumerate(_two_lines(t.short))))
        text = t.shown if t.value is not None else t.note
        label_class = "tile-value" if t.value is not None else "tile-note"
        if t.value is None and t.hidden:
            # the word on a white plate, readable over the hatching
            parts.append(f'<rect x="{x + 6}" y="{y + size / 2}" width="{size - 12}" '
                         f'height="22" fill="#ffffff"/>')
        parts.append(f'<text x="{x + size / 2}" y="{y + size / 2 + 16}" text-anchor="middle" '
                     f'fill="{ink}" class="{label_class}">{escape(text)}</text></g>')
    if legend:
        y = height - legend_h + 8
        step = (width - 2 * gap) / len(BLUES)
        for i, (colour, text) in enumerate(zip(BLUES, legend, strict=False)):
            x = gap + i * step
            parts.append(f'<rect x="{x:.1f}" y="{y}" width="16" height="16" fill="{colour}" '
                         f'stroke="#333"/><text x="{x + 20:.1f}" y="{y + 13}" '
                         f'class="chart-label">{escape(text)}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 - every text above went through escape()
