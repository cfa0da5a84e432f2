"""ListReferences answers a page at a time (AIP-158): page_size is capped,
page tokens are checked, and paging goes on past a deleted reference."""

from __future__ import annotations

import base64

import grpc
import numpy as np
import pytest
from fish_testkit import error_reason, fake_engines, tts_server

from optivus.media.v1 import media_ref_pb2
from optivus.tts.v1 import tts_service_pb2 as pb
from optivus_fish import app as fish_app
from optivus_fish import audio
from optivus_fish.config import FishSettings


@pytest.fixture
async def stub_and_ids(tmp_path):
    data = tmp_path / "data"
    settings = FishSettings(data_dir=data, path_video=data / "videos", fs_path=data / "fs_audio",
                            model_cache=tmp_path / "models", model="")
    data.mkdir()
    path = data / "voice.wav"
    path.write_bytes(audio.wav_bytes(0.3 * np.sin(np.linspace(0, 3000, 16000)).astype(np.float32), 16000))
    async with tts_server(settings, fake_engines(settings)) as (stub, _):
        ids = []
        for i in range(5):
            ids.append((await stub.AddReference(pb.AddReferenceRequest(reference=pb.ReferenceAudio(
                audio=media_ref_pb2.MediaRef(path=str(path)), text=f"voice {i}")))).reference.reference_id)
        yield stub, ids


async def pages(stub, page_size: int) -> list[list[str]]:
    out, token = [], ""
    while True:
        reply = await stub.ListReferences(pb.ListReferencesRequest(page_size=page_size, page_token=token))
        out.append([r.reference_id for r in reply.references])
        token = reply.next_page_token
        if not token:
            return out


async def test_pages_in_order(stub_and_ids):
    stub, ids = stub_and_ids
    assert await pages(stub, 2) == [ids[0:2], ids[2:4], ids[4:]]
    assert await pages(stub, 5) == [ids]
    assert await pages(stub, 0) == [ids]  # 0: the default page size


async def test_page_size_is_capped(stub_and_ids, monkeypatch):
    stub, ids = stub_and_ids
    monkeypatch.setattr(fish_app, "MAX_PAGE_SIZE", 3)
    assert await pages(stub, 1_000_000) == [ids[:3], ids[3:]]
    assert fish_app.DEFAULT_PAGE_SIZE <= 100


async def test_paging_goes_on_past_a_deleted_reference(stub_and_ids):
    stub, ids = stub_and_ids
    first = await stub.ListReferences(pb.ListReferencesRequest(page_size=2))
    await stub.DeleteReference(pb.DeleteReferenceRequest(reference_id=ids[1]))
    rest = await stub.ListReferences(pb.ListReferencesRequest(page_size=10, page_token=first.next_page_token))
    assert [r.reference_id for r in rest.references] == ids[2:] and rest.next_page_token == ""


@pytest.mark.parametrize("page_size, token, reason", [
    (-1, "", "INVALID_PAGE_SIZE"),
    (2, "not a token", "INVALID_PAGE_TOKEN"),
    (2, "x" * 100_000, "INVALID_PAGE_TOKEN"),
    (2, base64.urlsafe_b64encode(b'["2026-01-01T00:00:00+00:00", "../../etc"]').decode(), "INVALID_PAGE_TOKEN"),
    (2, base64.urlsafe_b64encode(b'["yesterday", "' + b"0" * 32 + b'"]').decode(), "INVALID_PAGE_TOKEN"),
    (2, base64.urlsafe_b64encode(b'{"a": 1}').decode(), "INVALID_PAGE_TOKEN"),
])
async def test_bad_paging_is_invalid(stub_and_ids, page_size, token, reason):
    stub, _ = stub_and_ids
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await stub.ListReferences(pb.ListReferencesRequest(page_size=page_size, page_token=token))
    assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT and error_reason(err.value) == reason
    assert len(err.value.details()) < 200
