"""A line plot of straight lines (monthly cost and value against volume) in half-block characters.

Each terminal cell holds two vertical points (upper half ▀, lower half ▄), which doubles the
vertical resolution without Braille glyphs that some terminals draw poorly.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from rich.style import Style
from rich.text import Text
from textual.widget import Widget

from rubrics.numbers import compact

Y_LABEL_WIDTH = 10


@dataclass(frozen=True)
class Line:
    label: str
    intercept: float
    slope: float
    color: str

    def at(self, x: float) -> float:
        return self.intercept + self.slope * x


@dataclass(frozen=True)
class Mark:
    x: float
    label: str


class VolumePlot(Widget):
    """Straight lines over x in [0, x_max], with vertical marks (current volume, break-even)."""

    DEFAULT_CSS = """
    VolumePlot { height: 12; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.lines: list[Line] = []
        self.marks: list[Mark] = []
        self.x_max = 1.0
        self.x_label = ""

    def show(self, lines: list[Line], marks: list[Mark], x_max: float, x_label: str) -> None:
        """Replace the plot's data."""
        self.lines, self.marks, self.x_max, self.x_label = lines, marks, x_max, x_label
        self.refresh()

    def render(self) -> Text:
        if not self.lines:
            return Text("")
        width = max(10, self.size.width - Y_LABEL_WIDTH - 1)
        rows = max(3, self.size.height - 3)  # x axis, x labels, legend
        xs = [self.x_max * i / (width - 1) for i in range(width)]
        ends = [0.0] + [ln.at(x) for ln in self.lines for x in (0.0, self.x_max)]
        y_lo, y_hi = min(ends), max(ends)
        span = (y_hi - y_lo) or 1.0
        half_rows = rows * 2
        # grid[r][c] holds the colors of the upper and lower half of a cell
        grid: list[list[list[str | None]]] = [[[None, None] for _ in range(width)]
                                              for _ in range(rows)]
        for ln in self.lines:
            for c, x in enumerate(xs):
                h = round((ln.at(x) - y_lo) / span * (half_rows - 1))
                r, half = divmod(half_rows - 1 - h, 2)
                grid[r][c][half] = ln.color
        mark_cols = {}
        for m in self.marks:
            if math.isfinite(m.x) and 0 <= m.x <= self.x_max:
                mark_cols[round(m.x / self.x_max * (width - 1))] = m.label
        out = Text(no_wrap=True, overflow="crop")
        for r in range(rows):
            y = y_hi - span * r / max(1, rows - 1)
            label = compact(y) if r in (0, rows - 1) or r == rows // 2 else ""
            out.append(f"{label:>{Y_LABEL_WIDTH}}│", "dim")
            for c in range(width):
                top, bottom = grid[r][c]
                if top and bottom:
                    out.append("▀", Style(color=top, bgcolor=bottom))
                elif top:
                    out.append("▀", top)
                elif bottom:
                    out.append("▄", bottom)
                elif c in mark_cols:
                    out.append("┊", "dim")
                else:
                    out.append(" ")
            out.append("\n")
        axis = ["─"] * width
        for c in mark_cols:
            axis[c] = "┴"
        out.append(" " * Y_LABEL_WIDTH + "└" + "".join(axis) + "\n", "dim")
        right = compact(self.x_max)
        middle = self.x_label.center(max(0, width - 1 - len(right)))
        out.append(" " * (Y_LABEL_WIDTH + 1) + ("0" + middle + right)[:width] + "\n", "dim")
        legend = Text(" " * (Y_LABEL_WIDTH + 1))
        for ln in self.lines:
            legend.append("▄▄ ", ln.color)
            legend.append(f"{ln.label}   ")
        for m in self.marks:
            if math.isfinite(m.x):
                legend.append(f"┊ {m.label} {compact(m.x)}   ", "dim")
        out.append(legend)
        return out
