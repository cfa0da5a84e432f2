"""The files the service leaves in PATH_VIDEO: finished downloads. Their
names have one form, dlp-<UTC time>-<16 hex>.<ext>, chosen here and never
taken from the URL, and retention removes only files of that form, so a
caller's file in PATH_VIDEO is never touched."""

from __future__ import annotations

import re
import secrets
from datetime import datetime, timezone

NAME = re.compile(r"dlp-\d{8}-\d{6}-[0-9a-f]{16}\.[a-z0-9]{1,8}")


def owned(name: str) -> bool:
    return NAME.fullmatch(name) is not None


def new_name(suffix: str) -> str:
    """A fresh name with `suffix`'s letters and digits as its extension."""
    ext = "".join(c for c in suffix.lower() if c.isascii() and c.isalnum())[:8] or "bin"
    return f"dlp-{datetime.now(timezone.utc):%Y%m%d-%H%M%S}-{secrets.token_hex(8)}.{ext}"
