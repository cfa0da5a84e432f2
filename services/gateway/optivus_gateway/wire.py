"""The socket.io wire, bounded: a client's packet is refused with a "400"
reply, never an exception inside python-socketio, when it

- is not valid JSON, holds NaN or Infinity (JavaScript cannot parse them
  back), or nests deeper than MAX_DEPTH;
- is an event without a name or without a payload (`42["message"]`);
- declares more binary attachments than allowed, or its attachments add
  up to more bytes than allowed (the per-frame limit alone let a client
  declare hundreds of millions of attachments and stream frames into
  memory): the client is then also disconnected, since the frames it
  still sends cannot be told apart from new packets.

Replies never carry NaN or Infinity either: they become null."""

from __future__ import annotations

import json
import logging
import math

import socketio
from socketio import packet as sio_packet

log = logging.getLogger(__name__)

MAX_DEPTH = 32


class MessageRefused(ValueError):
    """A client packet the gateway does not process; `disconnect` when the
    connection cannot go on (an attachment stream was cut)."""

    def __init__(self, message: str, disconnect: bool = False) -> None:
        super().__init__(message)
        self.message = message
        self.disconnect = disconnect


def _no_constants(name: str):
    raise MessageRefused(f"the message is not valid JSON ({name} is not a JSON number)")


def _depth_ok(value, limit: int) -> bool:
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, (list, dict)):
            if depth > limit:
                return False
            children = item.values() if isinstance(item, dict) else item
            stack.extend((child, depth + 1) for child in children)
    return True


def _finite(value):
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite(v) for v in value]
    return value


class StrictJson:
    """The json module python-socketio and python-engineio use here."""

    @staticmethod
    def loads(text, **kwargs):
        try:
            value = json.loads(text, parse_constant=_no_constants, **kwargs)
        except RecursionError:
            raise MessageRefused(f"the message nests deeper than {MAX_DEPTH} levels") from None
        except json.JSONDecodeError as exc:
            raise MessageRefused(f"the message is not valid JSON ({exc.msg} at character {exc.pos})") from None
        if not _depth_ok(value, MAX_DEPTH):
            raise MessageRefused(f"the message nests deeper than {MAX_DEPTH} levels")
        return value

    @staticmethod
    def dumps(value, **kwargs):
        kwargs.pop("allow_nan", None)
        try:
            return json.dumps(value, allow_nan=False, **kwargs)
        except ValueError:  # a NaN or Infinity somewhere: rare, so only then walk the value
            return json.dumps(_finite(value), allow_nan=False, **kwargs)


def packet_class(max_attachments: int, max_bytes: int) -> type[sio_packet.Packet]:
    """A Packet class with these limits (python-socketio sets `json` on the
    class it is given, so each server gets its own subclass)."""

    class BoundedPacket(sio_packet.Packet):
        json = StrictJson

        def decode(self, encoded_packet):
            if isinstance(encoded_packet, (bytes, bytearray)):
                raise MessageRefused("a binary frame arrived where a packet was expected", disconnect=True)
            count = super().decode(encoded_packet)
            if count > max_attachments:
                raise MessageRefused(f"a message may carry at most {max_attachments} binary attachments, "
                                     f"not {count}", disconnect=True)
            self.attachment_bytes = 0
            return count

        def add_attachment(self, attachment):
            self.attachment_bytes += len(attachment)
            if self.attachment_bytes > max_bytes:
                raise MessageRefused(f"the message's attachments are larger than {max_bytes // 1048576} MB",
                                     disconnect=True)
            return super().add_attachment(attachment)

    return BoundedPacket


def _check_event(data) -> None:
    if not isinstance(data, list) or not data or not isinstance(data[0], str):
        raise MessageRefused("an event must be [name, payload]")
    if len(data) < 2:
        raise MessageRefused(f"the {data[0]!r} event has no payload: send an object such as "
                             "{\"type\": \"whisp\", \"file\": \"/path/to/audio.mp3\"}")


class BoundedServer(socketio.AsyncServer):
    """python-socketio's server, answering a refused packet instead of
    raising inside the library. `on_refused(sid, message)` sends the reply."""

    def __init__(self, *, max_attachments: int, max_message_bytes: int, on_refused, **kwargs) -> None:
        super().__init__(serializer=packet_class(max_attachments, max_message_bytes), json=StrictJson, **kwargs)
        self._on_refused = on_refused

    async def _handle_eio_message(self, eio_sid, data):
        try:
            if eio_sid in self._binary_packet or not isinstance(data, str):
                await super()._handle_eio_message(eio_sid, data)  # attachments: BoundedPacket counts them
            else:
                await self._handle_packet(eio_sid, self.packet_class(encoded_packet=data))
        except MessageRefused as exc:
            await self._refuse(eio_sid, exc.message, exc.disconnect)
        except ValueError as exc:  # python-socketio's own refusals ("Unexpected binary attachment", ...)
            await self._refuse(eio_sid, f"malformed socket.io packet: {exc}", disconnect=True)

    async def _handle_packet(self, eio_sid, pkt) -> None:
        """python-socketio's dispatch of a text packet (its
        _handle_eio_message), decoding the packet once and checking events."""
        kind = pkt.packet_type
        if kind == sio_packet.CONNECT:
            await self._handle_connect(eio_sid, pkt.namespace, pkt.data)
        elif kind == sio_packet.DISCONNECT:
            await self._handle_disconnect(eio_sid, pkt.namespace, self.reason.CLIENT_DISCONNECT)
        elif kind == sio_packet.EVENT:
            _check_event(pkt.data)
            await self._handle_event(eio_sid, pkt.namespace, pkt.id, pkt.data)
        elif kind == sio_packet.ACK:
            await self._handle_ack(eio_sid, pkt.namespace, pkt.id, pkt.data)
        elif kind in (sio_packet.BINARY_EVENT, sio_packet.BINARY_ACK):
            if not self.manager.sid_from_eio_sid(eio_sid, pkt.namespace or "/"):
                raise MessageRefused("binary packet before connecting", disconnect=True)
            if kind == sio_packet.BINARY_EVENT:
                _check_event(pkt.data)
            self._binary_packet[eio_sid] = pkt
        else:
            raise MessageRefused(f"unknown socket.io packet type {kind!r}", disconnect=True)

    async def _refuse(self, eio_sid, message: str, disconnect: bool) -> None:
        self._binary_packet.pop(eio_sid, None)
        sid = self.manager.sid_from_eio_sid(eio_sid, "/")
        log.info("packet refused", extra={"sid": sid, "error": message, "disconnect": disconnect})
        if sid is not None and self.manager.is_connected(sid, "/"):
            await self._on_refused(sid, message)
            if disconnect:
                await self.disconnect(sid)
