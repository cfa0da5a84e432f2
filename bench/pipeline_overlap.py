"""How much the pipeline's parallel stages overlap, and what a second
replica of the slowest stage adds (issue 10's goals).

Starts nats-server, the whisper and florence services (their JetStream
workers) and the gateway on loopback, builds a narrated slide video in the
media folder, then through socket.io `video` jobs measures:

(1) each stage alone (a job with only transcribe, a job with only
    describe) and the whole job (both in parallel): whole / slowest alone
    (goal <= 1.15);
(2) N jobs of the slowest stage with one replica of its service, then with
    two: throughput ratio (goal >= 1.7 where cores allow).

Every figure is the median of --runs runs. Both goals assume the stages do
not share cores: on a machine with fewer cores than stages they do, and the
script prints how many it had.

Run: .venv/bin/python bench/pipeline_overlap.py [--scenes 8] [--runs 3] [--jobs 4]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import tempfile
import time
from pathlib import Path

from optivus_testing import speech as corpus
from optivus_testing.media import narrated_video
from optivus_testing.sockets import SocketClient
from optivus_testing.stack import Gateway, Nats, Replica

NARRATION = ["The river rises in the hills and runs to the sea through three towns.",
             "Its water turned the mills that made the valley rich two hundred years ago.",
             "Today the old mills are museums, and the river is clean enough to swim in."]


async def job(url: str, payload: dict) -> float:
    started = time.perf_counter()
    async with SocketClient(url) as client:
        _, reply = await client.ask_with_progress({"type": "video", **payload}, timeout=1800)
    if reply["status"] != "200":
        raise RuntimeError(f"the job failed: {reply}")
    return time.perf_counter() - started


async def median_of(url: str, payload: dict, runs: int) -> float:
    return statistics.median([await job(url, payload) for _ in range(runs)])


async def many(url: str, payload: dict, count: int) -> float:
    started = time.perf_counter()
    await asyncio.gather(*(job(url, payload) for _ in range(count)))
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--scenes", type=int, default=8, help="slides of narration (about 5 s each)")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--jobs", type=int, default=4, help="jobs at once for the replica comparison")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        media = root / "media"
        media.mkdir()
        video = narrated_video(media / "talk.mp4", corpus.piper_voice(),
                               [(f"SLIDE {i + 1}", NARRATION[i % len(NARRATION)]) for i in range(args.scenes)])
        nats_ = Nats(root / "nats")
        nats_.start()
        env = {"OPTIVUS_DATA_DIR": str(media), "PATH_VIDEO": str(media / "videos"),
               "OPTIVUS_MODEL_CACHE": str(root / "models"), "OPTIVUS_NATS_URL": nats_.url,
               "OPTIVUS_LOG_LEVEL": "WARNING"}
        replicas = {name: Replica(name, env, root / "logs") for name in ("whisper", "florence")}
        gateway = Gateway(env, replicas, root / "logs")
        extra: Replica | None = None
        try:
            for replica in replicas.values():
                replica.start()
            gateway.start()
            url, file = gateway.url, {"file": str(video)}
            asyncio.run(job(url, file))  # warm-up: models, first decode
            transcribe = asyncio.run(median_of(url, {**file, "describe": False}, args.runs))
            describe = asyncio.run(median_of(url, {**file, "transcribe": False}, args.runs))
            whole = asyncio.run(median_of(url, file, args.runs))
            slowest, name = max((transcribe, "transcribe"), (describe, "describe"))
            print(f"machine: {os.cpu_count()} cores; video {args.scenes} slides")
            print(f"(1) transcribe alone {transcribe:.2f} s, describe alone {describe:.2f} s, "
                  f"whole job {whole:.2f} s")
            print(f"    whole / slowest stage alone ({name}) = {whole / slowest:.2f} (goal <= 1.15)")

            only = {**file, "describe": False} if name == "transcribe" else {**file, "transcribe": False}
            one = asyncio.run(many(url, only, args.jobs))
            service = "whisper" if name == "transcribe" else "florence"
            extra = Replica(service, env, root / "logs", suffix="-2")
            extra.start()
            two = asyncio.run(many(url, only, args.jobs))
            print(f"(2) {args.jobs} {name} jobs at once: one {service} replica {one:.2f} s, two {two:.2f} s")
            print(f"    throughput two / one = {one / two:.2f} (goal >= 1.7 where cores allow)")
        finally:
            if extra is not None:
                extra.stop()
            gateway.stop()
            for replica in replicas.values():
                replica.stop()
            nats_.stop()


if __name__ == "__main__":
    main()
