"""Uploads (POST /v1/media, UploadService.UploadMedia) against fake
backends, without NATS (the gateway's upload folder): the media id works
as `file` in socket.io requests, belongs to the key that sent it, expires,
and an upload over the limit is refused while it is read, leaving nothing
on disk. The fake services read an existing file's text as its words."""

from __future__ import annotations

import hashlib
import json
import time

import aiohttp
import grpc
import pytest

from optivus.gateway.v1 import upload_service_pb2 as up_pb
from optivus.gateway.v1 import upload_service_pb2_grpc as up_grpc
from optivus_common.interceptors import error_info_from
from optivus_common.retention import Retention, sweep
from optivus_gateway.uploads.store import owned_by_uploads
from optivus_testing.fake_backends import fake_backends
from optivus_testing.gateway_harness import gateway_in_process
from optivus_testing.sockets import SocketClient

ALICE = "alice-key-0123456789abcdef"
BOB = "bob-key-0123456789abcdef"


@pytest.fixture
async def stack(tmp_path):
    async with fake_backends() as fakes:
        async with gateway_in_process(fakes.addresses, api_keys=f"alice:{ALICE},bob:{BOB}", upload_max_mb=1,
                                      data_dir=tmp_path / "data") as (url, gateway):
            yield url, gateway, fakes


def auth(key: str) -> dict:
    return {"Authorization": f"Bearer {key}"}


async def post(url: str, key: str, body, **kwargs) -> tuple[int, dict]:
    async with aiohttp.ClientSession() as session:
        async with session.post(f"{url}/v1/media", data=body, headers=auth(key), **kwargs) as reply:
            return reply.status, await reply.json()


def upload_files(gateway) -> list[str]:
    return sorted(p.name for p in gateway.settings.uploads_dir.iterdir())


async def test_an_upload_is_a_file_for_every_request(stack):
    url, gateway, fakes = stack
    status, body = await post(url, ALICE, b"hello from an upload", params={"filename": "talk.MP3"})
    assert status == 201, body
    media_id = body["media_id"]
    assert media_id.startswith("media:") and media_id.endswith(".mp3") and body["file"] == media_id
    assert body["size_bytes"] == 20 and body["sha256"] == hashlib.sha256(b"hello from an upload").hexdigest()
    assert body["filename"] == "talk.MP3" and body["expires_at"].endswith("Z")
    stored = gateway.settings.uploads_dir / media_id.removeprefix("media:")
    assert stored.read_bytes() == b"hello from an upload" and body["media"] == {
        "path": str(stored), "filename": "talk.MP3", "mime_type": "application/octet-stream"}
    async with SocketClient(url, auth={"token": ALICE}) as client:
        reply = await client.ask({"type": "whisp", "file": media_id})
        assert reply["status"] == "200" and reply["data"]["file"] == media_id
        assert reply["data"]["transcribe_audio"]["text"] == "hello from an upload"
        batch = await client.ask({"type": "flrnc", "data": [{"file": media_id}, {"file": "/data/red_car.png"}]})
        assert [i["transcribe_video"][0]["text"] for i in batch["data"]["data"][:1]] == ["hello"]
        voice = await client.ask({"type": "fish", "text": "hi", "references": [{"audio": media_id, "text": "x"}]})
        assert voice["status"] == "200"
    assert fakes.servicers["whisper"].recorder.requests[0].audio.path == str(stored)
    assert fakes.servicers["fish"].recorder.requests[-1].references[0].audio.path == str(stored)


async def test_multipart_upload(stack):
    url, _, _ = stack
    form = aiohttp.FormData()
    form.add_field("purpose", "media")
    form.add_field("file", b"multipart words", filename="clip.wav", content_type="audio/wav")
    status, body = await post(url, ALICE, form)
    assert status == 201 and body["size_bytes"] == 15 and body["mime_type"] == "audio/wav"
    assert body["media_id"].endswith(".wav")


async def test_an_upload_belongs_to_its_key(stack):
    url, _, fakes = stack
    _, body = await post(url, ALICE, b"private words")
    media_id = body["media_id"]
    async with SocketClient(url, auth={"token": BOB}) as client:
        reply = await client.ask({"type": "whisp", "file": media_id, "id": 1})
    assert reply["status"] == "404" and "no upload" in reply["data"]["error"] and reply["data"]["id"] == 1
    assert fakes.servicers["whisper"].recorder.requests == []
    async with aiohttp.ClientSession() as session:
        async with session.get(f"{url}/v1/media/{media_id}", headers=auth(BOB)) as theirs:
            assert theirs.status == 404
        async with session.delete(f"{url}/v1/media/{media_id}", headers=auth(BOB)) as theirs:
            assert theirs.status == 404
        async with session.get(f"{url}/v1/media/{media_id}", headers=auth(ALICE)) as mine:
            assert mine.status == 200 and (await mine.json())["size_bytes"] == 13
        async with session.delete(f"{url}/v1/media/{media_id}", headers=auth(ALICE)) as mine:
            assert mine.status == 200
        async with session.get(f"{url}/v1/media/{media_id}", headers=auth(ALICE)) as gone:
            assert gone.status == 404


async def test_an_expired_upload_is_gone(stack):
    url, gateway, _ = stack
    _, body = await post(url, ALICE, b"old words")
    hex_id = body["media_id"].removeprefix("media:").split(".")[0]
    record = gateway.settings.uploads_dir / f"{hex_id}.json"
    fields = json.loads(record.read_text())
    fields["created"] = time.time() - gateway.uploads.ttl_s - 1
    record.write_text(json.dumps(fields))
    async with SocketClient(url, auth={"token": ALICE}) as client:
        reply = await client.ask({"type": "whisp", "file": body["media_id"]})
    assert reply["status"] == "404" and "expire" in reply["data"]["error"]


async def test_the_sweep_removes_expired_uploads_and_nothing_else(stack):
    url, gateway, _ = stack
    await post(url, ALICE, b"to be swept")
    folder = gateway.settings.uploads_dir
    (folder / "notes.txt").write_text("not an upload")
    swept = sweep(folder, Retention(max_age_s=gateway.uploads.ttl_s, max_bytes=0), owned_by_uploads,
                  now=time.time() + gateway.uploads.ttl_s + 1)
    assert swept.files == 2 and upload_files(gateway) == ["notes.txt"]  # the upload and its record


async def test_an_upload_over_the_limit_is_refused_as_it_is_read(stack):
    url, gateway, _ = stack
    # Declared too large: refused before a byte is read.
    status, body = await post(url, ALICE, b"x" * (2 * 1024 * 1024))
    assert status == 413 and "1 MB limit" in body["error"]["message"]

    async def endless():
        for _ in range(64):  # 4 MB in 64 KB chunks, no Content-Length: only reading tells the size
            yield b"y" * 65536

    status, body = await post(url, ALICE, endless())
    assert status == 413 and body["error"]["code"] == "upload_too_large"
    assert upload_files(gateway) == []  # no partial file left
    form = aiohttp.FormData()
    form.add_field("file", endless(), filename="big.wav")
    status, body = await post(url, ALICE, form)
    assert status == 413 and upload_files(gateway) == []
    assert (await post(url, ALICE, b"small"))[0] == 201


@pytest.mark.parametrize("body, headers, message", [
    (b"", {}, "empty"),
    (b"--x\r\n", {"Content-Type": "multipart/form-data; boundary=x"}, "file"),
    (b"--x\r\nContent-Disposition: form-data; name=\"other\"; filename=\"a\"\r\n\r\nab\r\n--x--\r\n",
     {"Content-Type": "multipart/form-data; boundary=x"}, "only one file"),
])
async def test_bad_uploads_get_a_clear_error(stack, body, headers, message):
    url, gateway, _ = stack
    async with aiohttp.ClientSession() as session:
        async with session.post(f"{url}/v1/media", data=body, headers={**auth(ALICE), **headers}) as reply:
            assert reply.status == 400 and message in (await reply.json())["error"]["message"]
    assert upload_files(gateway) == []


@pytest.mark.parametrize("file", ["media:../../etc/passwd", "media:" + "a" * 31, "media:" + "g" * 32])
async def test_a_malformed_media_id_is_a_400(stack, file):
    url, _, fakes = stack
    async with SocketClient(url, auth={"token": ALICE}) as client:
        reply = await client.ask({"type": "whisp", "file": file})
    assert reply["status"] == "400" and "a media id is" in reply["data"]["error"]
    assert fakes.servicers["whisper"].recorder.requests == []


async def grpc_upload(port: int, key: str, parts, filename="a.wav", size=0):
    async def requests():
        yield up_pb.UploadMediaRequest(metadata=up_pb.UploadMetadata(filename=filename, size_bytes=size))
        for part in parts:
            yield up_pb.UploadMediaRequest(chunk=part)

    async with grpc.aio.insecure_channel(f"127.0.0.1:{port}") as channel:
        return await up_grpc.UploadServiceStub(channel).UploadMedia(
            requests(), metadata=(("authorization", f"Bearer {key}"),))


async def test_grpc_upload_and_its_limits(stack):
    url, gateway, _ = stack
    reply = await grpc_upload(gateway.grpc_port, ALICE, [b"words ", b"sent over ", b"grpc"], size=20)
    assert reply.size_bytes == 20 and reply.sha256 == hashlib.sha256(b"words sent over grpc").hexdigest()
    assert reply.media.path.startswith(str(gateway.settings.uploads_dir)) and reply.media_id.endswith(".wav")
    assert reply.expire_time.seconds > time.time()
    async with SocketClient(url, auth={"token": ALICE}) as client:
        said = await client.ask({"type": "whisp", "file": reply.media_id})
    assert said["data"]["transcribe_audio"]["text"] == "words sent over grpc"
    before = upload_files(gateway)
    for parts, size, code, reason in [
        ([b"z" * 500_000] * 3, 0, grpc.StatusCode.RESOURCE_EXHAUSTED, "UPLOAD_TOO_LARGE"),
        ([b"z"], 5 * 1024 * 1024, grpc.StatusCode.RESOURCE_EXHAUSTED, "UPLOAD_TOO_LARGE"),
        ([b"abc"], 4, grpc.StatusCode.INVALID_ARGUMENT, "SIZE_MISMATCH"),
    ]:
        with pytest.raises(grpc.aio.AioRpcError) as failed:
            await grpc_upload(gateway.grpc_port, ALICE, parts, size=size)
        assert failed.value.code() == code and error_info_from(failed.value).reason == reason
    assert upload_files(gateway) == before


@pytest.mark.integration
async def test_with_nats_an_upload_is_a_blob(nats_urls, tmp_path):
    from optivus_common.blobs import BlobStore

    async with fake_backends(["whisper"]) as fakes:
        async with gateway_in_process(fakes.addresses, nats_url=nats_urls[0], api_keys=f"alice:{ALICE},bob:{BOB}",
                                      data_dir=tmp_path / "data", upload_max_mb=1) as (url, gateway):
            status, body = await post(url, ALICE, b"blob words", params={"filename": "b.ogg"})
            assert status == 201 and set(body["media"]) == {"blob_key", "filename", "mime_type"}
            key = body["media"]["blob_key"]
            blobs = BlobStore(gateway.pipeline.js, gateway.settings.blob_bucket)
            fetched = await blobs.get_to_file(key, tmp_path / "fetched")
            assert fetched.read_bytes() == b"blob words"
            async with SocketClient(url, auth={"token": ALICE}) as client:
                reply = await client.ask({"type": "whisp", "file": body["media_id"]})
            assert reply["status"] == "200"
            assert fakes.servicers["whisper"].recorder.requests[-1].audio.blob_key == key
            async with SocketClient(url, auth={"token": BOB}) as client:
                theirs = await client.ask({"type": "whisp", "file": body["media_id"]})
            assert theirs["status"] == "404"
            status, _ = await post(url, ALICE, b"x" * (2 * 1024 * 1024))
            assert status == 413
            assert not list((tmp_path / "data" / "tmp").iterdir())  # no spool left behind
            async with aiohttp.ClientSession() as session:
                async with session.delete(f"{url}/v1/media/{body['media_id']}", headers=auth(ALICE)) as gone:
                    assert gone.status == 200
            with pytest.raises(Exception, match="blob not found"):
                await blobs.get_to_file(key, tmp_path / "again")


@pytest.mark.parametrize("fields, message", [
    ([("f", "x")] * 70, "at most 64 fields"),
    ([("prompt", "x" * 70_000)], "longer than 64 KB"),
])
async def test_multipart_forms_are_bounded(stack, fields, message):
    url, gateway, _ = stack
    form = aiohttp.FormData()
    for name, value in fields:
        form.add_field(name, value)
    form.add_field("file", b"words", filename="a.wav")
    status, body = await post(url, ALICE, form)
    assert status == 400 and message in body["error"]["message"]
    assert upload_files(gateway) == []


async def test_a_broken_multipart_body_is_a_400(stack):
    url, gateway, _ = stack
    async with aiohttp.ClientSession() as session:
        async with session.post(f"{url}/v1/media", data=b"--x\r\nnot a header line\r\n\r\n" + b"z" * 100,
                                headers={**auth(ALICE), "Content-Type": "multipart/form-data; boundary=x"}) as reply:
            assert reply.status == 400, await reply.text()
    assert upload_files(gateway) == []
