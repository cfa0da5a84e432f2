"""ReferenceStore's file work runs in worker threads, never on the event
loop that serves every RPC."""

from __future__ import annotations

import shutil
import threading
from pathlib import Path

import numpy as np
import pytest

from optivus_common.errors import NotFound
from optivus_fish import audio
from optivus_fish.references import ReferenceStore


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

    for name in ("mkdir", "write_bytes", "read_bytes", "read_text", "rename", "is_dir"):
        watch(Path, name)
    watch(shutil, "rmtree")

    store = ReferenceStore(tmp_path / "references")
    wav = audio.wav_bytes(np.sin(np.linspace(0, 900, 16000)).astype(np.float32) * 0.3, 16000)
    ref = await store.add(wav, "a test tone", "tone", 60)
    got, stored = await store.get(ref.reference_id)
    assert got == ref and stored[:4] == b"RIFF"
    await store.delete(ref.reference_id)
    with pytest.raises(NotFound):
        await store.get(ref.reference_id)
    with pytest.raises(NotFound):
        await store.delete(ref.reference_id)

    touched = {name for name, _ in calls}
    assert {"mkdir", "write_bytes", "rename", "read_bytes", "rmtree"} <= touched
    on_loop = [name for name, on in calls if on]
    assert not on_loop, f"file work on the event loop: {on_loop}"
