"""Retention removes only the service's own files: the old ones, then the
oldest until the folder's owned files fit the size limit."""

from __future__ import annotations

import os
import re

from optivus_common.retention import Retention, sweep, sweeping

OWNED = re.compile(r"gen-\d+\.bin").fullmatch


def make(folder, name, size, age_s, now):
    path = folder / name
    path.write_bytes(b"x" * size)
    os.utime(path, (now - age_s, now - age_s))
    return path


def test_old_files_go_and_the_callers_files_stay(tmp_path):
    now = 1_000_000.0
    old = make(tmp_path, "gen-1.bin", 10, 7200, now)
    fresh = make(tmp_path, "gen-2.bin", 10, 60, now)
    callers = make(tmp_path, "holiday.bin", 10, 10**6, now)
    swept = sweep(tmp_path, Retention(max_age_s=3600, max_bytes=0), OWNED, now)
    assert (swept.files, swept.bytes) == (1, 10)
    assert not old.exists() and fresh.exists() and callers.exists()


def test_oldest_go_first_until_the_total_fits(tmp_path):
    now = 1_000_000.0
    files = [make(tmp_path, f"gen-{i}.bin", 100, 1000 - i, now) for i in range(5)]  # gen-0 is the oldest
    make(tmp_path, "mine.bin", 10_000, 5000, now)
    (tmp_path / "gen-9.bin").mkdir()  # a folder with an owned name is not a file
    swept = sweep(tmp_path, Retention(max_age_s=0, max_bytes=250), OWNED, now)
    assert swept.files == 3
    assert [f.exists() for f in files] == [False, False, False, True, True]
    assert (tmp_path / "mine.bin").exists() and (tmp_path / "gen-9.bin").is_dir()


def test_symlinks_are_not_followed(tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    target = make(outside, "gen-1.bin", 10, 10**6, 1_000_000.0)
    folder = tmp_path / "folder"
    folder.mkdir()
    (folder / "gen-2.bin").symlink_to(target)
    sweep(folder, Retention(max_age_s=1, max_bytes=1), OWNED, 1_000_000.0)
    assert target.exists()


def test_no_limits_no_sweep_and_a_missing_folder_is_fine(tmp_path):
    assert not Retention(0, 0).enabled
    assert sweep(tmp_path / "nope", Retention(1, 1), OWNED).files == 0


async def test_sweeping_runs_at_once_and_on_demand(tmp_path):
    make(tmp_path, "gen-1.bin", 10, 10**6, 0.0)
    async with sweeping(tmp_path, Retention(max_age_s=3600, max_bytes=0), OWNED, interval_s=3600) as sweep_now:
        await sweep_now()
        assert not (tmp_path / "gen-1.bin").exists()
        (tmp_path / "gen-2.bin").write_bytes(b"x")
        os.utime(tmp_path / "gen-2.bin", (1.0, 1.0))
        await sweep_now()  # (the periodic sweep may get there first)
        assert not (tmp_path / "gen-2.bin").exists()
