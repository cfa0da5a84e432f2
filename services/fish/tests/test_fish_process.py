"""The fish service process starts and answers clearly when it has no
engine at all: no Fish checkpoint and piper-tts not importable."""

from __future__ import annotations

import grpc
import pytest
from fish_testkit import error_reason

from optivus.media.v1 import media_ref_pb2
from optivus.tts.v1 import tts_service_pb2 as pb
from optivus.tts.v1 import tts_service_pb2_grpc as pb_grpc
from optivus_testing.processes import running_service

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


async def test_two_processes_share_their_references_through_nats(service_env, log_dir, tmp_path, nats_urls, speech):
    """Two fish processes (no engine needed to keep references), each with
    its own FS_PATH, on one nats-server: one store."""
    blocker = tmp_path / "no-piper" / "piper"
    blocker.mkdir(parents=True)
    (blocker / "__init__.py").write_text("raise ImportError('piper-tts is not installed here')\n")
    env = {**service_env, "AI_FISH_MODEL": "", "PYTHONPATH": str(blocker.parent), "OPTIVUS_NATS_URL": nats_urls[0],
           "OPTIVUS_FISH_REFERENCE_BUCKET": "fish-process-test"}
    path, text = speech[0]
    with running_service("fish", {**env, "FS_PATH": str(tmp_path / "a")}, log_dir, 120) as a, \
            running_service("fish", {**env, "FS_PATH": str(tmp_path / "b")}, log_dir, 120) as b:
        async with grpc.aio.insecure_channel(a) as ca, grpc.aio.insecure_channel(b) as cb:
            stub_a, stub_b = pb_grpc.TtsServiceStub(ca), pb_grpc.TtsServiceStub(cb)
            added = (await stub_a.AddReference(pb.AddReferenceRequest(reference=pb.ReferenceAudio(
                audio=media_ref_pb2.MediaRef(path=str(path)), text=text)))).reference
            listed = (await stub_b.ListReferences(pb.ListReferencesRequest())).references
            assert [r.reference_id for r in listed] == [added.reference_id] and listed[0].text == text
            await stub_b.DeleteReference(pb.DeleteReferenceRequest(reference_id=added.reference_id))
            assert not (await stub_a.ListReferences(pb.ListReferencesRequest())).references
            with pytest.raises(grpc.aio.AioRpcError) as err:
                await stub_a.DeleteReference(pb.DeleteReferenceRequest(reference_id=added.reference_id))
            assert err.value.code() == grpc.StatusCode.NOT_FOUND
    assert not (tmp_path / "a" / "references" / added.reference_id).exists()
