"""The base of each screen's command-palette provider: entries are (name, callback, key)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from textual.command import DiscoveryHit, Hit, Hits, Provider

Entry = tuple[str, Callable[[], Any], str]


class ScreenCommands(Provider):
    """Lists a screen's actions; subclasses say which (the palette shows the key as help)."""

    def entries(self) -> list[Entry]:
        raise NotImplementedError

    async def discover(self) -> Hits:
        for name, run, key in self.entries():
            yield DiscoveryHit(name, run, help=key)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for name, run, key in self.entries():
            if (score := matcher.match(name)) > 0:
                yield Hit(score, matcher.highlight(name), run, help=key)
