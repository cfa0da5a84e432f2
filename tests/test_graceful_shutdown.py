"""SIGTERM: health turns NOT_SERVING at once, the call in flight finishes,
and the process exits cleanly within the grace period."""

import asyncio
import signal

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc

from optivus.media.v1 import media_ref_pb2
from optivus.speech.v1 import speech_service_pb2 as pb
from optivus.speech.v1 import speech_service_pb2_grpc as pb_grpc
from optivus_testing.processes import free_port, start_process, wait_for_health

pytestmark = [pytest.mark.integration, pytest.mark.slow]


async def test_sigterm_drains_in_flight_calls(service_env, log_dir, speech_mp3, wer):
    port = free_port()
    proc = start_process("optivus_whisper", {**service_env, "OPTIVUS_WHISPER_HOST": "127.0.0.1",
                                            "OPTIVUS_WHISPER_PORT": str(port), "OPTIVUS_SHUTDOWN_GRACE_S": "60"},
                         log_dir / "whisper-sigterm.log")
    try:
        await asyncio.to_thread(wait_for_health, f"127.0.0.1:{port}", 120, proc)
        async with grpc.aio.insecure_channel(f"127.0.0.1:{port}") as channel:
            watch = health_pb2_grpc.HealthStub(channel).Watch(health_pb2.HealthCheckRequest())
            assert (await watch.read()).status == health_pb2.HealthCheckResponse.SERVING
            call = pb_grpc.SpeechServiceStub(channel).Transcribe(
                pb.TranscribeRequest(audio=media_ref_pb2.MediaRef(path=str(speech_mp3[0]))))
            first = await call.read()
            assert first.HasField("segment")
            proc.send_signal(signal.SIGTERM)
            assert (await watch.read()).status == health_pb2.HealthCheckResponse.NOT_SERVING
            rest = []
            while (response := await call.read()) is not grpc.aio.EOF:
                rest.append(response)
            assert rest[-1].HasField("result")
            assert wer(speech_mp3[1], rest[-1].result.text) <= 0.1
        assert await asyncio.to_thread(proc.wait, 30) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
