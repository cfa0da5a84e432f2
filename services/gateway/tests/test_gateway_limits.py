"""Issue #9's gateway items, each first reproduced against the old code:
a huge batch, unbounded attachments, malformed frames that got no reply,
NaN in and out, too many requests in flight on one connection, calls left
running after a disconnect, and any web page driving a local gateway."""

from __future__ import annotations

import json

import aiohttp
import pytest

from optivus_gateway.wire import StrictJson
from optivus_testing.fake_backends import fake_backends
from optivus_testing.gateway_harness import gateway_in_process
from optivus_testing.raw_socketio import raw_socket
from optivus_testing.sockets import SocketClient, eventually


@pytest.fixture
async def stack():
    async with fake_backends() as fakes:
        async with gateway_in_process(fakes.addresses, max_inflight_per_connection=3, max_message_mb=2,
                                      max_attachments=4) as (url, gateway):
            yield url, fakes, gateway


async def still_answers(url: str) -> None:
    async with SocketClient(url) as client:
        assert (await client.ask({"type": "whisp", "file": "/data/fine.mp3"}))["status"] == "200"


async def test_a_batch_over_the_cap_is_refused_before_any_call_and_not_echoed(stack):
    url, fakes, _ = stack
    async with SocketClient(url) as client:
        reply = await client.ask({"type": "whisp", "id": 1, "data": [0] * 500_000})  # about 1 MB of JSON
    assert reply["status"] == "400" and "at most 100" in reply["data"]["error"]
    assert reply["data"] == {"type": "whisp", "id": 1, "error": reply["data"]["error"]}
    assert fakes.servicers["whisper"].recorder.requests == []
    await still_answers(url)


async def test_an_event_without_a_payload_gets_a_400(stack):
    url, _, _ = stack
    async with raw_socket(url) as sock:
        await sock.send_packet('2["message"]')
        reply = await sock.next_message()
        assert reply["status"] == "400" and "has no payload" in reply["data"]["error"]
        for bad in ('2{"type":"whisp"}', "2[]", "2[5]", '2["message",{"a":1}', "2[NaN]"):
            await sock.send_packet(bad)
            reply = await sock.next_message()
            assert reply is not None and reply["status"] == "400", bad
        await sock.send_packet('2["message",{"type":"whisp","file":"/data/ok.mp3"}]')
        assert (await sock.next_message())["status"] == "200"


async def test_deep_nesting_and_nan_are_refused(stack):
    url, _, _ = stack
    async with raw_socket(url) as sock:
        await sock.send_packet('2["message",' + "[" * 5000 + "]" * 5000 + "]")
        reply = await sock.next_message()
        assert reply["status"] == "400" and "nests deeper" in reply["data"]["error"]
        await sock.send_packet('2["message",{"type":"whisp","file":"/data/a.mp3","beam_size":NaN}]')
        reply = await sock.next_message()
        assert reply["status"] == "400" and "not valid JSON" in reply["data"]["error"]
        await sock.send_packet('2["message",{"type":"whisp","file":"/data/a.mp3","x":Infinity}]')
        assert (await sock.next_message())["status"] == "400"
    await still_answers(url)


def test_replies_never_carry_nan_or_infinity():
    text = StrictJson.dumps({"a": float("nan"), "b": [1.5, float("inf")], "c": {"d": -float("inf")}})
    assert json.loads(text) == {"a": None, "b": [1.5, None], "c": {"d": None}}


async def test_too_many_declared_attachments_are_refused_and_the_client_dropped(stack):
    url, _, _ = stack
    async with raw_socket(url) as sock:
        await sock.send_packet('5300000000-["message",{"_placeholder":true,"num":0}]')
        reply = await sock.next_message()
        assert reply["status"] == "400" and "at most 4 binary attachments" in reply["data"]["error"]
        assert await sock.closed()
    await still_answers(url)


async def test_attachments_larger_than_the_message_limit_are_refused(stack):
    url, _, _ = stack
    async with raw_socket(url) as sock:
        await sock.send_packet('54-["message",{"type":"fish","reference_audio":{"_placeholder":true,"num":0}}]')
        chunk = b"\0" * (1024 * 1024 - 64)  # under the 2 MB frame limit; the sum is not
        for _ in range(3):
            await sock.send_binary(chunk)
        reply = await sock.next_message()
        assert reply["status"] == "400" and "attachments are larger than 2 MB" in reply["data"]["error"]
        assert await sock.closed()
    await still_answers(url)


async def test_in_flight_requests_are_capped_per_connection_and_cancelled_on_disconnect(stack):
    url, fakes, gateway = stack
    recorder = fakes.servicers["whisper"].recorder
    client = SocketClient(url)
    await client.__aenter__()
    for i in range(3):
        await client.sio.emit("message", {"type": "whisp", "file": f"/data/slow_{i}.mp3"})
    reply = await client.ask({"type": "whisp", "file": "/data/one_more.mp3", "id": "4th"})
    assert reply["status"] == "429" and reply["data"]["id"] == "4th" and "in flight" in reply["data"]["error"]
    await eventually(lambda: len(recorder.requests) == 3, what="three calls in the service")
    sid = client.sio.get_sid()
    await client.__aexit__()
    await eventually(lambda: recorder.cancelled == 3, what="the three calls cancelled in the service")
    assert gateway.inflight.count(sid) == 0
    await still_answers(url)


@pytest.mark.parametrize("origin, allowed", [
    ("http://evil.example", False),
    ("https://localhost.evil.example", False),
    ("null", False),
    ("http://localhost:3000", True),
    ("http://127.0.0.1:8080", True),
])
async def test_browser_origins(stack, origin, allowed):
    url, _, _ = stack
    if allowed:
        async with raw_socket(url, origin=origin) as sock:
            await sock.send_packet('2["message",{"type":"whisp","file":"/data/ok.mp3"}]')
            assert (await sock.next_message())["status"] == "200"
    else:
        with pytest.raises(aiohttp.WSServerHandshakeError):
            async with raw_socket(url, origin=origin):
                pass
    async with aiohttp.ClientSession() as session:
        async with session.get(f"{url}/socket.io/?EIO=4&transport=polling", headers={"Origin": origin}) as reply:
            echoed = reply.headers.get("Access-Control-Allow-Origin")
            assert (echoed == origin) if allowed else (reply.status >= 400 and echoed is None)


async def test_the_gateways_own_origin_is_allowed(stack):
    url, _, _ = stack
    async with raw_socket(url, origin=url.replace("127.0.0.1", "localhost")) as sock:
        await sock.send_packet('2["message",{"type":"whisp","file":"/data/ok.mp3"}]')
        assert (await sock.next_message())["status"] == "200"
    async with gateway_in_process({}, cors_allowed_origins="https://app.example.com") as (other, _):
        async with raw_socket(other, origin="https://app.example.com"):
            pass
