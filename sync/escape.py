"""Make tracker text inert before it goes back into a tracker.

Titles, names and comment text come from anyone who can open an issue. Put
into an alert as-is they could mention people (``@team``), inject markup or a
forged forewarn marker, hide text with right-to-left overrides or flood the
comment. Every untrusted value passes through ``markdown()`` or ``wiki()``.
"""

from __future__ import annotations

import re
import unicodedata

MAX_CHARS = 200
_BIDI = dict.fromkeys(
    [0x200E, 0x200F, 0x061C, *range(0x202A, 0x202F), *range(0x2066, 0x206A)], None
)
_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|~>])")
_WIKI_SPECIAL = re.compile(r"([\\{}\[\]|*_+\-^~?!#])")
ZWSP = "\u200b"
_REFERENCE = re.compile(r"(#|\bGH-)(?=\d)", re.IGNORECASE)


def plain(text: str, limit: int = MAX_CHARS) -> str:
    """One line, no control or direction characters, at most ``limit`` characters."""
    cleaned = text
    # Printable text holds no control, format (direction marks included), private-use
    # or surrogate character: only the rest is looked at character by character.
    if not text.isprintable():
        cleaned = "".join(
            " " if char in "\r\n\t" else char
            for char in text.translate(_BIDI)
            if char in "\r\n\t" or unicodedata.category(char) not in ("Cc", "Cf", "Co", "Cs")
            or char == ZWSP
        )
    cleaned = " ".join(cleaned.split())
    if len(cleaned) > limit:
        cleaned = cleaned[: limit - 1].rstrip() + "…"
    return cleaned


def markdown(text: str, limit: int = MAX_CHARS) -> str:
    """GitHub-flavoured Markdown: no mentions, no HTML, no formatting, no references."""
    # GitHub links ``#12``, ``GH-12`` and ``owner/repo#12`` in the rendered text, where a
    # backslash is already gone, and adds a "mentioned this" event to each issue named:
    # a zero-width space keeps them text (Renovate's sanitizeMarkdown does the same).
    value = _REFERENCE.sub(r"\1" + ZWSP, plain(text, limit))
    value = value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    value = _MD_SPECIAL.sub(r"\\\1", value)
    # A backslash does not stop a mention or an autolink on GitHub; a zero-width space does.
    return value.replace("@", "@" + ZWSP).replace("://", ":" + ZWSP + "//")


def wiki(text: str, limit: int = MAX_CHARS) -> str:
    """Jira wiki markup: no [~mentions], no {macros}, no formatting, no links."""
    value = _WIKI_SPECIAL.sub(r"\\\1", plain(text, limit))
    # Jira links a bare https://… (a title, a sprint's name) as GitHub does: broken alike.
    return value.replace("@", "@" + ZWSP).replace("://", ":" + ZWSP + "//")
