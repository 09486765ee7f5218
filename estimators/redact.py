"""Finding and masking API keys in text, so a key never reaches a record, a log or a message.

The patterns are the shapes vendors publish for their keys (OpenAI/DeepSeek/Moonshot `sk-…`,
Anthropic `sk-ant-…`, Google `AIza…`, AWS `AKIA…`, GitHub, Hugging Face, Slack, bearer tokens) and
`NAME_KEY=value` assignments as found in environment dumps. A false positive costs a user one
rephrasing; a false negative leaks a key, so the patterns lean wide.
"""

from __future__ import annotations

import re

MASK = "[redacted]"

_PATTERNS: list[tuple[str, re.Pattern[str]]] = [
    ("an Anthropic API key", re.compile(r"\bsk-ant-[A-Za-z0-9_\-]{8,}")),
    ("an API key (sk-…)", re.compile(r"\bsk-[A-Za-z0-9_\-]{8,}")),
    ("a Google API key", re.compile(r"\bAIza[0-9A-Za-z_\-]{30,}")),
    ("an AWS access key", re.compile(r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b")),
    ("a GitHub token", re.compile(r"\b(?:gh[pousr]_[A-Za-z0-9]{20,}|github_pat_[A-Za-z0-9_]{20,})")),
    ("a Hugging Face token", re.compile(r"\bhf_[A-Za-z0-9]{20,}")),
    ("a Slack token", re.compile(r"\bxox[abposr]-[A-Za-z0-9\-]{10,}")),
    ("a private key", re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----")),
    ("a bearer token", re.compile(r"(?i)\bbearer\s+[A-Za-z0-9_\-\.=]{16,}")),
    ("a secret assignment",
     re.compile(r"(?i)\b[A-Z0-9_]*(?:API_?KEY|SECRET|TOKEN|PASSWORD|PASSWD)[A-Z0-9_]*\s*[=:]\s*"
                r"[\"']?[^\s\"']{8,}")),
    ("a password-shadow line", re.compile(r"(?m)^[a-z_][a-z0-9_\-]*:\$[0-9a-z]+\$[^:\s]+:")),
]


def find_secret(text: str) -> str | None:
    """What kind of key-shaped string `text` holds ("an API key (sk-…)"), or None."""
    for kind, pattern in _PATTERNS:
        if pattern.search(text):
            return kind
    return None


def mask_secrets(text: str, *known: str | None) -> str:
    """`text` with the given secrets and every key-shaped string replaced by [redacted].

    Mask before cutting a text short: a cut can leave a key's prefix that no pattern matches.
    """
    for secret in known:
        if secret:
            text = text.replace(secret, MASK)
    for _kind, pattern in _PATTERNS:
        text = pattern.sub(MASK, text)
    return text
