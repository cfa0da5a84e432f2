"""Shared pieces of the fish tests (imported by them; not a conftest, so
that the test folders stay free of duplicate conftest modules). Built
things are cached per process: the tiny checkpoint takes seconds to make
and fish_speech seconds to import."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import grpc
import pytest

from optivus.tts.v1 import tts_service_pb2 as pb
from optivus.tts.v1 import tts_service_pb2_grpc as pb_grpc
from optivus_common.media import MediaResolver
from optivus_common.server import start_server
from optivus_fish.config import FishSettings
from optivus_fish.engines import Engines
from optivus_fish.references import ReferenceStore
from optivus_fish.server import DOMAIN, registration
from optivus_fish.tiny_checkpoint import build

# The tiny model rarely emits its end token: every sentence runs to this
# many semantic frames (2048 samples at 44.1 kHz each, about 1.4 s).
TINY_TOKENS = 30
_cache: dict[str, object] = {}


def tiny_checkpoint_folder(root: Path) -> Path:
    if "tiny" not in _cache:
        _cache["tiny"] = build(root / "tiny-openaudio-s1", seed=0)
    return _cache["tiny"]


def settings_for(media_dir: Path, model_cache: Path, model: str, **overrides) -> FishSettings:
    values = dict(data_dir=media_dir, path_video=media_dir / "videos", fs_path=media_dir / "fs_audio",
                  model_cache=model_cache, model=model, max_new_tokens=TINY_TOKENS, download=False,
                  max_text_chars=2000)
    values.update(overrides)
    return FishSettings(**values)


def loaded_engines(settings: FishSettings) -> Engines:
    """Fish (tiny checkpoint) and Piper, loaded once per process."""
    key = f"engines:{settings.model}:{settings.engine}"
    if key not in _cache:
        engines = Engines(settings)
        engines.load()
        _cache[key] = engines
    return _cache[key]


@pytest.fixture(scope="session")
def tiny_checkpoint(tmp_path_factory) -> Path:
    return tiny_checkpoint_folder(tmp_path_factory.getbasetemp())


@pytest.fixture(scope="module")
def fish_settings(media_dir, model_cache, tiny_checkpoint) -> FishSettings:
    return settings_for(media_dir, model_cache, str(tiny_checkpoint))


@pytest.fixture(scope="module")
def engines(fish_settings) -> Engines:
    return loaded_engines(fish_settings)


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


async def start_tts_server(settings: FishSettings, engines: Engines):
    references = ReferenceStore(settings.fs_path / "references")
    running = await start_server(settings, [registration(engines, references, MediaResolver(settings), settings)],
                                 domain=DOMAIN, address="127.0.0.1:0")
    await running.set_serving(True)
    return running


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
