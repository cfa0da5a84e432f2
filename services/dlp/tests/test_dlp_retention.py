"""Downloads in PATH_VIDEO are kept within OPTIVUS_DLP_RETENTION_HOURS and
_MB; only names the service generates are ever removed."""

from __future__ import annotations

import asyncio
import contextlib
import os
import time

from fake_engine import BODY, FakeEngine

from optivus_dlp.app import DlpApp, Downloaded, running_app
from optivus_dlp.download_files import new_name, owned
from optivus_testing.dlp_site import wait_until

URL = "http://media.example/"
# Files a caller may have put in PATH_VIDEO (a media folder): names that look
# like the service's but are not of its form.
CALLERS = ["clip.mp4", "dlp-mine.mp4", "0123456789abcdef0123456789abcdef.mp4", "dlp-20260101-120000-xyz.mp4"]


def _file(folder, name: str, age_s: float, size: int = 1000):
    path = folder / name
    path.write_bytes(bytes(size))
    then = time.time() - age_s
    os.utime(path, (then, then))
    return path


def _folder(dlp_settings, **overrides):
    settings = dlp_settings(**overrides)
    settings.path_video.mkdir(parents=True)
    return settings


async def _download(app: DlpApp, name: str = "a.mp4"):
    async with contextlib.aclosing(app.download([URL + name])) as events:
        files = [e.file for e in [e async for e in events] if isinstance(e, Downloaded)]
    assert len(files) == 1
    return files[0].path


def test_the_service_names_its_downloads_in_one_form():
    names = {new_name(suffix) for suffix in (".mp4", ".MKV", ".m4a", "", ".a/b\\c", ".ünï")}
    assert all(owned(n) for n in names)
    assert not any(owned(n) for n in CALLERS)
    assert new_name("").endswith(".bin") and new_name(".a/b\\c").endswith(".abc")


async def test_old_downloads_go_after_a_download_and_callers_files_stay(dlp_settings):
    settings = _folder(dlp_settings, retention_hours=1, retention_mb=0)
    folder = settings.path_video
    old = [_file(folder, new_name(".mp4"), 2 * 3600) for _ in range(2)]
    recent = _file(folder, new_name(".mp4"), 600)
    callers = [_file(folder, name, 30 * 24 * 3600) for name in CALLERS]
    (folder / new_name(".mp4")).mkdir()  # a folder with such a name is not a download
    new = await _download(DlpApp(FakeEngine(folder), settings))
    assert not any(p.exists() for p in old)
    assert recent.exists() and new.exists() and all(p.exists() for p in callers)


async def test_over_the_size_cap_the_oldest_downloads_go_first(dlp_settings):
    cap = 3000 + len(BODY)  # room for the new download and three of 1000 bytes
    settings = _folder(dlp_settings, retention_hours=0, retention_mb=cap / (1024 * 1024))
    folder = settings.path_video
    kept = [_file(folder, new_name(".mp4"), age) for age in (4000, 300, 200, 100)]
    callers = [_file(folder, name, 5000, size=10_000) for name in CALLERS]  # not counted, never removed
    new = await _download(DlpApp(FakeEngine(folder), settings))
    assert [p.exists() for p in kept] == [False, True, True, True]
    assert new.exists() and all(p.exists() for p in callers)


async def test_the_newest_download_is_kept_even_alone_over_the_cap(dlp_settings):
    settings = _folder(dlp_settings, retention_hours=0, retention_mb=0.0001)
    folder = settings.path_video
    others = [_file(folder, new_name(".mp4"), 10) for _ in range(3)]
    new = await _download(DlpApp(FakeEngine(folder), settings))
    assert new.exists() and not any(p.exists() for p in others)


async def test_with_no_limits_nothing_is_removed(dlp_settings):
    settings = _folder(dlp_settings, retention_hours=0, retention_mb=0)
    folder = settings.path_video
    others = [_file(folder, new_name(".mp4"), 10 * 365 * 24 * 3600) for _ in range(3)]
    await _download(DlpApp(FakeEngine(folder), settings))
    assert all(p.exists() for p in others)


async def test_the_running_service_sweeps_at_start(dlp_settings):
    settings = _folder(dlp_settings, retention_hours=1)
    folder = settings.path_video
    old = _file(folder, new_name(".mkv"), 2 * 3600)
    caller = _file(folder, "clip.mkv", 2 * 3600)
    async with running_app(settings, FakeEngine(folder)):
        assert await asyncio.to_thread(wait_until, lambda: not old.exists())
    assert caller.exists()


def test_a_download_is_dated_when_it_was_fetched_not_by_the_site(engine_for, site, monkeypatch):
    """yt-dlp can date a file by the server's Last-Modified (here the year
    2000; its `updatetime`, on by default in older releases): retention
    would take that for the file's age."""
    from optivus_dlp.fetch_handle import FetchHandle

    engine = engine_for()
    params = engine._params
    monkeypatch.setattr(engine, "_params", lambda **more: {**params(**more), "updatetime": True})
    before = time.time()
    result = engine.download(site.url("dated/clip.mp4"), None, FetchHandle())
    assert result.path.stat().st_mtime >= before - 1
    assert owned(result.path.name)
