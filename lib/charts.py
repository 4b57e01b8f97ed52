"""Bar and line charts drawn on the server as inline SVG (ui.md "Charts"). Pure, no models.

No JavaScript and no web fonts: the SVG names the system CJK font stack, scales with its
container through ``viewBox`` and carries ``<title>``/``<desc>`` for screen readers. Every piece
of text is escaped, and characters XML forbids are dropped, so a strange occupation name can
never break the page. The page shows the table of numbers beside each chart; the charts only
draw what the table says.
"""

from __future__ import annotations

import hashlib
import html
import math
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.utils.translation import gettext as _

FONT_STACK = "'PingFang SC', 'Microsoft YaHei', 'Noto Sans CJK SC', 'Source Han Sans SC', sans-serif"
ACCENT = "#a4262c"
INK = "#1f2328"
MUTED = "#5f6b76"
AXIS = "#8c959f"
GRID = "#e6e9ed"
SERIES_COLOURS = (ACCENT, "#6e7781", "#d4a5a8", "#3d444d")

FONT_SIZE = 12
DEFAULT_WIDTH = 720
MAX_LABEL_PX = 170  # a category label longer than this is cut with an ellipsis (full text in its tooltip)
MAX_DESC_ITEMS = 40

Number = int | float | Decimal

_XML_INVALID_RE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_ID_RE = re.compile(r"[^A-Za-z0-9_-]")


@dataclass(frozen=True)
class Series:
    """One line of a line chart."""

    name: str
    values: Sequence[Number | None]
    colour: str = ""


# --- text ---------------------------------------------------------------------------------
def esc(text: object) -> str:
    """Text safe inside an XML element or a double-quoted attribute."""
    return html.escape(_XML_INVALID_RE.sub("", str(text)), quote=True)


def text_width(text: str, *, size: int = FONT_SIZE) -> float:
    """Roughly how wide the text draws: CJK characters are square, Latin ones about half."""
    return sum(size if unicodedata.east_asian_width(ch) in "WF" else size * 0.6 for ch in text)


def truncate(text: str, *, max_px: float, size: int = FONT_SIZE) -> str:
    """The text cut to ``max_px`` with an ellipsis, or unchanged when it fits."""
    if text_width(text, size=size) <= max_px:
        return text
    out = ""
    for ch in text:
        if text_width(out + ch + "…", size=size) > max_px:
            break
        out += ch
    return out + "…"


def format_number(value: Number | None, *, decimals: int = 0, unit: str = "") -> str:
    """1,234 / 85.3% — thousands separators, fixed decimals, the unit glued on."""
    if value is None:
        return "—"
    return f"{float(value):,.{decimals}f}{unit}"


# --- scale --------------------------------------------------------------------------------
def nice_step(raw: float, *, integer: bool = False) -> float:
    """The smallest of 1, 2, 2.5, 5 × 10ⁿ at least ``raw`` (whole numbers only for counts)."""
    if raw <= 0:
        return 1.0
    exponent = math.floor(math.log10(raw))
    base = 10.0**exponent
    for factor in (1, 2, 2.5, 5, 10):
        step = factor * base
        if integer and step != int(step):
            continue  # a count axis never shows 2.5 certificates
        if step >= raw * (1 - 1e-9):
            return max(step, 1.0) if integer else step
    return 10 * base


def nice_ticks(maximum: float, *, count: int = 5, integer: bool = False) -> list[float]:
    """Tick values from 0 to a round number at or above ``maximum``, about ``count`` steps."""
    maximum = float(maximum)
    if maximum <= 0 or not math.isfinite(maximum):
        return [0.0, 1.0]
    step = nice_step(maximum / max(count, 1), integer=integer)
    steps = math.ceil(maximum / step - 1e-9)
    return [round(i * step, 10) for i in range(steps + 1)]


def _tick_decimals(ticks: list[float]) -> int:
    step = ticks[1] - ticks[0] if len(ticks) > 1 else 1.0
    return next((d for d in range(4) if abs(round(step, d) - step) < 1e-9), 3)


def _numbers(values: Sequence[Number | None]) -> list[float | None]:
    out: list[float | None] = []
    for value in values:
        if value is None:
            out.append(None)
            continue
        number = float(value)
        if not math.isfinite(number) or number < 0:
            raise ValueError(f"charts draw counts, amounts and rates from zero; got {value!r}")
        out.append(number)
    return out


def _all_integer(values: list[float | None]) -> bool:
    return all(v is None or v.is_integer() for v in values)


# --- the frame ----------------------------------------------------------------------------
def _chart_id(chart_id: str, *parts: object) -> str:
    if chart_id:
        return _ID_RE.sub("-", chart_id)
    digest = hashlib.sha1("|".join(map(str, parts)).encode("utf-8"), usedforsecurity=False).hexdigest()
    return f"chart-{digest[:10]}"


def _auto_description(labels: Sequence[str], values: Sequence[float | None], *, decimals: int, unit: str) -> str:
    items = [
        f"{label}：{format_number(value, decimals=decimals, unit=unit)}"
        for label, value in zip(labels, values, strict=False)
    ]
    text = "；".join(items[:MAX_DESC_ITEMS])
    if len(items) > MAX_DESC_ITEMS:
        text += _("；另有 %(n)s 项，见旁边的数据表") % {"n": len(items) - MAX_DESC_ITEMS}
    return text


def _open(ident: str, width: float, height: float, title: str, description: str) -> list[str]:
    return [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" id="{ident}" viewBox="0 0 {width:g} {height:g}" '
        f'width="100%" preserveAspectRatio="xMidYMid meet" role="img" '
        f'aria-labelledby="{ident}-title {ident}-desc" '
        f'font-family="{esc(FONT_STACK)}" font-size="{FONT_SIZE}" fill="{INK}" '
        f'style="max-width:{width:g}px;height:auto">',
        f'<title id="{ident}-title">{esc(title)}</title>',
        f'<desc id="{ident}-desc">{esc(description)}</desc>',
    ]


def _text(x: float, y: float, text: str, *, anchor: str = "middle", extra: str = "", fill: str = "") -> str:
    colour = f' fill="{fill}"' if fill else ""
    return f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}"{colour}{extra}>{esc(text)}</text>'


def _empty(ident: str, width: float, height: float, title: str, empty_text: str) -> str:
    parts = _open(ident, width, height, title, empty_text)
    parts.append(
        f'<rect x="0.5" y="0.5" width="{width - 1:g}" height="{height - 1:g}" fill="#fafbfc" stroke="{GRID}"/>'
    )
    parts.append(_text(width / 2, height / 2, empty_text, fill=MUTED, extra=' font-size="14"'))
    parts.append("</svg>")
    return "\n".join(parts)


def _value_axis_labels(ticks: list[float], unit: str) -> list[str]:
    decimals = _tick_decimals(ticks)
    return [format_number(t, decimals=decimals, unit=unit) for t in ticks]


# --- bar chart ----------------------------------------------------------------------------
def bar_chart(
    *,
    title: str,
    labels: Sequence[str],
    values: Sequence[Number | None],
    x_label: str,
    y_label: str,
    description: str = "",
    unit: str = "",
    decimals: int = 0,
    horizontal: bool = False,
    chart_id: str = "",
    width: int = DEFAULT_WIDTH,
    height: int = 300,
    empty_text: str = "",
) -> str:
    """A bar per category, its value written on it. ``horizontal`` suits long category names
    (occupations, organisations): the bars grow to the right and names sit on the left.

    ``x_label`` names the categories and ``y_label`` the values, whichever way the bars run.
    """
    labels = [str(label) for label in labels]
    numbers = _numbers(values)
    if len(labels) != len(numbers):
        raise ValueError("a bar chart needs one value per label")
    ident = _chart_id(chart_id, "bar", title, *labels)
    if not labels or all(v is None for v in numbers):
        return _empty(ident, width, 120, title, empty_text or _("所选范围内暂无数据"))
    description = description or _auto_description(labels, numbers, decimals=decimals, unit=unit)
    ticks = nice_ticks(max(v or 0 for v in numbers), integer=_all_integer(numbers) and decimals == 0)
    if horizontal:
        return _horizontal_bars(
            ident, labels, numbers, ticks, title, description, x_label, y_label, unit, decimals, width
        )
    return _vertical_bars(
        ident, labels, numbers, ticks, title, description, x_label, y_label, unit, decimals, width, height
    )


def _vertical_bars(ident, labels, numbers, ticks, title, description, x_label, y_label, unit, decimals, width, height):
    tick_texts = _value_axis_labels(ticks, unit)
    left = 34 + max(text_width(t) for t in tick_texts)
    right, top = 16, 22
    plot_w = width - left - right
    slot = plot_w / len(labels)
    shown = [truncate(label, max_px=MAX_LABEL_PX) for label in labels]
    rotate = max(text_width(s) for s in shown) > slot - 6
    label_room = (max(text_width(s) for s in shown) * 0.65 + 14) if rotate else 20
    bottom = label_room + 30
    total_h = height + (label_room - 20)
    plot_h = total_h - top - bottom
    y_of = _scale(ticks, top + plot_h, plot_h)
    parts = _open(ident, width, total_h, title, description)
    parts += _value_axis(ticks, tick_texts, left, width - right, y_of)
    parts.append(f'<g class="bars" fill="{ACCENT}">')
    bar_w = min(56.0, slot * 0.62)
    for i, (label, value) in enumerate(zip(labels, numbers, strict=True)):
        cx = left + slot * (i + 0.5)
        if value is None:
            continue
        y = y_of(value)
        tip = f"{label}：{format_number(value, decimals=decimals, unit=unit)}"
        parts.append(
            f'<rect x="{cx - bar_w / 2:.1f}" y="{y:.1f}" width="{bar_w:.1f}" height="{top + plot_h - y:.1f}">'
            f"<title>{esc(tip)}</title></rect>"
        )
    parts.append("</g>")
    for i, value in enumerate(numbers):
        if value is not None:
            cx = left + slot * (i + 0.5)
            parts.append(_text(cx, y_of(value) - 5, format_number(value, decimals=decimals, unit=unit)))
    base = top + plot_h
    parts.append(f'<line x1="{left:.1f}" y1="{base:.1f}" x2="{width - right:.1f}" y2="{base:.1f}" stroke="{AXIS}"/>')
    parts += _category_labels(labels, shown, left, slot, base, rotate)
    parts += _axis_titles(x_label, y_label, left, width - right, top, base, total_h)
    parts.append("</svg>")
    return "\n".join(parts)


def _horizontal_bars(ident, labels, numbers, ticks, title, description, x_label, y_label, unit, decimals, width):
    tick_texts = _value_axis_labels(ticks, unit)
    shown = [truncate(label, max_px=MAX_LABEL_PX) for label in labels]
    row_h, top = 26, 30
    left = max(text_width(s) for s in shown) + 16
    last_value = format_number(max(v or 0 for v in numbers), decimals=decimals, unit=unit)
    right = max(24.0, text_width(last_value) + 10, text_width(tick_texts[-1]) / 2 + 6)
    plot_w = width - left - right
    plot_h = row_h * len(labels)
    total_h = top + plot_h + 48
    span = ticks[-1] or 1

    def x_of(value: float) -> float:
        return left + plot_w * value / span

    parts = _open(ident, width, total_h, title, description)
    for tick, text in zip(ticks, tick_texts, strict=True):
        x = x_of(tick)
        parts.append(f'<line x1="{x:.1f}" y1="{top:.1f}" x2="{x:.1f}" y2="{top + plot_h:.1f}" stroke="{GRID}"/>')
        parts.append(_text(x, top + plot_h + 16, text, fill=MUTED))
    parts.append(_text(left - 8, top - 12, x_label, anchor="end", fill=MUTED))
    parts.append(f'<g class="bars" fill="{ACCENT}">')
    bar_h = min(18.0, row_h * 0.65)
    for i, (label, value) in enumerate(zip(labels, numbers, strict=True)):
        if value is None:
            continue
        y = top + row_h * i + (row_h - bar_h) / 2
        tip = f"{label}：{format_number(value, decimals=decimals, unit=unit)}"
        parts.append(
            f'<rect x="{left:.1f}" y="{y:.1f}" width="{x_of(value) - left:.1f}" height="{bar_h:.1f}">'
            f"<title>{esc(tip)}</title></rect>"
        )
    parts.append("</g>")
    for i, (label, short, value) in enumerate(zip(labels, shown, numbers, strict=True)):
        cy = top + row_h * i + row_h / 2 + 4
        tip = f"<title>{esc(label)}</title>" if short != label else ""
        parts.append(
            f'<text x="{left - 8:.1f}" y="{cy:.1f}" text-anchor="end">{tip}{esc(short)}</text>'
            if tip
            else _text(left - 8, cy, short, anchor="end")
        )
        if value is not None:
            parts.append(_text(x_of(value) + 5, cy, format_number(value, decimals=decimals, unit=unit), anchor="start"))
    parts.append(f'<line x1="{left:.1f}" y1="{top:.1f}" x2="{left:.1f}" y2="{top + plot_h:.1f}" stroke="{AXIS}"/>')
    parts.append(_text(left + plot_w / 2, total_h - 8, y_label, fill=MUTED))
    parts.append("</svg>")
    return "\n".join(parts)


# --- line chart ---------------------------------------------------------------------------
def line_chart(
    *,
    title: str,
    labels: Sequence[str],
    series: Sequence[Series],
    x_label: str,
    y_label: str,
    description: str = "",
    unit: str = "",
    decimals: int = 0,
    chart_id: str = "",
    width: int = DEFAULT_WIDTH,
    height: int = 300,
    empty_text: str = "",
) -> str:
    """One or more lines over ordered categories (months), points marked and, while they fit,
    labelled with their values. More than one series gets a legend."""
    labels = [str(label) for label in labels]
    lines = [(s, _numbers(s.values)) for s in series]
    for s, numbers in lines:
        if len(numbers) != len(labels):
            raise ValueError(f"series {s.name!r} needs one value per label")
    ident = _chart_id(chart_id, "line", title, *labels, *(s.name for s in series))
    present = [v for _s, numbers in lines for v in numbers if v is not None]
    if not labels or not present:
        return _empty(ident, width, 120, title, empty_text or _("所选范围内暂无数据"))
    if not description:
        description = "；".join(
            f"{s.name}（{_auto_description(labels, numbers, decimals=decimals, unit=unit)}）" for s, numbers in lines
        )
    ticks = nice_ticks(max(present), integer=all(v.is_integer() for v in present) and decimals == 0)
    tick_texts = _value_axis_labels(ticks, unit)
    left = 34 + max(text_width(t) for t in tick_texts)
    right, top = 20, 34 if len(lines) > 1 else 22
    plot_w = width - left - right
    slot = plot_w / len(labels)
    shown = [truncate(label, max_px=MAX_LABEL_PX) for label in labels]
    every = max(1, math.ceil(max(text_width(s) for s in shown) / max(slot - 4, 1))) if len(labels) > 1 else 1
    rotate = every > 3
    if rotate:
        every = 1 if slot >= FONT_SIZE + 2 else math.ceil((FONT_SIZE + 2) / slot)
    label_room = (max(text_width(s) for s in shown) * 0.65 + 14) if rotate else 20
    total_h = height + (label_room - 20)
    plot_h = total_h - top - label_room - 30
    y_of = _scale(ticks, top + plot_h, plot_h)

    def x_of(i: int) -> float:
        return left + slot * (i + 0.5)

    parts = _open(ident, width, total_h, title, description)
    parts += _value_axis(ticks, tick_texts, left, width - right, y_of)
    label_values = len(labels) <= 24 and len(lines) == 1
    for index, (s, numbers) in enumerate(lines):
        colour = s.colour or SERIES_COLOURS[index % len(SERIES_COLOURS)]
        parts += _polyline(numbers, x_of, y_of, colour, s.name, labels, decimals, unit)
        if label_values:
            for i, value in enumerate(numbers):
                if value is not None:
                    parts.append(_text(x_of(i), y_of(value) - 8, format_number(value, decimals=decimals, unit=unit)))
    if len(lines) > 1:
        parts += _legend(
            [(s.name, s.colour or SERIES_COLOURS[i % len(SERIES_COLOURS)]) for i, (s, _n) in enumerate(lines)],
            width - right,
            14,
        )
    base = top + plot_h
    parts.append(f'<line x1="{left:.1f}" y1="{base:.1f}" x2="{width - right:.1f}" y2="{base:.1f}" stroke="{AXIS}"/>')
    thinned = [s if i % every == 0 else "" for i, s in enumerate(shown)]
    parts += _category_labels(labels, thinned, left, slot, base, rotate)
    parts += _axis_titles(x_label, y_label, left, width - right, top, base, total_h)
    parts.append("</svg>")
    return "\n".join(parts)


def _polyline(numbers, x_of, y_of, colour, name, labels, decimals, unit) -> list[str]:
    parts: list[str] = []
    run: list[str] = []
    for i, value in enumerate(numbers):
        if value is None:  # a gap in the data is a gap in the line, never a drop to zero
            if len(run) > 1:
                parts.append(_path(run, colour))
            run = []
            continue
        run.append(f"{x_of(i):.1f},{y_of(value):.1f}")
    if len(run) > 1:
        parts.append(_path(run, colour))
    parts.append(f'<g class="points" fill="#fff" stroke="{colour}" stroke-width="2">')
    for i, value in enumerate(numbers):
        if value is None:
            continue
        tip = f"{name} {labels[i]}：{format_number(value, decimals=decimals, unit=unit)}"
        parts.append(f'<circle cx="{x_of(i):.1f}" cy="{y_of(value):.1f}" r="3.5"><title>{esc(tip)}</title></circle>')
    parts.append("</g>")
    return parts


def _path(points: list[str], colour: str) -> str:
    return f'<polyline points="{" ".join(points)}" fill="none" stroke="{colour}" stroke-width="2.2"/>'


def _legend(items: list[tuple[str, str]], right: float, y: float) -> list[str]:
    parts, x = [], right
    for name, colour in reversed(items):
        label = truncate(name, max_px=120)
        x -= text_width(label) + 4
        parts.append(_text(x, y + 4, label, anchor="start"))
        x -= 22
        parts.append(
            f'<line x1="{x:.1f}" y1="{y:.1f}" x2="{x + 16:.1f}" y2="{y:.1f}" stroke="{colour}" stroke-width="3"/>'
        )
        x -= 14
    return parts


# --- shared pieces ------------------------------------------------------------------------
def _scale(ticks: list[float], base: float, plot_h: float):
    span = ticks[-1] or 1

    def y_of(value: float) -> float:
        return base - plot_h * value / span

    return y_of


def _value_axis(ticks, tick_texts, left, right, y_of) -> list[str]:
    parts = []
    for tick, text in zip(ticks, tick_texts, strict=True):
        y = y_of(tick)
        parts.append(f'<line x1="{left:.1f}" y1="{y:.1f}" x2="{right:.1f}" y2="{y:.1f}" stroke="{GRID}"/>')
        parts.append(_text(left - 6, y + 4, text, anchor="end", fill=MUTED))
    return parts


def _category_labels(labels, shown, left, slot, base, rotate) -> list[str]:
    parts = []
    for i, (label, short) in enumerate(zip(labels, shown, strict=True)):
        if not short:
            continue
        cx = left + slot * (i + 0.5)
        tip = f"<title>{esc(label)}</title>" if short != label else ""
        if rotate:
            parts.append(
                f'<text x="{cx:.1f}" y="{base + 14:.1f}" text-anchor="end" '
                f'transform="rotate(-40 {cx:.1f} {base + 14:.1f})">{tip}{esc(short)}</text>'
            )
        else:
            parts.append(f'<text x="{cx:.1f}" y="{base + 16:.1f}" text-anchor="middle">{tip}{esc(short)}</text>')
    return parts


def _axis_titles(x_label, y_label, left, right, top, base, total_h) -> list[str]:
    middle_y = top + (base - top) / 2
    return [
        _text((left + right) / 2, total_h - 8, x_label, fill=MUTED),
        f'<text x="14" y="{middle_y:.1f}" text-anchor="middle" fill="{MUTED}" '
        f'transform="rotate(-90 14 {middle_y:.1f})">{esc(y_label)}</text>',
    ]
