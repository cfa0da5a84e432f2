"""yt-dlp's exceptions -> the domain errors the application layer reports
per URL, labelled for people and programs: each label is an ErrorInfo
reason, and its message says what to do about it.

    BOT_CHECK             the site wants proof that this is not a bot
    SIGN_IN_REQUIRED      private, members-only or age-restricted media
    GEO_BLOCKED           not offered in the server's country
    FORMAT_NOT_AVAILABLE  the format selector matches nothing
    EXTRACTION_BROKEN     yt-dlp cannot read the site any more (update it)
    RATE_LIMITED          HTTP 429 (with the site's Retry-After)
    FILE_TOO_LARGE, MEDIA_TOO_LONG  the limits (ytdl.Limits)

BOT_CHECK and RATE_LIMITED also slow further requests to the site down
(site_gates.py)."""

from __future__ import annotations

import email.utils
import re
import time
from collections.abc import Iterator

from yt_dlp.networking.exceptions import HTTPError, TransportError
from yt_dlp.utils import DownloadError, ExtractorError, GeoRestrictedError, UnsupportedError, YoutubeDLError
from yt_dlp.version import __version__ as YT_DLP_VERSION

from optivus_common.errors import (
    FailedPrecondition,
    InvalidArgument,
    NotFound,
    OptivusError,
    Unavailable,
)

from .fetch_handle import FetchHandle

_ANSI = re.compile(r"\x1b\[[0-9;]*m")
_NOISE = re.compile(r"^(?:ERROR: )?(?:\[[\w:.-]+\] )?")
# yt-dlp's advice to its command-line users ("Use --cookies-from-browser or
# --cookies ...", "Also see <wiki> ...") is cut: the labels say what to do here.
_CLI_HINTS = re.compile(r"\.? *(?:Use --cookies|Also see |Confirm you are on the latest version|"
                        r"please report this issue|It is recommended to use `-t sleep`).*", re.I | re.S)

BOT_CHECK_SIGNS = ("not a bot", "not a robot", "captcha", "unusual traffic", "automated queries")
SIGN_IN_SIGNS = ("sign in", "log in", "login required", "logged-in", "registered users", "private video",
                 "video is private", "members-only", "members only", "join this channel", "confirm your age",
                 "age-restricted", "age restricted", "inappropriate for some users", "--cookies")
GEO_SIGNS = ("not available in your country", "not available from your location", "geo restriction",
             "geo-restricted", "in your country")
RATE_SIGNS = ("http error 429", "too many requests", "rate-limited", "rate limited",
              "this content isn't available, try again later")
# Warnings that mean yt-dlp could not run the site's JavaScript: formats go
# missing, and the error that follows ("Requested format is not
# available", "No video formats found") is a broken extraction.
JS_SIGNS = ("javascript runtime", "challenge solving failed", "signature extraction failed",
            "nsig extraction failed", "n challenge", "sig challenge")

# Retry-After: at most this is honoured (a site asking for more gets a
# RATE_LIMITED answer with it, but the service waits no longer).
MAX_RETRY_AFTER_S = 3600
UPDATE_HINT = "update yt-dlp (see the README: Updating yt-dlp)"


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
    text = _CLI_HINTS.sub("", text).strip()
    return text[:500] or type(exc).__name__


def retry_after_s(value: str | None, now: float | None = None) -> float | None:
    """Seconds from a Retry-After header: delta-seconds or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(min(int(value), MAX_RETRY_AFTER_S))
    try:
        when = email.utils.parsedate_to_datetime(value).timestamp()
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    return float(min(max(0.0, when - (time.time() if now is None else now)), MAX_RETRY_AFTER_S))


def rate_limited(site: str, retry_after: float | None) -> Unavailable:
    wait = f"try again in {retry_after:.0f} s" if retry_after is not None else "try again later"
    metadata = {"site": site}
    if retry_after is not None:
        metadata["retry_after_s"] = f"{retry_after:.0f}"
    return Unavailable(f"{site} is limiting how often this server may ask (HTTP 429): {wait}; "
                       "further requests to it wait until then", reason="RATE_LIMITED", **metadata)


def bot_check(site: str) -> FailedPrecondition:
    return FailedPrecondition(
        f"{site} asks this server to prove it is not a bot: set OPTIVUS_DLP_COOKIES_FILE to the cookies of a "
        "signed-in browser session, or run a PO-token provider (OPTIVUS_DLP_POT_PROVIDER_URL); further "
        "requests to the site are slowed down meanwhile", reason="BOT_CHECK", site=site)


def sign_in_required(site: str, detail: str) -> FailedPrecondition:
    return FailedPrecondition(
        f"{site} shows this media only to signed-in users ({detail}): set OPTIVUS_DLP_COOKIES_FILE to the "
        "cookies of a browser session signed in to an account that may see it", reason="SIGN_IN_REQUIRED",
        site=site)


def geo_blocked(site: str, countries: list[str] | None) -> FailedPrecondition:
    where = f" (offered in: {', '.join(countries[:20])})" if countries else ""
    metadata = {"site": site}
    if countries:
        metadata["countries"] = ",".join(countries[:50])
    return FailedPrecondition(
        f"{site} does not offer this media in this server's country{where}: set OPTIVUS_DLP_PROXY to a proxy "
        "in a country where it is offered", reason="GEO_BLOCKED", **metadata)


def extraction_broken(site: str, detail: str) -> FailedPrecondition:
    return FailedPrecondition(
        f"yt-dlp {YT_DLP_VERSION} could not read {site} (the site has probably changed): {UPDATE_HINT}. "
        f"yt-dlp said: {detail}", reason="EXTRACTION_BROKEN", site=site, yt_dlp_version=YT_DLP_VERSION)


def js_runtime_missing(site: str, detail: str) -> FailedPrecondition:
    return FailedPrecondition(
        f"yt-dlp {YT_DLP_VERSION} could not run {site}'s JavaScript challenge, so its formats are missing: "
        "make sure a JavaScript runtime is found (the dlp extra carries deno, see GetCapabilities) and "
        f"{UPDATE_HINT}. yt-dlp said: {detail}", reason="EXTRACTION_BROKEN", site=site,
        yt_dlp_version=YT_DLP_VERSION)


def format_not_available() -> InvalidArgument:
    return InvalidArgument("the requested format is not available for this media: send an empty format for "
                           "the best there is, or a broader selector (e.g. \"best\")",
                           reason="FORMAT_NOT_AVAILABLE")


def _http_error(err: HTTPError, url: str, site: str) -> OptivusError:
    status = err.status
    if status in (404, 410):
        return NotFound(f"the server answered HTTP {status} for {url}", reason="MEDIA_NOT_FOUND",
                        http_status=status)
    if status == 429:
        headers = getattr(err.response, "headers", None)
        return rate_limited(site, retry_after_s(headers.get("Retry-After") if headers is not None else None))
    if status == 451:
        return geo_blocked(site, None)
    if status >= 500:
        return Unavailable(f"the server answered HTTP {status} for {url}; try again later",
                           reason="REMOTE_UNAVAILABLE", http_status=status)
    return FailedPrecondition(f"the server answered HTTP {status} {err.reason or ''}".rstrip() + f" for {url}",
                              reason="REMOTE_HTTP_ERROR", http_status=status)


def _has(text: str, signs: tuple[str, ...]) -> bool:
    low = text.lower().replace("\u2019", "'")
    return any(sign in low for sign in signs)


def to_domain_error(exc: BaseException, handle: FetchHandle, url: str, site: str) -> BaseException:
    """The error to report for `url` (on `site`, its host), or `exc`
    itself when it is not a download problem (a bug: reported as INTERNAL)."""
    if handle.refusal is not None:
        return handle.refusal
    if isinstance(exc, OptivusError):
        return exc
    chain = list(_chain(exc))
    for cur in chain:
        if isinstance(cur, UnsupportedError):
            return InvalidArgument(f"no video or audio was found at {url}", reason="NO_MEDIA_FOUND")
        if isinstance(cur, GeoRestrictedError):
            return geo_blocked(site, [c for c in (cur.countries or []) if isinstance(c, str)])
        if isinstance(cur, HTTPError):
            return _http_error(cur, url, site)
    for cur in chain:
        if isinstance(cur, TransportError):
            return Unavailable(f"could not fetch {url}: {clean_message(cur)}", reason="REMOTE_UNREACHABLE")
    if not isinstance(exc, (DownloadError, ExtractorError, YoutubeDLError)):
        return exc
    message = clean_message(exc)
    if _has(message, BOT_CHECK_SIGNS):
        return bot_check(site)
    if _has(message, RATE_SIGNS):
        return rate_limited(site, None)
    if _has(message, GEO_SIGNS):
        return geo_blocked(site, None)
    if _has(message, SIGN_IN_SIGNS):
        return sign_in_required(site, message[:200])
    js_trouble = next((w for w in handle.warnings if _has(w, JS_SIGNS)), None)
    no_formats = "Requested format is not available" in message or "No video formats found" in message
    if js_trouble is not None and (no_formats or "Only images are available" in message):
        return js_runtime_missing(site, js_trouble[:200])
    if "Requested format is not available" in message:
        return format_not_available()
    if "No video formats found" in message:
        return InvalidArgument(f"no video or audio was found at {url}", reason="NO_MEDIA_FOUND")
    if any(isinstance(cur, ExtractorError) and not cur.expected for cur in chain):
        return extraction_broken(site, message[:300])
    return InvalidArgument(message, reason="DOWNLOAD_FAILED")
