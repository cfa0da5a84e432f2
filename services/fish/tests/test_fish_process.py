"""The fish service process starts and answers clearly when it has no
engine at all: no Fish checkpoint and piper-tts not importable."""

from __future__ import annotations

import grpc
import pytest

from conftest import running_service
from optivus.tts.v1 import tts_service_pb2 as pb
from optivus.tts.v1 import tts_service_pb2_grpc as pb_grpc

from fish_testkit import error_reason

pytestmark = pytest.mark.integration


async def test_starts_without_fish_or_piper(service_env, log_dir, tmp_path):
    blocker = tmp_path / "no-piper" / "piper"
    blocker.mkdir(parents=True)
    (blocker / "__init__.py").write_text("raise ImportError('piper-tts is not installed here')\n")
    env = {**service_env, "AI_FISH_MODEL": "", "PYTHONPATH": str(blocker.parent)}
    with running_service("fish", env, log_dir, 120) as address:
        async with grpc.aio.insecure_channel(address) as channel:
            stub = pb_grpc.TtsServiceStub(channel)
            details = {}
            for engine, reason in [(pb.TTS_ENGINE_UNSPECIFIED, "NO_TTS_ENGINE"),
                                   (pb.TTS_ENGINE_PIPER, "PIPER_NOT_AVAILABLE"),
                                   (pb.TTS_ENGINE_FISH, "FISH_NOT_AVAILABLE")]:
                with pytest.raises(grpc.aio.AioRpcError) as err:
                    async for _ in stub.Synthesize(pb.SynthesizeRequest(text="Hello.", engine=engine)):
                        pass
                assert err.value.code() == grpc.StatusCode.FAILED_PRECONDITION
                assert error_reason(err.value) == reason
                details[reason] = err.value.details()
            assert "AI_FISH_MODEL is empty" in details["NO_TTS_ENGINE"]
            assert "piper-tts is not installed" in details["NO_TTS_ENGINE"]
            await stub.ListReferences(pb.ListReferencesRequest())  # the rest of the API still answers
