"""Saved references in the NATS object store (real nats-server): a replica
that lacks the folder fetches it from the store; delete removes both."""

from __future__ import annotations

import shutil

import nats
import pytest

from optivus_common.blobs import BlobStore
from optivus_common.errors import NotFound
from optivus_fish.references import ReferenceStore

pytestmark = pytest.mark.integration


async def test_reference_reaches_another_replica_through_the_blob_store(nats_urls, tmp_path, speech):
    path, text = speech[4]
    nc = await nats.connect(nats_urls[0])
    try:
        blobs = BlobStore(nc.jetstream(), "fish-ref-test")
        here = ReferenceStore(tmp_path / "a" / "references", blobs)
        there = ReferenceStore(tmp_path / "b" / "references", blobs)
        ref = await here.add(path.read_bytes(), text, "voice", 60)
        assert there.list() == []
        got, wav = await there.get(ref.reference_id)
        assert got == ref and wav == (here.root / ref.reference_id / "audio.wav").read_bytes()
        assert [r.reference_id for r in there.list()] == [ref.reference_id]

        shutil.rmtree(here.root / ref.reference_id)  # lost locally: still deletable
        await here.delete(ref.reference_id)
        await there.delete(ref.reference_id)
        for store in (here, there):
            with pytest.raises(NotFound):
                await store.get(ref.reference_id)
    finally:
        await nc.close()
