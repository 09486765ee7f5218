"""The one error type for bad input: it carries where the problem is and what is allowed."""

from __future__ import annotations

import difflib
from collections.abc import Iterable


class InputError(Exception):
    """Bad input from a person or another tool. The CLI prints it and exits with code 2."""

    def __init__(self, message: str, *, file: str | None = None, where: str | None = None):
        self.message = message
        self.file = file
        self.where = where  # "line 3, column 7" or a field path such as "load.peak_factor"
        super().__init__(str(self))

    def __str__(self) -> str:
        prefix = ": ".join(part for part in (self.file, self.where) if part)
        return f"{prefix}: {self.message}" if prefix else self.message


def close_names(name: str, known: Iterable[str], n: int = 4) -> list[str]:
    """Known names that look like `name`, best first (for 'did you mean' hints)."""
    known = list(known)
    hits = difflib.get_close_matches(name, known, n=n, cutoff=0.5)
    if len(hits) < n:  # also match on the part after the vendor prefix
        tail = name.rsplit("/", 1)[-1]
        tails = {k.rsplit("/", 1)[-1]: k for k in known}
        for t in difflib.get_close_matches(tail, list(tails), n=n, cutoff=0.6):
            if tails[t] not in hits:
                hits.append(tails[t])
    return hits[:n]
