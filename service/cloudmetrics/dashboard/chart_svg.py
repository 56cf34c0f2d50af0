"""The chart drawn on the server as SVG: the page shows data before (or without) any script.

Contiguous runs of non-empty buckets become one path each, so empty buckets are gaps, as in
the interactive chart that replaces it. Several lines share one value axis; each gets the
colour of its place in the legend (series-0, series-1, ...).
"""

from __future__ import annotations

import math
import sys
from dataclasses import dataclass, field

from cloudmetrics.dashboard.buckets import Line

WIDTH = 800
HEIGHT = 320
# LEFT fits a y label as long as "-1.798e+308".
LEFT, RIGHT, TOP, BOTTOM = 84, 12, 12, 28
X_TICKS = 6
Y_TICKS = 5


@dataclass(frozen=True, slots=True)
class Tick:
    position: float
    label: str


# Distinct colours (styles.css .series-N); more lines than this reuse them in order.
PALETTE_SIZE = 8


@dataclass(frozen=True, slots=True)
class LineGeometry:
    colour: int
    paths: list[str] = field(default_factory=list[str])
    # Lone buckets (no neighbour to draw a line to) are drawn as dots.
    dots: list[tuple[float, float]] = field(default_factory=list[tuple[float, float]])


@dataclass(frozen=True, slots=True)
class ChartGeometry:
    width: int = WIDTH
    height: int = HEIGHT
    lines: list[LineGeometry] = field(default_factory=list[LineGeometry])
    x_ticks: list[Tick] = field(default_factory=list[Tick])
    y_ticks: list[Tick] = field(default_factory=list[Tick])
    plot_left: int = LEFT
    plot_right: int = WIDTH - RIGHT
    plot_top: int = TOP
    plot_bottom: int = HEIGHT - BOTTOM


# Spans and paddings are computed on halves of the values: near ±1.8e308 (float's largest) a
# difference or a padding would overflow to infinity and every coordinate would be `nan`.
_LARGEST = sys.float_info.max


def _value_range(values: list[float]) -> tuple[float, float]:
    low, high = min(values), max(values)
    # A flat line gets a tenth of its value either side; otherwise 5% of the span, (high - low)
    # * 0.05 written on halves.
    flat = math.isclose(low, high)
    pad = (abs(low) * 0.1 or 1.0) if flat else (high / 2 - low / 2) * 0.1
    return max(low - pad, -_LARGEST), min(high + pad, _LARGEST)


def _between(low: float, high: float, fraction: float) -> float:
    """The value `fraction` of the way from low to high, without forming high - low."""
    return low * (1 - fraction) + high * fraction


def _label(value: float) -> str:
    return f"{value:.4g}"


def chart_geometry(lines: list[Line]) -> ChartGeometry:
    geometry = ChartGeometry()
    if not lines or not lines[0].buckets:
        return geometry
    buckets = lines[0].buckets
    values = [bucket.value for line in lines for bucket in line.buckets if bucket.value is not None]
    plot_width = geometry.plot_right - geometry.plot_left
    plot_height = geometry.plot_bottom - geometry.plot_top
    last = max(len(buckets) - 1, 1)

    def x_of(index: int) -> float:
        return round(geometry.plot_left + plot_width * index / last, 1)

    for tick in range(X_TICKS):
        index = round(last * tick / (X_TICKS - 1))
        if index < len(buckets):
            label = buckets[index].start.strftime("%H:%M" if last < 300 else "%m-%d %H:%M")
            geometry.x_ticks.append(Tick(x_of(index), label))
    if not values:
        return geometry
    low, high = _value_range(values)

    half_span = high / 2 - low / 2

    def y_of(value: float) -> float:
        return round(geometry.plot_bottom - plot_height * ((value / 2 - low / 2) / half_span), 1)

    for tick in range(Y_TICKS):
        value = _between(low, high, tick / (Y_TICKS - 1))
        geometry.y_ticks.append(Tick(y_of(value), _label(value)))
    for number, line in enumerate(lines):
        drawn = LineGeometry(colour=number % PALETTE_SIZE)
        run: list[tuple[float, float]] = []
        for index, bucket in enumerate([*line.buckets, None]):
            if bucket is not None and bucket.value is not None:
                run.append((x_of(index), y_of(bucket.value)))
                continue
            if len(run) == 1:
                drawn.dots.append(run[0])
            elif run:
                drawn.paths.append("M" + " L".join(f"{x},{y}" for x, y in run))
            run = []
        geometry.lines.append(drawn)
    return geometry
