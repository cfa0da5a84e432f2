"""Streaming text-to-speech through the real fish service process.

For each engine available here (Piper with its packaged voice; Fish Speech
on a tiny random OpenAudio S1 checkpoint built on the spot, labelled as
such: its timings show the service's streaming path, not a real model's
speed), one Synthesize call speaks a six-sentence paragraph over gRPC.
Prints the medians of: time to the first audio chunk, total synthesis time,
their ratio (goal: at most 0.3) and the real-time factor (synthesis time /
audio duration; below 1 is faster than real time).
Run: .venv/bin/python bench/tts_stream.py [--runs N]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from pathlib import Path

import grpc

from optivus.tts.v1 import tts_service_pb2 as pb
from optivus.tts.v1 import tts_service_pb2_grpc as pb_grpc
from optivus_testing.fish import TINY_TOKENS
from optivus_testing.processes import running_service

TEXT = (
    "Optivus speaks text aloud one sentence at a time. "
    "The first sentence is sent to the client as soon as it is ready. "
    "Meanwhile the service goes on with the second one. "
    "A listener hears the start long before the end is spoken. "
    "This paragraph has six sentences of ordinary length. "
    "That is enough to show how streaming changes the wait."
)


async def one_run(address: str, engine: int) -> tuple[float, float, float]:
    async with grpc.aio.insecure_channel(address) as channel:
        stub = pb_grpc.TtsServiceStub(channel)
        started = time.perf_counter()
        first = None
        async for response in stub.Synthesize(pb.SynthesizeRequest(
                text=TEXT, engine=engine, format=pb.AUDIO_FORMAT_PCM_S16LE, params=pb.SynthesisParams(seed=1))):
            kind = response.WhichOneof("response")
            if kind == "chunk" and first is None:
                first = time.perf_counter() - started
            elif kind == "summary":
                total = time.perf_counter() - started
                audio = response.summary.audio_duration.seconds + response.summary.audio_duration.nanos / 1e9
    return first, total, audio


def measure(label: str, address: str, engine: int, runs: int) -> None:
    asyncio.run(one_run(address, engine))  # warm-up
    results = [asyncio.run(one_run(address, engine)) for _ in range(runs)]
    first = statistics.median(r[0] for r in results)
    total = statistics.median(r[1] for r in results)
    audio = statistics.median(r[2] for r in results)
    print(f"{label:<44} first chunk {first:6.3f} s   total {total:6.3f} s   first/total {first / total:5.3f} "
          f"(goal <= 0.3)   audio {audio:5.2f} s   RTF {total / audio:5.3f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp)
        env = {"OPTIVUS_DATA_DIR": str(data), "FS_PATH": str(data / "fs_audio"), "PATH_VIDEO": str(data / "videos"),
               "OPTIVUS_MODEL_CACHE": str(data / "models"), "OPTIVUS_LOG_LEVEL": "WARNING",
               "OPTIVUS_SHUTDOWN_GRACE_S": "2"}
        logs = data / "logs"
        logs.mkdir()
        print(f"{len(TEXT)} characters, 6 sentences, {args.runs} runs each (medians)")
        with running_service("fish", {**env, "OPTIVUS_FISH_ENGINE": "piper", "AI_FISH_MODEL": ""},
                             logs, 120) as address:
            measure("piper (en_US-joe-medium)", address, pb.TTS_ENGINE_PIPER, args.runs)
        from optivus_testing.fish import build

        tiny = build(data / "tiny-openaudio-s1")
        with running_service("fish", {**env, "AI_FISH_MODEL": str(tiny),
                                      "OPTIVUS_FISH_MAX_NEW_TOKENS": str(TINY_TOKENS)}, logs, 300) as address:
            measure(f"fish (TINY RANDOM checkpoint, {TINY_TOKENS} tokens/sent.)", address, pb.TTS_ENGINE_FISH,
                    args.runs)


if __name__ == "__main__":
    main()
