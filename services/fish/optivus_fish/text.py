"""Text checks and sentence splitting: long text is spoken, and streamed,
one sentence (or piece of at most `max_chars`) at a time."""

from __future__ import annotations

import re

from optivus_common.errors import InvalidArgument

_LINES = re.compile(r"\s*\n+\s*")
# A sentence ends at . ! ? ; (and CJK forms), with any closing quotes or
# brackets, where whitespace or the line's end follows ("3.14" does not end one).
_SENTENCE = re.compile(r".*?[.!?…。！？;；]+[\"'”’)\]]*(?=\s|$)|.+$")
_SPEAKABLE = re.compile(r"\w")


def check_text(text: str, max_chars: int) -> str:
    # Length first: a huge text is refused before any other work.
    if len(text) > max_chars:
        raise InvalidArgument(f"the text is {len(text)} characters long; this server speaks at most {max_chars}",
                              reason="TEXT_TOO_LONG", length=len(text), limit=max_chars)
    text = text.strip()
    if not _SPEAKABLE.search(text):
        raise InvalidArgument("the text is empty: give something to say", reason="TEXT_EMPTY")
    return text


def _cut(piece: str, max_chars: int) -> list[str]:
    out = []
    while len(piece) > max_chars:
        window = piece[:max_chars]
        cut = max(window.rfind(", "), window.rfind("; "), window.rfind(": "))
        if cut < max_chars // 3:
            cut = window.rfind(" ")
        if cut <= 0:
            cut = max_chars - 1
        out.append(piece[:cut + 1].strip())
        piece = piece[cut + 1:].strip()
    if piece:
        out.append(piece)
    return out


def split_sentences(text: str, max_chars: int) -> list[str]:
    """Sentences in order, each at most max_chars long. Pieces with nothing
    to say (stray punctuation) are joined to the piece before them."""
    pieces: list[str] = []
    raws = (m.group(0) for line in _LINES.split(text) for m in _SENTENCE.finditer(line))
    for raw in raws:
        raw = raw.strip()
        if not raw:
            continue
        if not _SPEAKABLE.search(raw) and pieces:
            pieces[-1] = f"{pieces[-1]} {raw}"
            continue
        pieces.extend(_cut(raw, max_chars))
    return [p for p in pieces if _SPEAKABLE.search(p)]
