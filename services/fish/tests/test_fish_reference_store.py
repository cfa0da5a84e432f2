"""The folder reference store's file work runs in worker threads, never on the event
loop that serves every RPC."""

from __future__ import annotations

import os
import shutil
import threading
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import pytest

from optivus_common.errors import NotFound
from optivus_fish import audio
from optivus_fish.references import FolderReferences, Reference, new_id


async def test_reference_file_io_stays_off_the_event_loop(tmp_path, monkeypatch):
    loop_thread = threading.current_thread()
    calls: list[tuple[str, bool]] = []

    def watch(owner, name):
        real = getattr(owner, name)

        def wrapper(*args, **kwargs):
            target = str(args[0])
            if target.startswith(str(tmp_path)):
                calls.append((name, threading.current_thread() is loop_thread))
            return real(*args, **kwargs)
        monkeypatch.setattr(owner, name, wrapper)

    for name in ("mkdir", "write_bytes", "read_bytes", "read_text", "rename", "is_dir", "iterdir"):
        watch(Path, name)
    watch(shutil, "rmtree")

    store = FolderReferences(tmp_path / "references")
    wav = audio.wav_bytes(np.sin(np.linspace(0, 900, 16000)).astype(np.float32) * 0.3, 16000)
    ref = Reference(new_id(), "tone", "a test tone", 1.0, datetime.now(timezone.utc), len(wav))
    await store.add(ref, wav)
    got, stored = await store.get(ref.reference_id)
    assert got == ref and stored == wav
    assert await store.list_all() == [ref]
    await store.delete(ref.reference_id)
    with pytest.raises(NotFound):
        await store.get(ref.reference_id)
    with pytest.raises(NotFound):
        await store.delete(ref.reference_id)

    touched = {name for name, _ in calls}
    assert {"mkdir", "write_bytes", "rename", "read_bytes", "rmtree"} <= touched
    on_loop = [name for name, on in calls if on]
    assert not on_loop, f"file work on the event loop: {on_loop}"


async def test_tidy_removes_old_leftovers_of_interrupted_writes(tmp_path):
    store = FolderReferences(tmp_path / "references")
    old_dir, old_file = store.root / ".staging-abc-1234", store.root / ".fetch-abc-1234.wav"
    young = store.root / ".staging-def-5678"
    for folder in (old_dir, young):
        folder.mkdir(parents=True)
    old_file.write_bytes(b"x")
    (store.root / "notes.txt").write_text("not ours")
    for path in (old_dir, old_file):
        os.utime(path, (0, 0))
    await store.tidy()
    assert sorted(p.name for p in store.root.iterdir()) == [".staging-def-5678", "notes.txt"]
