"""DLP service throughput against bare yt-dlp, on the same local file.

Makes a video with ffmpeg, serves it from a local HTTP server, starts the
real DLP service (python -m optivus_dlp, allowed to fetch 127.0.0.1 only)
and times, alternating, N downloads through the service's Download RPC
(end to end: gRPC, guard, progress events, ffprobe check, final move) and
N downloads with a plain yt_dlp.YoutubeDL. Then the latency of GetInfo
against a plain extract_info(download=False). Prints medians and ratios.

    .venv/bin/python bench/dlp_throughput.py [--size-mb 150] [--runs 5]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import functools
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import grpc
import yt_dlp
from grpc_health.v1 import health_pb2, health_pb2_grpc

from optivus.media.v1 import media_ref_pb2
from optivus.media.v1 import media_service_pb2 as pb
from optivus.media.v1 import media_service_pb2_grpc as pb_grpc


def ffmpeg(*args: str) -> None:
    subprocess.run(["ffmpeg", "-loglevel", "error", "-y", *args], check=True)


def make_video(folder: Path, size_mb: int) -> Path:
    """A short high-bitrate clip looped (stream copy) up to about size_mb."""
    unit = folder / "unit.mp4"
    ffmpeg("-f", "lavfi", "-i", "testsrc2=size=1280x720:rate=30:duration=4", "-f", "lavfi",
           "-i", "sine=frequency=440:duration=4", "-c:v", "libx264", "-preset", "ultrafast", "-b:v", "20M",
           "-c:a", "aac", "-shortest", str(unit))
    loops = max(0, round(size_mb * 1024 * 1024 / unit.stat().st_size) - 1)
    video = folder / "bench.mp4"
    ffmpeg("-stream_loop", str(loops), "-i", str(unit), "-c", "copy", str(video))
    return video


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:
        pass


@contextlib.contextmanager
def http_server(folder: Path):
    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Quiet, directory=str(folder)))
    server.daemon_threads = True
    server.handle_error = lambda request, address: None  # clients that read a page's head and hang up
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def dlp_service(data: Path):
    port = free_port()
    env = {**os.environ, "OPTIVUS_DLP_HOST": "127.0.0.1", "OPTIVUS_DLP_PORT": str(port),
           "OPTIVUS_DATA_DIR": str(data), "PATH_VIDEO": str(data / "videos"), "OPTIVUS_NATS_URL": "",
           "OPTIVUS_DLP_ALLOWED_NETWORKS": "127.0.0.1/32", "OPTIVUS_LOG_LEVEL": "WARNING"}
    proc = subprocess.Popen([sys.executable, "-m", "optivus_dlp"], env=env, stdout=subprocess.DEVNULL)
    address = f"127.0.0.1:{port}"
    try:
        with grpc.insecure_channel(address) as channel:
            stub = health_pb2_grpc.HealthStub(channel)
            for _ in range(600):
                with contextlib.suppress(grpc.RpcError):
                    if stub.Check(health_pb2.HealthCheckRequest(), timeout=1).status == 1:
                        break
                time.sleep(0.1)
        yield address
    finally:
        proc.terminate()
        proc.wait(30)


async def service_download(address: str, url: str) -> tuple[float, Path]:
    async with grpc.aio.insecure_channel(address) as channel:
        stub = pb_grpc.MediaServiceStub(channel)
        started = time.perf_counter()
        async for reply in stub.Download(pb.DownloadRequest(sources=[media_ref_pb2.MediaRef(url=url)])):
            if reply.HasField("error"):
                raise RuntimeError(reply.error.message)
            if reply.HasField("file"):
                return time.perf_counter() - started, Path(reply.file.path)
    raise RuntimeError("no file")


async def service_info(address: str, url: str) -> float:
    async with grpc.aio.insecure_channel(address) as channel:
        stub = pb_grpc.MediaServiceStub(channel)
        started = time.perf_counter()
        async for reply in stub.GetInfo(pb.GetInfoRequest(sources=[media_ref_pb2.MediaRef(url=url)])):
            if reply.HasField("error"):
                raise RuntimeError(reply.error.message)
        return time.perf_counter() - started


def bare_download(url: str, folder: Path) -> tuple[float, Path]:
    out = folder / "bare"
    shutil.rmtree(out, ignore_errors=True)
    params = {"quiet": True, "no_warnings": True, "noprogress": True, "paths": {"home": str(out)},
              "outtmpl": {"default": "media.%(ext)s"}}
    started = time.perf_counter()
    with yt_dlp.YoutubeDL(params) as ydl:
        info = ydl.extract_info(url, download=True)
    return time.perf_counter() - started, Path(info["requested_downloads"][0]["filepath"])


def bare_info(url: str) -> float:
    started = time.perf_counter()
    with yt_dlp.YoutubeDL({"quiet": True, "no_warnings": True}) as ydl:
        ydl.extract_info(url, download=False)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--size-mb", type=int, default=150)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="dlp-bench-") as tmp:
        folder = Path(tmp)
        site = folder / "site"
        site.mkdir()
        video = make_video(site, args.size_mb)
        ffmpeg("-i", str(video), "-t", "20", "-c", "copy", "-f", "hls", "-hls_time", "2",
               "-hls_playlist_type", "vod", str(site / "index.m3u8"))
        size = video.stat().st_size
        mb = size / 1e6
        print(f"file: {mb:.1f} MB, {args.runs} runs each, medians")
        with http_server(site) as base, dlp_service(folder / "data") as address:
            url = f"{base}/bench.mp4"
            asyncio.run(service_info(address, url))  # warm-up: imports, extractor classes
            bare_info(url)
            service_times, bare_times = [], []
            for _ in range(args.runs):
                seconds, path = asyncio.run(service_download(address, url))
                assert path.stat().st_size == size
                path.unlink()
                service_times.append(seconds)
                seconds, path = bare_download(url, folder)
                assert path.stat().st_size == size
                bare_times.append(seconds)
            svc, bare = statistics.median(service_times), statistics.median(bare_times)
            print(f"download  service {mb / svc:8.1f} MB/s ({svc:.2f} s)   bare yt-dlp {mb / bare:8.1f} MB/s "
                  f"({bare:.2f} s)   throughput ratio service/bare {bare / svc:.2f}")
            for name, target in (("direct mp4", url), ("HLS playlist", f"{base}/index.m3u8")):
                svc_info = statistics.median(asyncio.run(service_info(address, target)) for _ in range(args.runs * 2))
                bare_i = statistics.median(bare_info(target) for _ in range(args.runs * 2))
                print(f"info ({name:12}) service {svc_info * 1000:7.1f} ms   bare yt-dlp {bare_i * 1000:7.1f} ms   "
                      f"ratio {svc_info / bare_i:.2f}")


if __name__ == "__main__":
    main()
