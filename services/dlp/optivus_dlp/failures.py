"""yt-dlp's exceptions -> the domain errors the servicer reports per URL."""

from __future__ import annotations

import re
from collections.abc import Iterator

from yt_dlp.networking.exceptions import HTTPError, TransportError
from yt_dlp.utils import DownloadError, ExtractorError, UnsupportedError, YoutubeDLError

from optivus_common.errors import (
    FailedPrecondition,
    InvalidArgument,
    NotFound,
    OptivusError,
    Unavailable,
)

from .jobs import Job

_ANSI = re.compile(r"\x1b\[[0-9;]*m")
_NOISE = re.compile(r"^(?:ERROR: )?(?:\[[\w:.-]+\] )?")


def _chain(exc: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    todo = [exc]
    while todo:
        cur = todo.pop(0)
        if cur is None or id(cur) in seen:
            continue
        seen.add(id(cur))
        yield cur
        exc_info = getattr(cur, "exc_info", None)
        if isinstance(exc_info, tuple) and len(exc_info) == 3:
            todo.append(exc_info[1])
        todo.extend([getattr(cur, "cause", None), cur.__cause__, cur.__context__])


def clean_message(exc: BaseException) -> str:
    text = exc.orig_msg if isinstance(exc, ExtractorError) else str(exc)
    text = _ANSI.sub("", text).strip()
    text = _NOISE.sub("", text)
    text = re.sub(r";? ?please report this issue.*", "", text, flags=re.I | re.S)
    return text[:500] or type(exc).__name__


def _http_error(err: HTTPError, url: str) -> OptivusError:
    status = err.status
    if status in (404, 410):
        return NotFound(f"the server answered HTTP {status} for {url}", reason="MEDIA_NOT_FOUND",
                        http_status=status)
    if status == 429 or status >= 500:
        return Unavailable(f"the server answered HTTP {status} for {url}; try again later",
                           reason="REMOTE_UNAVAILABLE", http_status=status)
    return FailedPrecondition(f"the server answered HTTP {status} {err.reason or ''}".rstrip() + f" for {url}",
                              reason="REMOTE_HTTP_ERROR", http_status=status)


def to_domain_error(exc: BaseException, job: Job, url: str) -> BaseException:
    """The error to report for `url`, or `exc` itself when it is not a
    download problem (a bug: the interceptor reports it as INTERNAL)."""
    if job.refusal is not None:
        return job.refusal
    if isinstance(exc, OptivusError):
        return exc
    chain = list(_chain(exc))
    for cur in chain:
        if isinstance(cur, UnsupportedError):
            return InvalidArgument(f"no video or audio was found at {url}", reason="NO_MEDIA_FOUND")
        if isinstance(cur, HTTPError):
            return _http_error(cur, url)
    for cur in chain:
        if isinstance(cur, TransportError):
            return Unavailable(f"could not fetch {url}: {clean_message(cur)}", reason="REMOTE_UNREACHABLE")
    if not isinstance(exc, (DownloadError, ExtractorError, YoutubeDLError)):
        return exc
    message = clean_message(exc)
    if "Requested format is not available" in message:
        return InvalidArgument("the requested format is not available for this media",
                               reason="FORMAT_NOT_AVAILABLE")
    if "No video formats found" in message:
        return InvalidArgument(f"no video or audio was found at {url}", reason="NO_MEDIA_FOUND")
    return InvalidArgument(message, reason="DOWNLOAD_FAILED")
