"""The operations page's 7-day chart as plain SVG shapes, drawn on the server.

The page's content security policy allows no inline script, and the chart needs none: bars and
lines are computed here and the template writes them as SVG elements (presentation attributes,
not style attributes, so the strict style-src holds too).
"""

from __future__ import annotations

from dataclasses import dataclass

from ops.selectors import Day, QueueLevel

WIDTH, HEIGHT = 720, 240
LEFT, RIGHT, TOP, BOTTOM = 44, 12, 12, 36
REFUSAL_COLOUR, CONFIDENCE_COLOUR = "#6f42c1", "#0d6efd"


@dataclass(frozen=True)
class Rect:
    x: float
    y: float
    width: float
    height: float
    colour: str
    title: str


@dataclass(frozen=True)
class Line:
    points: str
    colour: str
    dots: list[tuple[float, float, str]]


def _y(share: float) -> float:
    """0..1 to the plot's vertical coordinate (1 at the top)."""
    return round(TOP + (1 - share) * (HEIGHT - TOP - BOTTOM), 1)


def _line(days: list[Day], values: list[float | None], colour: str, slot: float, label: str) -> Line:
    dots = [
        (round(LEFT + slot * (i + 0.5), 1), _y(v), f"{day.day:%a %d %b}: {label} {v:.0%}")
        for i, (day, v) in enumerate(zip(days, values, strict=True))
        if v is not None
    ]
    return Line(points=" ".join(f"{x},{y}" for x, y, _ in dots), colour=colour, dots=dots)


def week_chart(days: list[Day], levels: list[QueueLevel]) -> dict:
    """Stacked bars of each day's level mix (shares), with refusal rate and mean confidence lines."""
    plot_width = WIDTH - LEFT - RIGHT
    slot = plot_width / max(len(days), 1)
    bar = slot * 0.6
    colours = {row.level: row.colour for row in levels}
    names = {row.level: row.name for row in levels}
    bars: list[Rect] = []
    labels = []
    for i, day in enumerate(days):
        x = round(LEFT + slot * i + (slot - bar) / 2, 1)
        base = 0.0
        for level in sorted(day.levels):
            share = day.levels[level] / day.cases
            bars.append(
                Rect(
                    x=x,
                    y=_y(base + share),
                    width=round(bar, 1),
                    height=round(_y(base) - _y(base + share), 1),
                    colour=colours.get(level, "#6c757d"),
                    title=f"{day.day:%a %d %b}: level {level} ({names.get(level, level)}) {day.levels[level]} "
                    f"of {day.cases} ({share:.0%})",
                )
            )
            base += share
        labels.append((round(LEFT + slot * (i + 0.5), 1), f"{day.day:%a %d}", day.cases))
    return {
        "width": WIDTH,
        "height": HEIGHT,
        "left": LEFT,
        "right_edge": WIDTH - RIGHT,
        "axis_y": HEIGHT - BOTTOM,
        "label_y": HEIGHT - BOTTOM + 16,
        "count_y": HEIGHT - BOTTOM + 30,
        "grid": [(_y(s), f"{s:.0%}") for s in (0, 0.25, 0.5, 0.75, 1)],
        "bars": bars,
        "labels": labels,
        "refusal": _line(days, [d.refusal_rate for d in days], REFUSAL_COLOUR, slot, "refused"),
        "confidence": _line(days, [d.mean_confidence for d in days], CONFIDENCE_COLOUR, slot, "mean top-1 confidence"),
        "legend": [(row.level, row.name, row.colour) for row in levels],
        # The same numbers as a table, one count per legend level (templates cannot index a dict).
        "table": [(day, [day.levels.get(row.level, 0) for row in levels]) for day in days],
        "refusal_colour": REFUSAL_COLOUR,
        "confidence_colour": CONFIDENCE_COLOUR,
    }
