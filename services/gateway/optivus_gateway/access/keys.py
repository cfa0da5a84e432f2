"""API keys: who may call the gateway, by any door.

Keys come from OPTIVUS_GATEWAY_API_KEYS (comma separated) and from the
file OPTIVUS_GATEWAY_API_KEYS_FILE (one per line, `#` starts a comment).
Each entry is `KEY` or `NAME:KEY`; a file line may add its own limits,
`NAME:KEY concurrent=4 rate=120`. The name (else a digest of the key) is
what logs show and what owns uploads; a key itself is never logged.
No key configured at all: the gateway is open, every caller is
"anonymous" and shares the default limits (for local use)."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

MIN_KEY_CHARS = 16
_NAME = re.compile(r"[A-Za-z0-9_.@-]{1,64}")
_KEY = re.compile(r"[\x21-\x7e]+")  # printable ASCII, no spaces


class Unauthorized(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class Principal:
    """Who is calling: `id` is safe to log and owns uploads."""

    id: str
    max_concurrent: int
    rate_per_minute: int


def _digest(key: str) -> bytes:
    return hashlib.sha256(key.encode()).digest()


def _parse(entry: str, where: str, concurrent: int, rate: int) -> tuple[str, Principal]:
    head, *options = entry.split()
    name, sep, key = head.partition(":")
    if not sep:
        name, key = "", head
    if not _KEY.fullmatch(key) or len(key) < MIN_KEY_CHARS:
        raise ValueError(f"{where}: an API key must be at least {MIN_KEY_CHARS} printable characters without spaces")
    if name and not _NAME.fullmatch(name):
        raise ValueError(f"{where}: a key's name may hold letters, digits and _.@- (at most 64)")
    for option in options:
        field, _, value = option.partition("=")
        if field not in ("concurrent", "rate") or not value.isdigit():
            raise ValueError(f"{where}: unknown option {option!r} (expected concurrent=N or rate=N)")
        if field == "concurrent":
            concurrent = max(1, int(value))
        else:
            rate = int(value)
    ident = name or "key-" + _digest(key).hex()[:12]
    return key, Principal(ident, concurrent, rate)


class ApiKeys:
    def __init__(self, entries: dict[bytes, Principal], anonymous: Principal) -> None:
        self._by_digest = entries
        self.anonymous = anonymous

    @classmethod
    def load(cls, setting: str, file: Path | None, concurrent: int, rate: int) -> ApiKeys:
        entries: dict[bytes, Principal] = {}
        sources = [(f"OPTIVUS_GATEWAY_API_KEYS entry {i + 1}", e.strip())
                   for i, e in enumerate(setting.split(",")) if e.strip()]
        if file is not None:
            try:
                text = file.read_text()
            except OSError as exc:
                raise ValueError(f"OPTIVUS_GATEWAY_API_KEYS_FILE cannot be read: {exc.strerror}") from None
            for number, line in enumerate(text.splitlines(), start=1):
                line = line.split("#", 1)[0].strip()
                if line:
                    sources.append((f"{file.name} line {number}", line))
        for where, entry in sources:
            key, principal = _parse(entry, where, concurrent, rate)
            entries[_digest(key)] = principal
        return cls(entries, Principal("anonymous", concurrent, rate))

    @property
    def open(self) -> bool:
        return not self._by_digest

    def identify(self, token: str | None) -> Principal:
        """The caller a token names; raises Unauthorized."""
        if self.open:
            return self.anonymous
        if not token:
            raise Unauthorized("an API key is required: send it as `Authorization: Bearer <key>` "
                               "(socket.io: auth {\"token\": \"<key>\"} or ?token=<key>)")
        principal = self._by_digest.get(_digest(token))
        if principal is None:
            raise Unauthorized("the API key is not valid")
        return principal


def bearer(header: str | None) -> str | None:
    """The key in an `Authorization: Bearer <key>` header value."""
    if not header:
        return None
    scheme, _, value = header.strip().partition(" ")
    if scheme.lower() != "bearer":
        return None
    return value.strip() or None
