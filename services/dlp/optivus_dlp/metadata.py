"""The metadata fields the first server returned, taken from yt-dlp's info
dict with their types made sure of (extractors are not always strict)."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class MediaMetadata:
    uploader: str | None = None
    duration: float | None = None
    view_count: int | None = None
    like_count: int | None = None
    dislike_count: int | None = None
    repost_count: int | None = None
    average_rating: float | None = None
    comment_count: int | None = None
    age_limit: int | None = None
    media_type: str | None = None
    fulltitle: str | None = None
    tags: list[str] = field(default_factory=list)
    categories: list[str] = field(default_factory=list)
    description: str | None = None
    webpage_url: str = ""
    extractor: str = ""
    id: str = ""


def _int(value) -> int | None:
    if isinstance(value, bool):
        return None
    try:
        number = int(value) if value is not None else None
    except (TypeError, ValueError, OverflowError):
        return None
    return number if number is None or -(2**63) <= number < 2**63 else None


def _float(value) -> float | None:
    if isinstance(value, bool):
        return None
    try:
        number = float(value) if value is not None else None
    except (TypeError, ValueError):
        return None
    return number if number is None or number == number and abs(number) != float("inf") else None


def _str(value) -> str | None:
    return value if isinstance(value, str) else None


def _strings(value) -> list[str]:
    return [v for v in value if isinstance(v, str)] if isinstance(value, (list, tuple)) else []


def metadata_from_info(info: dict) -> MediaMetadata:
    duration = _float(info.get("duration"))
    return MediaMetadata(
        uploader=_str(info.get("uploader")),
        duration=duration if duration is None or duration >= 0 else None,
        view_count=_int(info.get("view_count")),
        like_count=_int(info.get("like_count")),
        dislike_count=_int(info.get("dislike_count")),
        repost_count=_int(info.get("repost_count")),
        average_rating=_float(info.get("average_rating")),
        comment_count=_int(info.get("comment_count")),
        age_limit=_int(info.get("age_limit")),
        media_type=_str(info.get("media_type")),
        fulltitle=_str(info.get("fulltitle")) or _str(info.get("title")),
        tags=_strings(info.get("tags")),
        categories=_strings(info.get("categories")),
        description=_str(info.get("description")),
        webpage_url=_str(info.get("webpage_url")) or "",
        extractor=_str(info.get("extractor")) or "",
        id=_str(info.get("id")) or "",
    )
