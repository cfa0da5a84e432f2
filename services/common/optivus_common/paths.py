"""The media-root guard: a client may name only files under the configured
media roots. Symlinks are followed before the check, so a link pointing
out of a root is refused like the path it points to."""

from __future__ import annotations

import os
import stat
from pathlib import Path

from .errors import InvalidArgument, NotFound, PermissionDenied

# Longer paths are refused before the filesystem sees them (Linux allows 4095).
MAX_PATH_CHARS = 4096


def resolve_under_roots(raw: str, roots: list[Path]) -> Path:
    """Returns the real path of an existing, non-empty regular file under
    one of `roots`, or raises the domain error that says why not. Messages
    name the file as the client wrote it, never the resolved server path."""
    if not raw:
        raise InvalidArgument("no file was given", reason="FILE_MISSING")
    if "\x00" in raw:
        raise InvalidArgument("the file name contains a NUL byte", reason="INVALID_PATH")
    if len(raw) > MAX_PATH_CHARS:
        raise InvalidArgument(f"the path is longer than {MAX_PATH_CHARS} characters", reason="INVALID_PATH")
    shown = repr(raw) if len(raw) <= 200 else repr(raw[:200] + "...")
    candidate = Path(os.path.expanduser(raw))
    if not candidate.is_absolute():
        candidate = Path.cwd() / candidate
    try:
        real = candidate.resolve(strict=False)
    except (OSError, RuntimeError):  # symlink loops, names over the filesystem's limit
        raise InvalidArgument(f"cannot resolve {shown}", reason="INVALID_PATH") from None
    if not any(real.is_relative_to(root) for root in roots):
        raise PermissionDenied(
            f"{shown} is outside the media folders this server may read",
            reason="PATH_OUTSIDE_MEDIA_ROOTS",
        )
    try:
        st = real.stat()
    except FileNotFoundError:
        raise NotFound(f"file not found: {shown}", reason="FILE_NOT_FOUND") from None
    except OSError as exc:  # a name over the filesystem's limit, a folder in the way, no permission
        raise InvalidArgument(f"cannot read {shown} ({exc.strerror or 'unreadable'})", reason="INVALID_PATH") from None
    if not stat.S_ISREG(st.st_mode):
        raise InvalidArgument(f"not a regular file: {shown}", reason="NOT_A_FILE")
    if st.st_size == 0:
        raise InvalidArgument(f"the file is empty: {shown}", reason="EMPTY_FILE")
    return real
