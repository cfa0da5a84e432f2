"""API keys and per-key limits on the gateway's three doors (socket.io,
HTTP, gRPC), against fake backends: no key, a wrong key and a right key;
the rate limit and the concurrency limit reached ("429" on socket.io and
HTTP, RESOURCE_EXHAUSTED on gRPC); and the open gateway when no key is
configured."""

from __future__ import annotations

import aiohttp
import grpc
import pytest
import socketio

from optivus.gateway.v1 import upload_service_pb2 as up_pb
from optivus.gateway.v1 import upload_service_pb2_grpc as up_grpc
from optivus_common.interceptors import error_info_from
from optivus_gateway.access.keys import ApiKeys
from optivus_testing.fake_backends import fake_backends
from optivus_testing.gateway_harness import gateway_in_process
from optivus_testing.sockets import SocketClient, eventually

ALICE = "alice-key-0123456789abcdef"
BOB = "bob-key-0123456789abcdef"


@pytest.fixture
async def keyed(tmp_path):
    keys = tmp_path / "keys.txt"
    keys.write_text(f"# the gateway's keys\nalice:{ALICE}\nbob:{BOB} concurrent=1 rate=3\n")
    async with fake_backends() as fakes:
        async with gateway_in_process(fakes.addresses, api_keys_file=keys, data_dir=tmp_path / "data") as (url, gw):
            yield url, gw, fakes


def bearer(key: str | None) -> dict:
    return {"Authorization": f"Bearer {key}"} if key else {}


async def http_models(url: str, key: str | None) -> aiohttp.ClientResponse:
    async with aiohttp.ClientSession() as session:
        async with session.get(f"{url}/v1/models", headers=bearer(key)) as reply:
            await reply.read()
            return reply


async def grpc_upload(port: int, key: str | None) -> up_pb.UploadMediaResponse:
    async def requests():
        yield up_pb.UploadMediaRequest(metadata=up_pb.UploadMetadata(filename="a.txt"))
        yield up_pb.UploadMediaRequest(chunk=b"hello")

    metadata = (("authorization", f"Bearer {key}"),) if key else ()
    async with grpc.aio.insecure_channel(f"127.0.0.1:{port}") as channel:
        return await up_grpc.UploadServiceStub(channel).UploadMedia(requests(), metadata=metadata)


@pytest.mark.parametrize("key", [None, "not-a-key-of-this-server-at-all"])
async def test_no_key_or_a_wrong_key_is_refused_at_every_door(keyed, key):
    url, gateway, fakes = keyed
    client = SocketClient(url, auth={"token": key} if key else None)
    with pytest.raises(socketio.exceptions.ConnectionError):
        await client.__aenter__()
    assert "API key" in client.refusal["message"]
    reply = await http_models(url, key)
    assert reply.status == 401 and reply.headers["WWW-Authenticate"] == "Bearer"
    with pytest.raises(grpc.aio.AioRpcError) as failed:
        await grpc_upload(gateway.grpc_port, key)
    assert failed.value.code() == grpc.StatusCode.UNAUTHENTICATED
    assert error_info_from(failed.value).reason == ("API_KEY_MISSING" if key is None else "API_KEY_INVALID")
    assert fakes.servicers["whisper"].recorder.requests == []


async def test_the_right_key_opens_every_door(keyed):
    url, gateway, _ = keyed
    async with SocketClient(url, auth={"token": ALICE}) as client:
        assert (await client.ask({"type": "whisp", "file": "/data/ok.mp3"}))["status"] == "200"
    async with SocketClient(f"{url}?token={ALICE}") as client:  # the query string, for clients without auth
        assert (await client.ask({"type": "whisp", "file": "/data/ok.mp3"}))["status"] == "200"
    assert (await http_models(url, ALICE)).status == 200
    uploaded = await grpc_upload(gateway.grpc_port, ALICE)
    assert uploaded.size_bytes == 5 and uploaded.media_id.startswith("media:")


async def test_health_and_the_page_need_no_key(keyed):
    url, gateway, _ = keyed
    async with aiohttp.ClientSession() as session:
        for path in ("/healthz", "/", "/static/app.js"):
            async with session.get(url + path) as reply:
                assert reply.status == 200, path
    from grpc_health.v1 import health_pb2, health_pb2_grpc
    async with grpc.aio.insecure_channel(f"127.0.0.1:{gateway.grpc_port}") as channel:
        state = await health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest())
    assert state.status == health_pb2.HealthCheckResponse.SERVING


async def test_the_rate_limit_is_per_key_over_every_door(keyed):
    url, gateway, _ = keyed
    async with SocketClient(url, auth={"token": BOB}) as client:
        assert (await client.ask({"type": "whisp", "file": "/data/one.mp3"}))["status"] == "200"
        assert (await http_models(url, BOB)).status == 200
        await grpc_upload(gateway.grpc_port, BOB)  # bob's third request this minute
        refused = await client.ask({"type": "whisp", "file": "/data/four.mp3", "id": 4})
        assert refused["status"] == "429" and refused["data"]["id"] == 4
        assert "3 requests a minute" in refused["data"]["error"]
    http = await http_models(url, BOB)
    assert http.status == 429 and int(http.headers["Retry-After"]) >= 1
    with pytest.raises(grpc.aio.AioRpcError) as failed:
        await grpc_upload(gateway.grpc_port, BOB)
    assert failed.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
    assert error_info_from(failed.value).reason == "RATE_LIMITED"
    assert (await http_models(url, ALICE)).status == 200  # another key is not held back


async def test_the_concurrency_limit_is_per_key_across_connections(keyed):
    url, gateway, fakes = keyed
    recorder = fakes.servicers["whisper"].recorder
    async with SocketClient(url, auth={"token": BOB}) as first, SocketClient(url, auth={"token": BOB}) as second:
        await first.sio.emit("message", {"type": "whisp", "file": "/data/slow_one.mp3"})
        await eventually(lambda: recorder.started.is_set(), what="the slow call in the service")
        refused = await second.ask({"type": "whisp", "file": "/data/two.mp3"})
        assert refused["status"] == "429" and "1 requests in flight" in refused["data"]["error"]
        http = await http_models(url, BOB)
        assert http.status == 429
        assert gateway.access.limits.active(gateway.access.keys.identify(BOB)) == 1
    await eventually(lambda: recorder.cancelled == 1, what="the slow call cancelled on disconnect")
    await eventually(lambda: gateway.access.limits.active(gateway.access.keys.identify(BOB)) == 0,
                     what="bob's slot released")


async def test_an_open_gateway_needs_no_key():
    async with fake_backends(["whisper"]) as fakes:
        async with gateway_in_process(fakes.addresses) as (url, gateway):
            assert gateway.access.keys.open
            assert (await http_models(url, None)).status == 200
            uploaded = await grpc_upload(gateway.grpc_port, None)
            assert uploaded.size_bytes == 5


@pytest.mark.parametrize("line, message", [
    ("short", "at least 16"),
    ("bad name:0123456789abcdefgh", "at least 16"),
    ("ok:0123456789abcdefgh speed=3", "unknown option"),
    ("ok!:0123456789abcdefgh", "name may hold"),
])
def test_bad_key_entries_stop_the_start(line, message):
    with pytest.raises(ValueError, match=message):
        ApiKeys.load(line, None, 4, 60)


def test_keys_from_the_setting_and_their_names():
    keys = ApiKeys.load(f"carol:{ALICE}, {BOB}", None, 4, 60)
    assert keys.identify(ALICE).id == "carol" and keys.identify(BOB).id.startswith("key-")
    assert BOB not in keys.identify(BOB).id


@pytest.mark.parametrize("origin, status", [("http://evil.example", 403), ("http://localhost:3000", 201), (None, 201)])
async def test_http_from_a_foreign_page_is_refused(origin, status, tmp_path):
    async with gateway_in_process({}, data_dir=tmp_path) as (url, gateway):
        headers = {"Origin": origin} if origin else {}
        async with aiohttp.ClientSession() as session:
            async with session.post(f"{url}/v1/media", data=b"bytes", headers=headers) as reply:
                assert reply.status == status
        assert len(list(gateway.settings.uploads_dir.iterdir())) == (0 if status == 403 else 2)
