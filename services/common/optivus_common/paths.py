"""The media-root guard: a client may name only files under the configured
media roots. Symlinks are followed before the check, so a link pointing
out of a root is refused like the path it points to."""

from __future__ import annotations

import os
from pathlib import Path

from .errors import InvalidArgument, NotFound, PermissionDenied


def resolve_under_roots(raw: str, roots: list[Path]) -> Path:
    """Returns the real path of an existing, non-empty regular file under
    one of `roots`, or raises the domain error that says why not."""
    if not raw:
        raise InvalidArgument("no file was given", reason="FILE_MISSING")
    if "\x00" in raw:
        raise InvalidArgument("the file name contains a NUL byte", reason="INVALID_PATH")
    candidate = Path(os.path.expanduser(raw))
    if not candidate.is_absolute():
        candidate = Path.cwd() / candidate
    try:
        real = candidate.resolve(strict=False)
    except (OSError, RuntimeError) as exc:  # symlink loops
        raise InvalidArgument(f"cannot resolve {raw!r}: {exc}", reason="INVALID_PATH") from None
    if not any(real.is_relative_to(root) for root in roots):
        raise PermissionDenied(
            f"{raw!r} is outside the media folders this server may read",
            reason="PATH_OUTSIDE_MEDIA_ROOTS",
        )
    if not real.exists():
        raise NotFound(f"file not found: {raw!r}", reason="FILE_NOT_FOUND")
    if not real.is_file():
        raise InvalidArgument(f"not a regular file: {raw!r}", reason="NOT_A_FILE")
    if real.stat().st_size == 0:
        raise InvalidArgument(f"the file is empty: {raw!r}", reason="EMPTY_FILE")
    return real

