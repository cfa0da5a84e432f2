"""A socket.io client that writes frames by hand (engine.io v4 over a
websocket, through aiohttp), to send what no well-behaved client sends:
events without payloads, absurd attachment counts, deeply nested JSON."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator

import aiohttp


class RawSocket:
    def __init__(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        self.ws = ws

    async def send_packet(self, text: str) -> None:
        """A socket.io packet ("2[...]" is an event) inside an engine.io message."""
        await self.ws.send_str("4" + text)

    async def send_binary(self, data: bytes) -> None:
        await self.ws.send_bytes(data)

    async def next_message(self, timeout: float = 30) -> dict | None:
        """The payload of the next socket.io `message` event, or None when
        the server closes the connection first. Engine.io pings are answered."""
        while True:
            frame = await asyncio.wait_for(self.ws.receive(), timeout)
            if frame.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED, aiohttp.WSMsgType.CLOSING):
                return None
            if frame.type != aiohttp.WSMsgType.TEXT:
                continue
            text = frame.data
            if text == "2":  # engine.io ping
                await self.ws.send_str("3")
            elif text.startswith("41"):  # socket.io disconnect
                return None
            elif text.startswith("42"):
                name, payload = json.loads(text[2:])[:2]
                if name == "message":
                    return payload

    async def closed(self, timeout: float = 30) -> bool:
        """Reads until the server closes the connection."""
        try:
            while True:
                frame = await asyncio.wait_for(self.ws.receive(), timeout)
                if frame.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED, aiohttp.WSMsgType.CLOSING):
                    return True
                if frame.type == aiohttp.WSMsgType.TEXT and frame.data.startswith(("41", "1")):
                    return True
                if frame.type == aiohttp.WSMsgType.TEXT and frame.data == "2":
                    await self.ws.send_str("3")
        except asyncio.TimeoutError:
            return False


@contextlib.asynccontextmanager
async def raw_socket(url: str, origin: str | None = None) -> AsyncIterator[RawSocket]:
    """Connects to the gateway at `url` (http://host:port) and to the "/"
    namespace; raises aiohttp.WSServerHandshakeError when refused."""
    ws_url = url.replace("http://", "ws://") + "/socket.io/?EIO=4&transport=websocket"
    headers = {"Origin": origin} if origin else {}
    async with aiohttp.ClientSession() as session:
        async with session.ws_connect(ws_url, headers=headers, max_msg_size=0) as ws:
            opened = await asyncio.wait_for(ws.receive(), 30)
            assert opened.type == aiohttp.WSMsgType.TEXT and opened.data.startswith("0"), opened
            await ws.send_str("40")
            while True:
                frame = await asyncio.wait_for(ws.receive(), 30)
                if frame.type == aiohttp.WSMsgType.TEXT and frame.data.startswith("40"):
                    break
            yield RawSocket(ws)
