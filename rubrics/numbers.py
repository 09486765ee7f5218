"""Numbers and money as text: the one formatting module every renderer uses (DESIGN §10).

The same rules hold in every language; only the words for the special values differ.
"""

from __future__ import annotations

_SPECIAL = {"en": {"nan": "n/a", "never": "never"}, "zh": {"nan": "不适用", "never": "永不"}}


def _finite(x: float, lang: str = "en") -> str | None:
    """The text for NaN and infinities (None for a finite number)."""
    words = _SPECIAL.get(lang, _SPECIAL["en"])
    if x != x:
        return words["nan"]
    if abs(x) == float("inf"):
        return words["never"] if x > 0 else "-"
    return None


def money(x: float, currency: str = "", lang: str = "en") -> str:
    """Money with enough digits for tiny per-call amounts."""
    if (special := _finite(x, lang)) is not None:
        return special
    digits = 0 if x == 0 else 2 if abs(x) >= 1 else 4 if abs(x) >= 0.01 else 6
    return f"{x:,.{digits}f}" + (f" {currency}" if currency else "")


def amount(x: float, digits: int = 0, lang: str = "en") -> str:
    """A count or duration: thousands separators, `never` for infinity."""
    special = _finite(x, lang)
    return special if special is not None else f"{x:,.{digits}f}"


def compact(x: float) -> str:
    """A large amount in few characters: 1.2M, 35.4k, 800 (tables and charts are narrow)."""
    if (special := _finite(x)) is not None:
        return special
    ax = abs(x)
    if ax >= 1e9:
        return f"{x / 1e9:.1f}B"
    if ax >= 1e6:
        return f"{x / 1e6:.1f}M"
    if ax >= 1e4:
        return f"{x / 1e3:.0f}k"
    if ax >= 1e3:
        return f"{x / 1e3:.1f}k"
    return f"{x:.0f}"


def number(value: object, spec: str, lang: str = "en") -> str:
    """`value` formatted by a format spec: `money` and `amount`, `amount1`, `amount2`... (digits)
    name the rules above, anything else is a Python format spec; a missing value is "—". A record
    stores non-finite floats as the strings "inf", "-inf" and "nan"; they are read back as numbers
    here."""
    if value is None:
        return "—"
    if isinstance(value, str) and value in ("inf", "-inf", "nan"):
        value = float(value)
    if spec == "money" and isinstance(value, (int, float)):
        return money(float(value), lang=lang)
    digits = spec.removeprefix("amount")
    if spec.startswith("amount") and (digits.isdigit() or not digits) \
            and isinstance(value, (int, float)):
        return amount(float(value), int(digits or 0), lang)
    if isinstance(value, float) and spec and (special := _finite(value, lang)) is not None:
        return special
    return format(value, spec)
