"""A tornado chart drawn with block characters: one bar per input, from NMB at low to NMB at high."""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual.widget import Widget

from rubrics.numbers import compact
from tui.plain import clean

LABEL_WIDTH = 24
FIGURE_WIDTH = 16  # " -123k .. 1.2M"


@dataclass(frozen=True)
class Bar:
    label: str
    low: float  # NMB with the input at its low end
    high: float  # NMB with the input at its high end


class Tornado(Widget):
    """Bars around a base value (the point NMB): red where the input lowers it, green above."""

    DEFAULT_CSS = """
    Tornado { height: auto; min-height: 2; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.bars: list[Bar] = []
        self.base = 0.0

    def show(self, bars: list[Bar], base: float) -> None:
        """Replace the chart's data (widest bar first, as the core ranks them)."""
        self.bars, self.base = bars, base
        self.styles.height = max(2, len(bars) + 1)
        self.refresh(layout=True)

    def render(self) -> Text:
        if not self.bars:
            return Text("")
        width = max(10, self.size.width - LABEL_WIDTH - FIGURE_WIDTH - 2)
        ends = [self.base] + [x for b in self.bars for x in (b.low, b.high)]
        lo, hi = min(ends), max(ends)
        span = (hi - lo) or 1.0

        def col(x: float) -> int:
            return round((x - lo) / span * (width - 1))

        base_col = col(self.base)
        out = Text(no_wrap=True, overflow="ellipsis")
        axis = [" "] * width
        axis[base_col] = "┴"
        out.append(" " * (LABEL_WIDTH + 1) + "".join(axis) + f" {compact(self.base)}\n", "dim")
        for i, b in enumerate(self.bars):
            a, z = sorted((col(b.low), col(b.high)))
            cells = Text(" " * a)
            for c in range(a, z + 1):
                # left of the base the input costs money, right of it the input earns
                cells.append("█", "red" if c < base_col else "green" if c > base_col else "bold")
            cells.append(" " * (width - z - 1))
            out.append(f"{clean(b.label, one_line=True)[:LABEL_WIDTH]:<{LABEL_WIDTH}} ")
            out.append(cells)
            out.append(f" {compact(b.low)} .. {compact(b.high)}"[:FIGURE_WIDTH + 1])
            if i < len(self.bars) - 1:
                out.append("\n")
        return out
