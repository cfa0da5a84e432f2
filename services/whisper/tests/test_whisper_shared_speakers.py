"""Known speakers shared through a real nats-server: two application layers
(two replicas, each with its own NATS connection, as server.py opens it)
see one set of speakers: enrolled on one, listed, used for names and
deleted on the other; a name and the cap hold across them; a NATS that is
gone is UNAVAILABLE with a reason."""

from __future__ import annotations

import asyncio
import contextlib
import io
import secrets
import wave

import nats
import numpy as np
import pytest

from optivus_common.errors import InvalidArgument, NotFound, Unavailable
from optivus_common.media import MediaResolver, MediaSource
from optivus_testing import processes
from optivus_testing.whisper import FakeWhisperEngine, LoudnessSpeakerEncoder, word_audio
from optivus_whisper import shared_speakers
from optivus_whisper.app import WhisperApp
from optivus_whisper.config import WhisperSettings
from optivus_whisper.diarizer import Diarizer
from optivus_whisper.live import LiveConfig
from optivus_whisper.shared_speakers import SharedSpeakers, speaker_store
from optivus_whisper.transcript import Options

pytestmark = pytest.mark.integration

RATE = 16000


def clip(level: float, seconds: float = 3.0) -> MediaSource:
    """An enrolment clip as uploaded content: a steady tone at `level`."""
    samples = (np.sin(np.arange(int(seconds * RATE)) * 0.05) * level * 32767).astype("<i2")
    data = io.BytesIO()
    with wave.open(data, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(RATE)
        out.writeframes(samples.tobytes())
    return MediaSource(content=data.getvalue(), filename="clip.wav")


@contextlib.asynccontextmanager
async def replica(nats_url: str, bucket: str, folder, limit: int = 3):
    settings = WhisperSettings(data_dir=folder, model_cache=folder / "models", nats_url=nats_url,
                               speaker_bucket=bucket, max_known_speakers=limit)
    async with speaker_store(settings) as speakers:
        assert isinstance(speakers, SharedSpeakers)
        diarizer = Diarizer(LoudnessSpeakerEncoder(), 0.3, 4, 60, 0.8)
        yield WhisperApp(FakeWhisperEngine(), MediaResolver(settings), settings, diarizer, speakers)


@pytest.fixture
def bucket():
    return f"whisper-speakers-test-{secrets.token_hex(4)}"


async def live_speakers(app: WhisperApp) -> list[str]:
    """The speakers of a live session of quiet, loud, quiet words (the
    loudness encoder hears two voices)."""
    async def chunks():
        yield word_audio([0.1, 0.5, 0.1])

    updates = [u async for u in app.live(LiveConfig(Options(diarize=True)), chunks())]
    return [s.speaker for u in updates if u.is_final for s in u.segments]


async def test_a_speaker_enrolled_on_one_replica_is_known_to_the_other(nats_urls, tmp_path, bucket):
    async with replica(nats_urls[0], bucket, tmp_path / "a") as a, replica(nats_urls[0], bucket, tmp_path / "b") as b:
        alice = await a.enroll_speaker(clip(0.5), "Alice")
        assert [(s.speaker_id, s.name) for s in await b.list_speakers()] == [(alice.speaker_id, "Alice")]
        assert not (tmp_path / "a" / "speakers").exists()  # the bucket is the store, not a folder
        assert await live_speakers(b) == ["SPEAKER_00", "Alice", "SPEAKER_00"]

        await b.delete_speaker(alice.speaker_id)
        assert await a.list_speakers() == []
        assert await live_speakers(a) == ["SPEAKER_00", "SPEAKER_01", "SPEAKER_00"]
        with pytest.raises(NotFound) as err:
            await a.delete_speaker(alice.speaker_id)
        assert err.value.reason == "SPEAKER_NOT_FOUND"

        # The name is free again once its speaker is deleted.
        again = await a.enroll_speaker(clip(0.5), "alice")
        assert [s.name for s in await b.list_speakers()] == ["alice"] and again.speaker_id != alice.speaker_id


async def test_names_and_the_cap_hold_across_replicas(nats_urls, tmp_path, bucket):
    async with replica(nats_urls[0], bucket, tmp_path / "a") as a, replica(nats_urls[0], bucket, tmp_path / "b") as b:
        await a.enroll_speaker(clip(0.5), "Alice")
        with pytest.raises(InvalidArgument) as err:
            await b.enroll_speaker(clip(0.1), " ALICE ")
        assert err.value.reason == "SPEAKER_NAME_TAKEN"
        await b.enroll_speaker(clip(0.1), "Bob")
        await a.enroll_speaker(clip(0.2), "Carol")
        with pytest.raises(InvalidArgument) as err:
            await b.enroll_speaker(clip(0.2), "Dave")
        assert err.value.reason == "TOO_MANY_SPEAKERS"
        assert sorted(s.name for s in await a.list_speakers()) == ["Alice", "Bob", "Carol"]


async def test_replicas_enrolling_at_once_stay_within_the_cap(nats_urls, tmp_path, bucket):
    async with replica(nats_urls[0], bucket, tmp_path / "a", limit=2) as a, \
            replica(nats_urls[0], bucket, tmp_path / "b", limit=2) as b:
        results = await asyncio.gather(
            *[app.enroll_speaker(clip(0.1 + i / 10), f"S{i}")
              for i, app in enumerate([a, b, a, b, a, b])], return_exceptions=True)
        refused = [r for r in results if isinstance(r, Exception)]
        assert all(isinstance(r, InvalidArgument) and r.reason == "TOO_MANY_SPEAKERS" for r in refused), [
            (type(r).__name__, getattr(r, "reason", ""), str(r)) for r in refused]
        listed = await b.list_speakers()
        assert 1 <= len(listed) <= 2 and len(listed) == len(results) - len(refused)


async def test_bad_ids_never_reach_the_bucket(nats_urls, tmp_path, bucket):
    async with replica(nats_urls[0], bucket, tmp_path / "a") as a:
        for bad in ["../x", "id.>", "A" * 32, "*"]:
            with pytest.raises(InvalidArgument) as err:
                await a.delete_speaker(bad)
            assert err.value.reason == "INVALID_SPEAKER_ID"


async def test_a_nats_that_is_gone_is_unavailable_with_a_reason(tmp_path, bucket):
    with contextlib.ExitStack() as server:
        url, _ = server.enter_context(processes.running_nats(tmp_path / "nats"))
        async with replica(url, bucket, tmp_path / "a") as a:
            alice = await a.enroll_speaker(clip(0.5), "Alice")
            server.close()  # the nats-server stops; the replica's connection keeps trying
            for call in (a.list_speakers(), a.delete_speaker(alice.speaker_id),
                         a.enroll_speaker(clip(0.1), "Bob"), live_speakers(a)):
                with pytest.raises(Unavailable) as err:
                    await call
                assert err.value.reason == "SPEAKER_STORE_UNAVAILABLE"


async def test_a_name_left_claimed_by_a_replica_that_died_mid_enrolment_is_freed(nats_urls, tmp_path, bucket,
                                                                                  monkeypatch):
    async with replica(nats_urls[0], bucket, tmp_path / "a") as a:
        await a.enroll_speaker(clip(0.5), "Bob")
        # What a replica that died between claiming the name and writing its record leaves behind.
        nc = await nats.connect(nats_urls[0])
        try:
            kv = await nc.jetstream().key_value(bucket)
            await kv.create(shared_speakers._name_key("Alice"), b"0123456789abcdef0123456789abcdef")
        finally:
            await nc.close()
        with pytest.raises(InvalidArgument) as err:  # a fresh claim may still be an enrolment under way
            await a.enroll_speaker(clip(0.1), "Alice")
        assert err.value.reason == "SPEAKER_NAME_TAKEN"

    monkeypatch.setattr(shared_speakers, "ORPHAN_CLAIM_S", 0.0)  # the claim counts as old from now on
    async with replica(nats_urls[0], bucket, tmp_path / "b") as b:
        alice = await b.enroll_speaker(clip(0.1), "Alice")
        assert sorted(s.name for s in await b.list_speakers()) == ["Alice", "Bob"]
        with pytest.raises(InvalidArgument) as err:  # a name with its speaker is never taken over
            await b.enroll_speaker(clip(0.2), "bob")
        assert err.value.reason == "SPEAKER_NAME_TAKEN"
        await b.delete_speaker(alice.speaker_id)  # the claim is Alice's now: deleting her frees the name
        await b.enroll_speaker(clip(0.1), "Alice")
