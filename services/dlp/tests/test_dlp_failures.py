"""Failures labelled for people and programs: each from a local page that
imitates it, through the real engine (yt-dlp, the guard, the site)."""

from __future__ import annotations

import pytest

from optivus_common.errors import FailedPrecondition, InvalidArgument, OptivusError, ResourceExhausted, Unavailable
from optivus_dlp import ytdl
from optivus_dlp.failures import retry_after_s
from optivus_dlp.fetch_handle import FetchHandle
from optivus_testing.dlp_imitation import COUNTRIES, ImitationIE


@pytest.fixture
def imitating(monkeypatch):
    """The guarded YoutubeDL knows the imitation extractor (first), and so
    does yt-dlp's registry, where it looks an extractor up by its key."""
    from yt_dlp import extractor

    extractor.import_extractors()
    monkeypatch.setitem(extractor._extractors_context.value, "ImitationIE", ImitationIE)
    defaults = ytdl._default_extractors
    monkeypatch.setattr(ytdl, "_default_extractors", lambda: (ImitationIE, *defaults()))


def fails(fn, *args) -> OptivusError:
    with pytest.raises(OptivusError) as err:
        fn(*args)
    return err.value


@pytest.mark.parametrize("case, kind, reason, advice", [
    ("bot", FailedPrecondition, "BOT_CHECK", "OPTIVUS_DLP_COOKIES_FILE"),
    ("age", FailedPrecondition, "SIGN_IN_REQUIRED", "OPTIVUS_DLP_COOKIES_FILE"),
    ("private", FailedPrecondition, "SIGN_IN_REQUIRED", "OPTIVUS_DLP_COOKIES_FILE"),
    ("geo", FailedPrecondition, "GEO_BLOCKED", "OPTIVUS_DLP_PROXY"),
    ("limited", Unavailable, "RATE_LIMITED", "try again later"),
    ("broken", FailedPrecondition, "EXTRACTION_BROKEN", "update yt-dlp"),
    ("js", FailedPrecondition, "EXTRACTION_BROKEN", "JavaScript runtime"),
])
def test_a_sites_refusals_are_labelled_with_what_to_do(engine_for, site, imitating, case, kind, reason, advice):
    engine = engine_for()
    for call in (lambda: engine.get_info(site.url(f"imitate/{case}"), FetchHandle()),
                 lambda: engine.download(site.url(f"imitate/{case}"), None, FetchHandle())):
        err = fails(call)
        assert type(err) is kind and err.reason == reason, (case, err.reason, err.message)
        assert advice in err.message, err.message
        assert "--cookies" not in err.message and "yt-dlp -U" not in err.message  # yt-dlp's CLI advice is cut
        assert err.metadata.get("site") == f"127.0.0.1:{site.port}"
    if case == "geo":
        assert err.metadata["countries"] == ",".join(COUNTRIES) and "DE, FR" in err.message
    if reason == "EXTRACTION_BROKEN":
        assert err.metadata["yt_dlp_version"] in err.message


def test_a_429_is_rate_limited_with_the_sites_retry_after(engine_for, site):
    engine = engine_for()
    site.limit_next, site.retry_after = 1, "90"
    err = fails(engine.get_info, site.url("limited/clip.mp4"), FetchHandle())
    assert isinstance(err, Unavailable) and err.reason == "RATE_LIMITED" and err.retryable
    assert err.metadata["retry_after_s"] == "90" and "try again in 90 s" in err.message
    assert engine.get_info(site.url("limited/clip.mp4"), FetchHandle()).fulltitle == "clip"


def test_format_not_available_says_what_to_send(engine_for, site):
    err = fails(engine_for().download, site.url("clip.mp4"), "bestaudio[ext=mp3]", FetchHandle())
    assert isinstance(err, InvalidArgument) and err.reason == "FORMAT_NOT_AVAILABLE"
    assert "send an empty format" in err.message


def test_too_large_and_too_long_say_which_limit(engine_for, site):
    err = fails(engine_for(max_file_mb=1).download, site.url("big.mp4"), None, FetchHandle())
    assert isinstance(err, ResourceExhausted) and err.reason == "FILE_TOO_LARGE"
    assert "OPTIVUS_DLP_MAX_FILE_MB" in err.message
    err = fails(engine_for(max_duration_s=2).download, site.url("hls/index.m3u8"), None, FetchHandle())
    assert isinstance(err, ResourceExhausted) and err.reason == "MEDIA_TOO_LONG"
    assert "OPTIVUS_DLP_MAX_DURATION_S" in err.message


@pytest.mark.parametrize("value, seconds", [
    ("120", 120.0), ("0", 0.0), ("999999", 3600.0), ("Wed, 21 Oct 2015 07:28:00 GMT", 0.0),
    ("soon", None), ("", None), (None, None), ("-5", None),
])
def test_retry_after_in_seconds_or_as_a_date(value, seconds):
    assert retry_after_s(value) == seconds


def test_retry_after_as_a_future_date():
    assert retry_after_s("Thu, 01 Jan 2037 00:01:00 GMT", now=2114380800.0) == 60.0
