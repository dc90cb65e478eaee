"""Charts drawn on the server as inline SVG: they work without JavaScript and under the CSP (colours come from
classes in app.css, never style attributes). Each chart has a title and description and sits next to the table
that is its accessible equivalent; every bar carries its number as text, so colour is never the only signal.

Only geometry is worked out here; templates/reports/_chart.html draws it.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

WIDTH = 640
LABEL_WIDTH = 190
ROW_HEIGHT = 26
BAR_HEIGHT = 18
PLOT_HEIGHT = 200
AXIS_GAP = 40


@dataclass(frozen=True)
class Rect:
    x: float
    y: float
    width: float
    height: float
    css: str
    title: str


@dataclass(frozen=True)
class Text:
    x: float
    y: float
    text: str
    anchor: str = "start"


@dataclass(frozen=True)
class Chart:
    id: str
    title: str
    desc: str
    width: int
    height: int
    rects: list[Rect]
    texts: list[Text]
    legend: list[tuple[str, str]]  # (css, label)


def bar_chart(chart_id: str, title: str, desc: str, bars: Sequence[tuple[str, float | None, str]],
              maximum: float | None = None, css: str = "reports-chart__bar") -> Chart:
    """Horizontal bars: (label, value, value as text). ``maximum`` fixes the scale (100 for percentages)."""
    top = maximum or max((value or 0 for _, value, _ in bars), default=0) or 1
    plot = WIDTH - LABEL_WIDTH - 70
    rects, texts = [], []
    for i, (label, value, shown) in enumerate(bars):
        y = i * ROW_HEIGHT + 4
        width = plot * (value or 0) / top
        texts.append(Text(LABEL_WIDTH - 8, y + BAR_HEIGHT - 4, label, "end"))
        rects.append(Rect(LABEL_WIDTH, y, round(width, 1), BAR_HEIGHT, css, f"{label}: {shown}"))
        texts.append(Text(LABEL_WIDTH + round(width, 1) + 6, y + BAR_HEIGHT - 4, shown))
    return Chart(chart_id, title, desc, WIDTH, max(len(bars), 1) * ROW_HEIGHT + 8, rects, texts, [])


def stacked_columns(chart_id: str, title: str, desc: str, columns: Sequence[tuple[str, Sequence[int]]],
                    series: Sequence[tuple[str, str]]) -> Chart:
    """Vertical columns stacked by series: (column label, count per series); series are (css, label)."""
    top = max((sum(counts) for _, counts in columns), default=0) or 1
    slot = (WIDTH - AXIS_GAP) / max(len(columns), 1)
    every = max(1, round(len(columns) / 12))  # label at most about a dozen columns
    rects, texts = [], [Text(AXIS_GAP - 6, 14, str(top), "end"), Text(AXIS_GAP - 6, PLOT_HEIGHT + 10, "0", "end")]
    for i, (label, counts) in enumerate(columns):
        x = AXIS_GAP + i * slot + slot * 0.15
        base: float = PLOT_HEIGHT + 10
        for (css, name), count in zip(series, counts, strict=False):
            if not count:
                continue
            height = PLOT_HEIGHT * count / top
            base -= height
            rects.append(Rect(round(x, 1), round(base, 1), round(slot * 0.7, 1), round(height, 1), css,
                              f"{label}: {count} {name.lower()}"))
        if i % every == 0:
            texts.append(Text(round(x + slot * 0.35, 1), PLOT_HEIGHT + 28, label, "middle"))
    return Chart(chart_id, title, desc, WIDTH, PLOT_HEIGHT + 40, rects, texts, list(series))
