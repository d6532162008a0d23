"""Comment bodies as GitHub takes them: at most 65,536 characters, the marker kept."""

from __future__ import annotations

#: GitHub refuses a comment body longer than this.
COMMENT_LIMIT = 65_536
TRUNCATION_NOTE = (
    "\n\n_[truncated by forewarn: GitHub keeps at most 65,536 characters in a comment]_\n"
)


def _utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def fit_comment(body: str, tag: str | None) -> str:
    """Cut a body to GitHub's limit with a visible note, keeping the marker at the end.

    Counted in UTF-16 code units, the stricter of the ways the limit may be counted.
    """
    if _utf16_len(body) <= COMMENT_LIMIT:
        return body
    rest = body.replace(tag, "") if tag else body
    suffix = TRUNCATION_NOTE + (tag or "")
    room = COMMENT_LIMIT - _utf16_len(suffix)
    cut = rest.encode("utf-16-le")[: 2 * room].decode("utf-16-le", errors="ignore")
    return cut.rstrip() + suffix
