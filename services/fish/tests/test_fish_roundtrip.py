"""Round trip through two real service processes: the fish service (Piper)
speaks five sentences in one streamed call, the Whisper service transcribes
the streamed WAV back."""

from __future__ import annotations

import grpc
import pytest

from optivus.media.v1 import media_ref_pb2
from optivus.speech.v1 import speech_service_pb2 as speech_pb
from optivus.speech.v1 import speech_service_pb2_grpc as speech_grpc
from optivus.tts.v1 import tts_service_pb2 as pb
from optivus.tts.v1 import tts_service_pb2_grpc as pb_grpc
from optivus_testing.processes import running_service

pytestmark = [pytest.mark.integration, pytest.mark.slow]

SENTENCES = [
    "The library opens at nine in the morning.",
    "My brother plays the guitar every weekend.",
    "We planted tomatoes and beans in the garden.",
    "The children walked to school in the rain.",
    "Please send me the report before Friday.",
]


@pytest.fixture(scope="module")
def piper_fish_address(service_env, log_dir):
    env = {**service_env, "OPTIVUS_FISH_ENGINE": "piper", "AI_FISH_MODEL": ""}
    with running_service("fish", env, log_dir, 120) as address:
        yield address


async def test_piper_speech_transcribes_back(piper_fish_address, whisper_address, wer):
    text = " ".join(SENTENCES)
    async with grpc.aio.insecure_channel(piper_fish_address) as channel:
        responses = [r async for r in pb_grpc.TtsServiceStub(channel).Synthesize(pb.SynthesizeRequest(text=text))]
    header = responses[0].header
    chunks = [r.chunk for r in responses if r.WhichOneof("response") == "chunk"]
    assert header.engine == pb.TTS_ENGINE_PIPER and len(chunks) == 5
    wav = b"".join(c.data for c in chunks)  # the stream as a client would save it
    async with grpc.aio.insecure_channel(whisper_address) as channel:
        request = speech_pb.TranscribeRequest(audio=media_ref_pb2.MediaRef(content=wav, filename="tts.wav"),
                                              config=speech_pb.RecognitionConfig(language_code="en"))
        replies = [r async for r in speech_grpc.SpeechServiceStub(channel).Transcribe(request)]
    heard = replies[-1].result.text
    assert wer(text, heard) <= 0.10, heard
