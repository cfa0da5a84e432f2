"""The WAVs the service stores under FS_PATH are kept within the retention
settings (total size and age), and nothing else in FS_PATH is touched."""

from __future__ import annotations

import asyncio
import os
import time
from pathlib import Path

from fish_testkit import collect, fake_engines, parts, tts_server

from optivus.tts.v1 import tts_service_pb2 as pb
from optivus_fish.config import FishSettings

# "Keep me." from the fake Piper: 0.08 s at 22.05 kHz, 16-bit, plus the header.
ONE_FILE = 1764 * 2 + 44


def settings_for(tmp_path, **overrides) -> FishSettings:
    data = tmp_path / "data"
    return FishSettings(data_dir=data, path_video=data / "videos", fs_path=data / "fs_audio",
                        model_cache=tmp_path / "models", model="", **overrides)


def callers_files(fs_path: Path) -> dict[Path, bytes]:
    """Files a caller put in FS_PATH, old and large, some with names close to the service's own."""
    fs_path.mkdir(parents=True, exist_ok=True)
    files = {fs_path / "mine.wav": b"x" * 50_000, fs_path / "fish-notes.txt": b"notes",
             fs_path / "fish-20200101-000000-abc.wav": b"y" * 50_000,
             fs_path / "fish-20200101-000000-0123456789ab.wav.bak": b"z"}
    week_ago = time.time() - 7 * 86400
    for path, data in files.items():
        path.write_bytes(data)
        os.utime(path, (week_ago, week_ago))
    return files


async def store(stub) -> Path:
    *_, summary = parts(await collect(stub, pb.SynthesizeRequest(text="Keep me.", engine=pb.TTS_ENGINE_PIPER,
                                                                 store=True)))
    return Path(summary.stored.path)


def test_defaults_bound_the_disk():
    s = FishSettings()
    assert 0 < s.retention_mb <= 4096 and 0 < s.retention_hours <= 7 * 24


async def test_stored_wavs_stay_under_the_size_limit_oldest_go_first(tmp_path):
    settings = settings_for(tmp_path, retention_mb=(2 * ONE_FILE + 100) / 1048576, retention_hours=0)
    theirs = callers_files(settings.fs_path)
    async with tts_server(settings, fake_engines(settings)) as (stub, _):
        paths = [await store(stub) for _ in range(4)]
    assert all(p.stat().st_size == ONE_FILE for p in paths[2:])
    assert [p.exists() for p in paths] == [False, False, True, True]
    assert {p: p.read_bytes() for p in theirs} == theirs


async def test_the_file_just_stored_is_kept_even_over_the_limit(tmp_path):
    settings = settings_for(tmp_path, retention_mb=100 / 1048576, retention_hours=0)
    async with tts_server(settings, fake_engines(settings)) as (stub, _):
        first = await store(stub)
        second = await store(stub)
    assert not first.exists() and second.exists()


async def test_old_stored_wavs_are_removed(tmp_path):
    settings = settings_for(tmp_path, retention_hours=1, retention_mb=0)
    theirs = callers_files(settings.fs_path)
    async with tts_server(settings, fake_engines(settings)) as (stub, _):
        old = await store(stub)
        two_hours_ago = time.time() - 7200
        os.utime(old, (two_hours_ago, two_hours_ago))
        new = await store(stub)
    assert not old.exists() and new.exists()
    assert {p: p.read_bytes() for p in theirs} == theirs


async def test_zero_turns_retention_off(tmp_path):
    settings = settings_for(tmp_path, retention_hours=0, retention_mb=0)
    async with tts_server(settings, fake_engines(settings)) as (stub, _):
        paths = [await store(stub) for _ in range(3)]
        os.utime(paths[0], (0, 0))
        await store(stub)
    assert all(p.exists() for p in paths)


async def test_old_stored_wavs_are_swept_when_the_service_starts(tmp_path):
    settings = settings_for(tmp_path, retention_hours=1, retention_mb=0)
    theirs = callers_files(settings.fs_path)
    old = settings.fs_path / "fish-20200101-000000-0123456789ab.wav"
    old.write_bytes(b"RIFF")
    os.utime(old, (0, 0))
    async with tts_server(settings, fake_engines(settings)):
        for _ in range(1000):  # the first sweep runs beside the start-up
            if not old.exists():
                break
            await asyncio.sleep(0.01)
    assert not old.exists()
    assert {p: p.read_bytes() for p in theirs} == theirs
