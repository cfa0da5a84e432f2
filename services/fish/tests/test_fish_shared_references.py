"""Saved references with NATS (a real nats-server): two service instances
(two apps, each with its own FS_PATH) share one store. The key-value index
is the truth: both list the same references, and a reference deleted on
one is gone on the other, even where the other holds a local copy."""

from __future__ import annotations

import contextlib
import secrets

import numpy as np
import pytest
from fish_testkit import fake_engines

from optivus_common.errors import NotFound, ResourceExhausted
from optivus_common.media import MediaSource
from optivus_fish import audio
from optivus_fish.app import SynthesisRequest
from optivus_fish.app_runtime import running_app
from optivus_fish.config import FishSettings

pytestmark = pytest.mark.integration


@pytest.fixture
def voice(tmp_path) -> MediaSource:
    (tmp_path / "data").mkdir()
    path = tmp_path / "data" / "voice.wav"
    path.write_bytes(audio.wav_bytes(0.3 * np.sin(np.linspace(0, 3000, 32000)).astype(np.float32), 16000))
    return MediaSource(path=str(path))


@contextlib.asynccontextmanager
async def replicas(nats_url: str, tmp_path, **overrides):
    """Two app instances on one nats-server, a fresh bucket per test."""
    bucket = f"refs-{secrets.token_hex(4)}"
    async with contextlib.AsyncExitStack() as stack:
        apps = []
        for name in ("a", "b"):
            s = FishSettings(data_dir=tmp_path / "data", path_video=tmp_path / "data" / "videos",
                             fs_path=tmp_path / name / "fs_audio", model_cache=tmp_path / "models", model="",
                             nats_url=nats_url, reference_bucket=bucket, service_name=f"fish-{name}", **overrides)
            engines = fake_engines(s)
            apps.append((await stack.enter_async_context(running_app(s, engines)), engines, s))
        yield apps


async def speak_with(app, reference_id: str) -> None:
    async for _ in app.synthesize(SynthesisRequest(text="In that voice.", reference_id=reference_id)):
        pass


async def listed(app) -> list[str]:
    return [r.reference_id for r in (await app.list_references()).references]


async def test_both_replicas_see_one_store_and_a_delete_reaches_both(nats_urls, tmp_path, voice):
    async with replicas(nats_urls[0], tmp_path) as ((a, a_engines, a_settings), (b, b_engines, b_settings)):
        ref = await a.add_reference(voice, "a tone", "tone")
        other = await b.add_reference(voice, "the same tone", "again")
        assert await listed(a) == await listed(b) == [ref.reference_id, other.reference_id]

        await speak_with(b, ref.reference_id)  # b fetches the audio and keeps a local copy
        (_, clips, _), = b_engines.fish.calls
        assert clips[0].text == "a tone" and clips[0].wav[:4] == b"RIFF"
        b_copy = b_settings.fs_path / "references" / ref.reference_id
        assert (b_copy / "audio.wav").read_bytes() == clips[0].wav

        await a.delete_reference(ref.reference_id)
        assert await listed(a) == await listed(b) == [other.reference_id]
        with pytest.raises(NotFound) as err:
            await speak_with(b, ref.reference_id)  # the local copy does not bring it back
        assert err.value.reason == "REFERENCE_NOT_FOUND"
        assert not b_copy.exists()
        with pytest.raises(NotFound):
            await b.delete_reference(ref.reference_id)
        assert len(b_engines.fish.calls) == 1


async def test_a_replica_deletes_what_it_never_held(nats_urls, tmp_path, voice):
    async with replicas(nats_urls[0], tmp_path) as ((a, *_), (b, *_)):
        ref = await a.add_reference(voice, "a tone")
        await b.delete_reference(ref.reference_id)
        for app in (a, b):
            with pytest.raises(NotFound):
                await speak_with(app, ref.reference_id)
            assert await listed(app) == []


async def test_stale_copies_are_tidied_away(nats_urls, tmp_path, voice):
    async with replicas(nats_urls[0], tmp_path) as ((a, *_), (b, _, b_settings)):
        gone = await a.add_reference(voice, "a tone")
        kept = await a.add_reference(voice, "another tone")
        for ref in (gone, kept):
            await speak_with(b, ref.reference_id)
        await a.delete_reference(gone.reference_id)
        cache = b_settings.fs_path / "references"
        assert (cache / gone.reference_id).exists()  # b was not asked since
        await b.tidy()
        assert sorted(p.name for p in cache.iterdir()) == [kept.reference_id]


async def test_the_store_caps_count_across_replicas(nats_urls, tmp_path, voice):
    async with replicas(nats_urls[0], tmp_path, max_references=2) as ((a, *_), (b, *_)):
        first = await a.add_reference(voice, "one")
        await b.add_reference(voice, "two")
        with pytest.raises(ResourceExhausted) as err:
            await a.add_reference(voice, "three")
        assert err.value.reason == "REFERENCE_STORE_FULL"
        await b.delete_reference(first.reference_id)
        await a.add_reference(voice, "three")
