"""Charts drawn on the server: the geometry of horizontal bar charts, as plain data.

The template (`_charts.html`) turns a `BarChart` into SVG; labels go through
the template engine, so nothing a caller said can reach the markup unescaped.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

ROW_HEIGHT = 22
BAR_HEIGHT = 16
LABEL_WIDTH = 150
BAR_WIDTH = 220
VALUE_WIDTH = 44


@dataclass(frozen=True, slots=True)
class Bar:
    """One row: the label, its count, and where the bar ends (SVG units)."""

    key: str
    label: str
    count: int
    y: int
    width: int


@dataclass(frozen=True, slots=True)
class BarChart:
    """A chart of counts, biggest first; `height` and `width` are its SVG size."""

    bars: tuple[Bar, ...]
    width: int
    height: int
    total: int
    label_width: int = LABEL_WIDTH
    bar_height: int = BAR_HEIGHT


def bar_chart(
    counts: dict[str, int], *, label: Callable[[str], str], order: Sequence[str] = ()
) -> BarChart:
    """Bars for `counts` (the keys in `order` first, then any other, by count), scaled to the
    largest; an empty chart has no bars."""
    keys = [k for k in order if counts.get(k)] + sorted(
        (k for k in counts if k not in order and counts[k]), key=lambda k: (-counts[k], k)
    )
    top = max((counts[k] for k in keys), default=0)
    bars = tuple(
        Bar(
            key=k,
            label=label(k),
            count=counts[k],
            y=i * ROW_HEIGHT,
            # A bar of at least 2 units, so a single call still shows.
            width=max(2, round(BAR_WIDTH * counts[k] / top)),
        )
        for i, k in enumerate(keys)
    )
    return BarChart(
        bars=bars,
        width=LABEL_WIDTH + BAR_WIDTH + VALUE_WIDTH,
        height=max(ROW_HEIGHT, len(bars) * ROW_HEIGHT),
        total=sum(counts[k] for k in keys),
    )
