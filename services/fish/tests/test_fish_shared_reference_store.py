"""The shared reference store on a real nats-server: a replica that lacks
the local copy fetches the audio from the object store; a copy lost
locally is fetched again; delete removes the index entry, the audio and
the copies."""

from __future__ import annotations

import secrets
import shutil
from datetime import datetime, timezone

import nats
import numpy as np
import pytest

from optivus_common.errors import NotFound
from optivus_fish import audio
from optivus_fish.references import FolderReferences, Reference, new_id
from optivus_fish.shared_references import SharedReferences

pytestmark = pytest.mark.integration


async def test_reference_reaches_another_replica_through_the_shared_store(nats_urls, tmp_path):
    wav = audio.wav_bytes(np.sin(np.linspace(0, 900, 16000)).astype(np.float32) * 0.3, 16000)
    ref = Reference(new_id(), "voice", "a test tone", 1.0, datetime.now(timezone.utc), len(wav))
    nc = await nats.connect(nats_urls[0])
    try:
        bucket = f"fish-ref-test-{secrets.token_hex(4)}"
        here = await SharedReferences.open(nc.jetstream(), bucket, FolderReferences(tmp_path / "a" / "references"))
        there = await SharedReferences.open(nc.jetstream(), bucket, FolderReferences(tmp_path / "b" / "references"))
        await here.add(ref, wav)
        assert await there.cache.ids() == []
        assert await there.get(ref.reference_id) == (ref, wav)
        assert await there.cache.ids() == [ref.reference_id]
        assert await there.list_all() == [ref]

        shutil.rmtree(here.cache.root / ref.reference_id)  # lost locally: fetched again
        assert await here.get(ref.reference_id) == (ref, wav)

        await here.delete(ref.reference_id)
        for store in (here, there):
            with pytest.raises(NotFound):
                await store.get(ref.reference_id)
            with pytest.raises(NotFound):
                await store.delete(ref.reference_id)
            assert await store.cache.ids() == []
        js = nc.jetstream()
        assert (await js.stream_info(f"KV_{bucket}")).state.messages == 0  # no delete marker left behind
        assert (await js.stream_info(f"OBJ_{bucket}")).state.messages == 0
    finally:
        await nc.close()
