"""`optivus transcribe FILE`: calls the Whisper service over gRPC and
prints segments as they arrive (or SRT / VTT / plain text)."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

import grpc

from optivus.media.v1 import media_ref_pb2
from optivus.speech.v1 import speech_service_pb2 as pb
from optivus.speech.v1 import speech_service_pb2_grpc as pb_grpc

FORMATS = {"segments": pb.OUTPUT_FORMAT_SEGMENTS, "text": pb.OUTPUT_FORMAT_TEXT,
           "srt": pb.OUTPUT_FORMAT_SRT, "vtt": pb.OUTPUT_FORMAT_VTT}


def _secs(d) -> float:
    return d.seconds + d.nanos / 1e9


async def transcribe(address: str, file: str, fmt: str, language: str | None, upload: bool) -> int:
    if upload:
        media = media_ref_pb2.MediaRef(content=Path(file).read_bytes(), filename=Path(file).name)
    else:
        media = media_ref_pb2.MediaRef(path=str(Path(file).resolve()))
    request = pb.TranscribeRequest(audio=media, config=pb.RecognitionConfig(
        language_code=language or "", output_format=FORMATS[fmt]))
    async with grpc.aio.insecure_channel(address) as channel:
        try:
            async for response in pb_grpc.SpeechServiceStub(channel).Transcribe(request):
                if response.HasField("segment") and fmt == "segments":
                    seg = response.segment
                    print(f"[{_secs(seg.start):8.2f} -> {_secs(seg.end):8.2f}] {seg.text}", flush=True)
                elif response.HasField("result"):
                    result = response.result
                    if fmt != "segments":
                        print(result.formatted, end="")
                    print(f"# language {result.language_code} ({result.language_probability:.2f}), "
                          f"{_secs(result.duration):.1f} s, model {result.model}", file=sys.stderr)
        except grpc.aio.AioRpcError as err:
            print(f"error: {err.code().name}: {err.details()}", file=sys.stderr)
            return 1
    return 0


def main(args) -> int:
    return asyncio.run(transcribe(args.address, args.file, args.format, args.language, args.upload))
