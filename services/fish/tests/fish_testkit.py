"""Helpers of the fish tests (the fixtures are in optivus_testing)."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import AsyncIterator, Iterator

import grpc
import numpy as np

from optivus.tts.v1 import tts_service_pb2 as pb
from optivus.tts.v1 import tts_service_pb2_grpc as pb_grpc
from optivus_common.registry import FISH
from optivus_common.server import Registration, start_server
from optivus_fish.app import TtsApp
from optivus_fish.app_runtime import running_app
from optivus_fish.config import FishSettings
from optivus_fish.engine_choice import Engines
from optivus_fish.servicer import TtsServicer
from optivus_fish.speech_engine import SpokenPiece


class FakeEngine:
    """A stand-in speech engine for the fast tests; it does not speak. Each
    piece of text becomes a tone of 10 ms per character, and every call is
    recorded (pieces, references, params)."""

    def __init__(self, name: str, sample_rate: int, clones_voices: bool) -> None:
        self.name, self.sample_rate, self.clones_voices = name, sample_rate, clones_voices
        self.description = f"{name}:fake"
        self.calls: list[tuple] = []

    def speak(self, pieces, references, params, stop) -> Iterator[SpokenPiece]:
        self.calls.append((list(pieces), list(references), params))
        for index, piece in enumerate(pieces):
            if stop.is_set():
                return
            n = self.sample_rate * len(piece) // 100
            yield SpokenPiece(index, (0.3 * np.sin(np.arange(n, dtype=np.float32) * 0.05)).astype(np.float32))

    def close(self) -> None:
        pass


def fake_engines(settings: FishSettings, loaded: bool = True) -> Engines:
    """Engines as the service picks them, with fake Fish (44.1 kHz, clones
    voices) and fake Piper (22.05 kHz) loaded."""
    engines = Engines(settings)
    engines.fish = FakeEngine("fish", 44100, True)
    engines.piper = FakeEngine("piper", 22050, False)
    engines.loaded = loaded
    return engines


class GatedEngine:
    """Wraps a real engine: piece i > 0 waits until the test opens the gate,
    so a test can show that piece 0 reached the client while later pieces
    were not yet synthesized."""

    def __init__(self, engine) -> None:
        self._engine = engine
        self.gate = threading.Event()
        self.gate_timed_out = False
        self.pieces_done: list[int] = []
        self.__dict__.update({k: getattr(engine, k) for k in ("name", "description", "sample_rate",
                                                               "clones_voices")})

    def speak(self, pieces, references, params, stop) -> Iterator:
        for piece in self._engine.speak(pieces, references, params, stop):
            if piece.index > 0 and not self.gate.is_set():
                self.gate_timed_out = not self.gate.wait(120)
            self.pieces_done.append(piece.index)
            yield piece

    def close(self) -> None:
        pass


@contextlib.asynccontextmanager
async def tts_server(settings: FishSettings, engines: Engines) -> AsyncIterator[tuple[pb_grpc.TtsServiceStub, TtsApp]]:
    """The service's app and servicer on a real grpc.aio server (port 0);
    yields a stub connected to it, and the app."""
    async with running_app(settings, engines) as app:
        running = await start_server(settings, [Registration(pb_grpc.add_TtsServiceServicer_to_server,
                                                             TtsServicer(app), FISH.grpc_service)],
                                     domain=FISH.domain, address="127.0.0.1:0")
        await running.set_serving(True)
        try:
            async with grpc.aio.insecure_channel(f"127.0.0.1:{running.port}") as channel:
                yield pb_grpc.TtsServiceStub(channel), app
        finally:
            await running.stop(None)


async def collect(stub: pb_grpc.TtsServiceStub, request: pb.SynthesizeRequest) -> list[pb.SynthesizeResponse]:
    return [r async for r in stub.Synthesize(request)]


def parts(responses) -> tuple[pb.SynthesisHeader, list[pb.AudioChunk], pb.SynthesisSummary]:
    kinds = [r.WhichOneof("response") for r in responses]
    assert kinds[0] == "header" and kinds[-1] == "summary" and set(kinds[1:-1]) == {"chunk"}, kinds
    return responses[0].header, [r.chunk for r in responses[1:-1]], responses[-1].summary


def seconds(d) -> float:
    return d.seconds + d.nanos / 1e9


def error_reason(err: grpc.aio.AioRpcError) -> str | None:
    from optivus_common.interceptors import error_info_from

    info = error_info_from(err)
    return info.reason if info is not None else None
