"""What the gateway keeps about an upload, and the media id clients use
for it: `media:<32 hex>[.<ext>]`. An id from a client is checked against
that pattern before it comes near a path or a key."""

from __future__ import annotations

import json
import re
import secrets
from dataclasses import asdict, dataclass
from pathlib import PurePath

from optivus_common.errors import InvalidArgument

PREFIX = "media:"
_ID = re.compile(r"media:([0-9a-f]{32})((?:\.[a-z0-9]{1,8})?)")


def is_media_id(value: object) -> bool:
    return isinstance(value, str) and value.startswith(PREFIX)


def parse_media_id(value: object) -> tuple[str, str]:
    """(hex, extension with its dot or "") of a media id."""
    match = _ID.fullmatch(value) if isinstance(value, str) else None
    if match is None:
        raise InvalidArgument("a media id is `media:` followed by the 32 hex characters (and extension) an "
                              "upload was given", reason="INVALID_MEDIA_ID")
    return match.group(1), match.group(2)


def new_id(filename: str) -> tuple[str, str]:
    """(hex, extension) for a new upload; only the extension of the
    client's file name is kept, lower case, letters and digits only."""
    suffix = "".join(c for c in PurePath(filename or "").suffix.lower() if c.isalnum())[:8]
    return secrets.token_hex(16), f".{suffix}" if suffix else ""


@dataclass(frozen=True)
class UploadRecord:
    hex: str
    extension: str
    owner: str
    size_bytes: int
    sha256: str
    filename: str
    mime_type: str
    created: float  # Unix seconds

    @property
    def media_id(self) -> str:
        return f"{PREFIX}{self.hex}{self.extension}"

    @property
    def key(self) -> str:
        """The blob key, or the file name in the upload folder."""
        return self.hex + self.extension

    def to_json(self) -> bytes:
        return json.dumps(asdict(self)).encode()

    @classmethod
    def from_json(cls, data: bytes) -> UploadRecord:
        return cls(**json.loads(data))
