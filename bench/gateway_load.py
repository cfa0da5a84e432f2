"""100 socket.io clients at once through the gateway, each sending a whisp
and a fish request, against one client alone.

Checks, and fails loudly on: any reply that is not "200", and any reply
that reaches the wrong client (each request carries its client's id, its
own file and its own text, which the reply must echo). Also counts the
transcripts that hold the client's own spoken word. Prints p50 and
p95 latency per request type alone and under load (two waves), their
ratios, and the gateway process's resident memory before, after each wave
and at its peak (the second wave must not add to the first: bounded).

--stack fake (default): the gateway process against in-process fake gRPC
backends (optivus_testing.fake_backends): what the gateway itself adds.
--stack real: the real whisper (tiny.en) and fish (Piper) services, with
clips spoken by Piper: end-to-end latency on this machine.
Run: .venv/bin/python bench/gateway_load.py [--clients 100] [--stack real]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import tempfile
import time
from pathlib import Path

import socketio

from optivus_testing import processes
from optivus_testing.fake_backends import fake_backends
from optivus_testing.speech import piper_voice, speak

WORDS = ["apple", "river", "yellow", "garden", "window", "market", "winter", "silver", "doctor", "orange"]


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


class Client:
    def __init__(self, url: str, index: int, media: dict[int, tuple[str, str]]) -> None:
        self.url, self.index, self.media = url, index, media
        self.sio = socketio.AsyncClient(reconnection=False)
        self.replies: asyncio.Queue = asyncio.Queue()
        self.sio.on("message", self.replies.put_nowait)

    async def ask(self, payload: dict) -> tuple[float, dict]:
        started = time.perf_counter()
        await self.sio.emit("message", payload)
        reply = await asyncio.wait_for(self.replies.get(), 600)
        return time.perf_counter() - started, reply

    async def run(self) -> list[tuple[str, float]]:
        await self.sio.connect(self.url, transports=["websocket"])
        try:
            file, said = self.media[self.index % len(self.media)]
            took_w, whisp = await self.ask({"type": "whisp", "file": file, "id": f"w{self.index}"})
            check(whisp, f"w{self.index}", lambda d: d["file"] == file)
            self.heard = said in "".join(c for c in whisp["data"]["transcribe_audio"]["text"].lower() if c.isalpha())
            text = f"Client {WORDS[self.index % len(WORDS)]} number {self.index}."
            took_f, fish = await self.ask({"type": "fish", "text": text, "id": f"f{self.index}", "audio_data": False})
            check(fish, f"f{self.index}", lambda d: d["text"] == text and d["duration"] > 0)
            return [("whisp", took_w), ("fish", took_f)]
        finally:
            await self.sio.disconnect()


def check(reply: dict, want_id: str, own) -> None:
    data = reply["data"]
    if reply["status"] != "200":
        raise AssertionError(f"{want_id}: status {reply['status']}: {data.get('error')}")
    if data.get("id") != want_id or not own(data):
        raise AssertionError(f"{want_id}: a reply meant for another client: id {data.get('id')!r}")


HEARD = []


async def round_of(url: str, clients: int, media) -> dict[str, list[float]]:
    everyone = [Client(url, i, media) for i in range(clients)]
    results = await asyncio.gather(*(c.run() for c in everyone))
    HEARD.extend(c.heard for c in everyone)
    out: dict[str, list[float]] = {"whisp": [], "fish": []}
    for pairs in results:
        for kind, took in pairs:
            out[kind].append(took)
    return out


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


@contextlib.contextmanager
def real_services(env: dict[str, str], logs: Path, clients: int):
    # Every client's call is let in to wait for its turn: the services' caps
    # on calls at once (64) and on waiting syntheses (8) would answer the
    # rest "429" (busy), which is their job but not what this measures.
    env = {**env, "OPTIVUS_GRPC_MAX_CONCURRENT_RPCS": str(2 * clients), "OPTIVUS_FISH_MAX_WAITING": str(clients)}
    with processes.running_service("whisper", {**env, "AI_WHISPER_MODEL": "tiny.en", "AI_WHISPER_BATCH_WORKER": "2"},
                                   logs, 300) as whisper, \
            processes.running_service("fish", {**env, "OPTIVUS_FISH_ENGINE": "piper"}, logs, 300) as fish:
        yield {"whisper": whisper, "fish": fish}


async def main(clients: int, stack: str, alone_runs: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "data"
        (data / "speech").mkdir(parents=True)
        env = {"OPTIVUS_DATA_DIR": str(data), "PATH_VIDEO": str(data / "videos"), "FS_PATH": str(data / "fs_audio"),
               "OPTIVUS_MODEL_CACHE": str(Path("data/models").resolve()), "OPTIVUS_LOG_LEVEL": "WARNING",
               # One key for all: raise the per-key limits above what the load needs.
               "OPTIVUS_GATEWAY_KEY_MAX_CONCURRENT": str(4 * clients),
               "OPTIVUS_GATEWAY_KEY_RATE_PER_MINUTE": str(100 * clients)}
        if stack == "real":
            voice = piper_voice()
            media = {i: (str(speak(voice, f"The word is {w}.", data / "speech" / f"{w}.wav")), w)
                     for i, w in enumerate(WORDS)}
            services = real_services(env, Path(tmp), clients)
        else:  # the fake whisper says the file's name: name each file by its word
            media = {i: (f"/data/{w}.wav", w) for i, w in enumerate(WORDS)}
            services = contextlib.nullcontext(None)
        async with contextlib.AsyncExitStack() as stack_:
            if stack == "real":
                addresses = stack_.enter_context(services)
            else:
                fakes = await stack_.enter_async_context(fake_backends(["whisper", "fish"]))
                addresses = fakes.addresses
            url = stack_.enter_context(processes.running_gateway(env, addresses, Path(tmp)))
            pid = int(next(p for p in Path("/proc").iterdir() if p.name.isdigit() and _is_gateway(p, url)).name)
            alone: dict[str, list[float]] = {"whisp": [], "fish": []}
            for _ in range(alone_runs):
                for kind, took in (await round_of(url, 1, media)).items():
                    alone[kind] += took
            before = rss_mb(pid)
            peak = before
            sampling = True

            async def sample():
                nonlocal peak
                while sampling:
                    peak = max(peak, rss_mb(pid))
                    await asyncio.sleep(0.05)

            sampler = asyncio.create_task(sample())
            started = time.perf_counter()
            loaded = await round_of(url, clients, media)
            wall = time.perf_counter() - started
            after_first = rss_mb(pid)
            second = await round_of(url, clients, media)  # a second wave: memory must not keep growing
            sampling = False
            await sampler
            after = rss_mb(pid)
            for kind in loaded:
                loaded[kind] += second[kind]
    print(f"gateway load: {clients} socket.io clients at once, each whisp + fish ({stack} services); "
          f"every reply 200 and to its own client; the first wave's {2 * clients} requests in {wall:.1f} s "
          "(latencies over two waves)")
    print(f"{'type':6} {'alone p50':>10} {'alone p95':>10} {'load p50':>10} {'load p95':>10} {'p50 x':>7} {'p95 x':>7}")
    for kind in ("whisp", "fish"):
        a50, a95 = pct(alone[kind], 50), pct(alone[kind], 95)
        l50, l95 = pct(loaded[kind], 50), pct(loaded[kind], 95)
        print(f"{kind:6} {a50 * 1000:9.1f}ms {a95 * 1000:9.1f}ms {l50 * 1000:9.1f}ms {l95 * 1000:9.1f}ms "
              f"{l50 / a50:7.1f} {l95 / a95:7.1f}")
    print(f"transcripts holding the client's own word: {sum(HEARD)}/{len(HEARD)}")
    print(f"gateway memory (RSS): {before:.0f} MB before, {after_first:.0f} MB after the first wave, "
          f"{after:.0f} MB after the second, {peak:.0f} MB at peak")


def _is_gateway(proc: Path, url: str) -> bool:
    try:
        cmd = (proc / "cmdline").read_bytes().split(b"\0")
        env = (proc / "environ").read_bytes().split(b"\0")
    except OSError:
        return False
    port = url.rsplit(":", 1)[1]
    return b"optivus_gateway" in b" ".join(cmd) and f"OPTIVUS_GATEWAY_PORT={port}".encode() in env


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--clients", type=int, default=100)
    parser.add_argument("--stack", choices=("fake", "real"), default="fake")
    parser.add_argument("--alone-runs", type=int, default=10, help="requests of each type by one client alone")
    args = parser.parse_args()
    asyncio.run(main(args.clients, args.stack, args.alone_runs))
