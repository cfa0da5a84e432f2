"""The cookies file (OPTIVUS_DLP_COOKIES_FILE): its cookies reach the site,
and its secrets never reach a reply or the log."""

from __future__ import annotations

import logging

import pytest
from dlp_stub import media_stub, url_refs

from optivus.media.v1 import media_service_pb2 as pb
from optivus_common.errors import FailedPrecondition
from optivus_dlp.fetch_handle import FetchHandle
from optivus_dlp.redaction import Redactor, cookie_secrets

BROKEN_LINE_SECRET = "broken-line-secret-7f3e9a1c"


def cookies_file(tmp_path, site, broken: bool = False):
    path = tmp_path / "cookies.txt"
    path.write_text("# Netscape HTTP Cookie File\n"
                    f"#HttpOnly_127.0.0.1\tFALSE\t/\tFALSE\t0\tsession\t{site.session}\n"
                    + (f"127.0.0.1\tFALSE\t/members\n{BROKEN_LINE_SECRET}\tnot an entry\n" if broken else ""))
    path.chmod(0o400)  # as a mounted Secret: read only
    return path


def _logged(caplog) -> str:
    return "\n".join(f"{r.getMessage()} {r.__dict__}" for r in caplog.records)


@pytest.mark.integration
async def test_cookies_reach_the_site_and_never_a_reply_or_the_log(dlp_settings, site, tmp_path, caplog):
    caplog.set_level(logging.DEBUG)
    path = cookies_file(tmp_path, site)
    original = path.read_text()
    settings = dlp_settings(cookies_file=str(path))
    urls = [site.url("members/clip.mp4"), site.url("members/missing.mp4")]
    async with media_stub(settings) as stub:
        info = [r async for r in stub.GetInfo(pb.GetInfoRequest(sources=url_refs(urls)))]
        download = [r async for r in stub.Download(pb.DownloadRequest(sources=url_refs(urls)))]
    assert [r.WhichOneof("response") for r in info] == ["info", "error"]
    assert {r.source_index for r in download if r.WhichOneof("response") == "file"} == {0}
    member_hits = site.hits_for("/members/clip.mp4")
    assert member_hits and all(f"session={site.session}" in (h.cookie or "") for h in member_hits)
    replies = b"".join(r.SerializeToString() for r in [*info, *download])
    assert site.session.encode() not in replies and site.session not in _logged(caplog)
    assert caplog.records  # yt-dlp's messages were logged (redacted), so the check above looked at them
    assert path.read_text() == original  # never written back


def test_without_the_cookies_the_members_area_is_closed(engine_for, site):
    before = len(site.hits)
    with pytest.raises(Exception) as err:
        engine_for().get_info(site.url("members/clip.mp4"), FetchHandle())
    assert getattr(err.value, "reason", "") == "REMOTE_HTTP_ERROR"
    assert [h.cookie for h in site.hits[before:]] == [None]


def test_the_secrets_are_the_values(tmp_path, site):
    secrets = cookie_secrets(cookies_file(tmp_path, site))
    assert secrets == [site.session]
    redact = Redactor(secrets)
    assert redact(f"Cookie: session={site.session}; x=1") == "Cookie: session=[redacted]; x=1"
    assert redact.message(f"skipping cookie file entry: {site.session!r}") == "(a yt-dlp message about cookies, withheld)"


def test_a_broken_cookies_file_is_refused_before_yt_dlp_prints_its_lines(engine_for, site, tmp_path, capfd, caplog):
    caplog.set_level(logging.DEBUG)
    engine = engine_for(cookies_file=str(cookies_file(tmp_path, site, broken=True)))
    before = len(site.hits)
    with pytest.raises(FailedPrecondition) as err:
        engine.get_info(site.url("members/clip.mp4"), FetchHandle())
    assert err.value.reason == "COOKIES_FILE_INVALID" and err.value.metadata == {"line": "3"}
    out, errors = capfd.readouterr()
    for secret in (site.session, BROKEN_LINE_SECRET):
        assert secret not in out + errors + _logged(caplog) + err.value.message
    assert len(site.hits) == before


def test_an_unreadable_cookies_file_fails_each_fetch_without_its_content(engine_for, site, tmp_path):
    engine = engine_for(cookies_file=str(tmp_path / "absent.txt"))
    with pytest.raises(FailedPrecondition) as err:
        engine.get_info(site.url("clip.mp4"), FetchHandle())
    assert err.value.reason == "COOKIES_FILE_UNREADABLE" and "OPTIVUS_DLP_COOKIES_FILE" in err.value.message
