"""A DataTable that never keeps cells drawn at their columns' old widths.

Textual 8's DataTable measures new rows' columns in its idle handler, but its cell and row render
caches are keyed by an update count that the measuring does not change. A table painted between
`add_row` and that idle pass (a busy machine, a list filled from a worker) kept its rows cut to
the header's widths (`2026-1  Suppo  GO WITH`) until the next change: the flaky home snapshots,
and what a user saw on a loaded laptop. After a pass that measured anything, this one drops those
caches and repaints.
"""

from __future__ import annotations

from textual import events
from textual.widgets import DataTable


class MeasuredTable(DataTable):
    """DataTable whose cells are redrawn once their columns have been measured."""

    async def _on_idle(self, event: events.Idle) -> None:
        # DataTable exposes no hook after measuring; these are the two flags its idle pass reads.
        measuring = self._require_update_dimensions or bool(self._updated_cells)
        await super()._on_idle(event)
        if measuring:
            self._clear_caches()
            self.refresh()
