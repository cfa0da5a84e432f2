"""A small media website the tests own: a real HTTP server on a loopback
address serving media made with ffmpeg, plus the awkward cases (404, no
media, too large, slow, stalled, redirects, media on another server, an
old Last-Modified, rate limits, a members' area behind a cookie, pages that
imitate the failures of popular sites: dlp_imitation.py). It records every request
with its start and end times and how many body bytes it sent."""

from __future__ import annotations

import functools
import gzip
import html
import mimetypes
import select
import subprocess
import threading
import time
import urllib.parse
import zlib
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from .http_server import serving

BIG_BYTES = 32 * 1024 * 1024  # more than loopback socket buffers hold
SLOW_BYTES = 64 * 1024 * 1024
CHUNK = 16 * 1024
OLD_DATE = "Sat, 01 Jan 2000 00:00:00 GMT"  # the Last-Modified of /dated/<file>
BOMB_BYTES = 256 * 1024 * 1024  # what the gzip bomb expands to (it is about 250 KB on the wire)

PAGE = """<!DOCTYPE html><html><head><title>A test page</title></head><body><h1>Clip</h1>
<video controls width="320"><source src="clip.mp4" type="video/mp4"></video></body></html>"""
TWO_VIDEOS = """<!DOCTYPE html><html><head><title>Two clips</title></head><body>
<video src="clip.mp4"></video><video src="hls/index.m3u8"></video></body></html>"""
NO_MEDIA = "<!DOCTYPE html><html><head><title>Nothing</title></head><body>No media here.</body></html>"
PLAYLIST_ENTRIES = 20
MANY = ("<!DOCTYPE html><html><head><title>Many clips</title></head><body>"
        + "".join(f'<video src="clip.mp4?entry={i}"></video>' for i in range(PLAYLIST_ENTRIES)) + "</body></html>")
EMBED = """<!DOCTYPE html><html><head><title>Embedded</title></head><body>
<video controls width="320"><source src="{src}" type="video/mp4"></video></body></html>"""
MASTER = """#EXTM3U
#EXT-X-VERSION:3
#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID="aud",NAME="English",DEFAULT=YES,AUTOSELECT=YES,URI="audio.m3u8"
#EXT-X-STREAM-INF:BANDWIDTH=200000,RESOLUTION=160x120,CODECS="avc1.64000c,mp4a.40.2",AUDIO="aud"
video.m3u8
"""


@functools.cache
def gzip_bomb() -> bytes:
    """A gzip member of BOMB_BYTES: the start of an HTML page, then spaces
    (run-length strategy: made in a second)."""
    packer = zlib.compressobj(9, zlib.DEFLATED, zlib.MAX_WBITS | 16, 9, zlib.Z_RLE)
    spaces = b" " * (1024 * 1024)
    return b"".join([packer.compress(b"<!DOCTYPE html><html><head><title>Bomb</title></head><body>"),
                     *(packer.compress(spaces) for _ in range(BOMB_BYTES // len(spaces))), packer.flush()])


def ffmpeg(*args: str) -> None:
    subprocess.run(["ffmpeg", "-loglevel", "error", "-y", *args], check=True)


def make_media(root: Path) -> Path:
    """clip.mp4 (3 s, H.264 + AAC), the same clip as HLS (hls/), as separate
    video-only and audio-only HLS renditions (sep/), and some pages
    (many.html: a playlist of PLAYLIST_ENTRIES clips, each at its own URL)."""
    root.mkdir(parents=True, exist_ok=True)
    clip = root / "clip.mp4"
    if not clip.exists():
        ffmpeg("-f", "lavfi", "-i", "testsrc=duration=3:size=160x120:rate=10",
               "-f", "lavfi", "-i", "sine=frequency=440:duration=3",
               "-c:v", "libx264", "-g", "10", "-pix_fmt", "yuv420p", "-c:a", "aac", "-shortest", str(clip))
    for sub in ("hls", "sep"):
        (root / sub).mkdir(exist_ok=True)
    hls = ["-f", "hls", "-hls_time", "1", "-hls_playlist_type", "vod"]
    ffmpeg("-i", str(clip), "-c", "copy", *hls, "-hls_segment_filename", str(root / "hls/seg%03d.ts"),
           str(root / "hls/index.m3u8"))
    ffmpeg("-i", str(clip), "-map", "0:v", "-c", "copy", *hls,
           "-hls_segment_filename", str(root / "sep/v%03d.ts"), str(root / "sep/video.m3u8"))
    ffmpeg("-i", str(clip), "-map", "0:a", "-c", "copy", *hls,
           "-hls_segment_filename", str(root / "sep/a%03d.ts"), str(root / "sep/audio.m3u8"))
    (root / "sep/master.m3u8").write_text(MASTER)
    (root / "page.html").write_text(PAGE)
    (root / "two.html").write_text(TWO_VIDEOS)
    (root / "many.html").write_text(MANY)
    (root / "empty.html").write_text(NO_MEDIA)
    return root


@dataclass
class Hit:
    path: str
    started: float
    ended: float | None = None
    sent: int = 0
    client_closed: bool = False
    accept_encoding: str | None = None
    cookie: str | None = None


def _content_type(name: str) -> str:
    if name.endswith(".m3u8"):
        return "application/vnd.apple.mpegurl"
    if name.endswith(".ts"):
        return "video/mp2t"
    return mimetypes.guess_type(name)[0] or "application/octet-stream"


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.0"
    server: "_Server"

    def log_message(self, *args) -> None:
        pass

    def do_GET(self) -> None:  # noqa: N802 - http.server's name
        site = self.server.site
        hit = site.record(self.path)
        hit.accept_encoding = self.headers.get("Accept-Encoding")
        hit.cookie = self.headers.get("Cookie")
        try:
            self._route(site, hit)
        except (BrokenPipeError, ConnectionResetError):
            hit.client_closed = True
        finally:
            hit.ended = time.monotonic()

    def _send_head(self, status: int, ctype: str, length: int | None, extra: dict | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        if length is not None:
            self.send_header("Content-Length", str(length))
        for key, value in (extra or {}).items():
            self.send_header(key, value)
        self.end_headers()

    def _write(self, hit: Hit, data: bytes) -> None:
        self.wfile.write(data)
        self.wfile.flush()
        hit.sent += len(data)

    def _route(self, site: "MediaSite", hit: Hit) -> None:
        url = urllib.parse.urlsplit(self.path)
        path, query = url.path, urllib.parse.parse_qs(url.query)
        if path == "/redirect":
            self._send_head(302, "text/plain", 0, {"Location": query["to"][0]})
        elif path == "/big.mp4":
            self._stream(hit, BIG_BYTES, announce=True)
        elif path == "/big-unannounced.mp4":
            self._stream(hit, BIG_BYTES, announce=False)
        elif path == "/slow.mp4":
            self._stream(hit, SLOW_BYTES, announce=True, pause=0.02)
        elif path == "/stall.mp4":
            self._stall(hit)
        elif path in ("/bomb.mp4", "/bomb.html"):
            body = gzip_bomb()
            self._send_head(200, _content_type(path), len(body), {"Content-Encoding": "gzip"})
            self._write(hit, body)
        elif path == "/endless.html":
            self._endless(hit)
        elif path.startswith("/gz/"):
            self._gzipped(site, hit, path[len("/gz"):])
        elif path.startswith("/twice/"):
            self._twice(site, hit, path)
        elif path.startswith("/gate/"):
            self._gate(site, hit, path)
        elif path.startswith("/saes/"):
            self._sample_aes(site, hit, path[len("/saes/"):])
        elif path.startswith("/limited/"):
            self._limited(site, hit, path[len("/limited"):])
        elif path.startswith("/members/"):
            self._members(site, hit, path[len("/members"):])
        elif path.startswith("/imitate/"):
            from .dlp_imitation import page

            self._text(hit, "text/html", page(path[len("/imitate/"):]))
        elif path.startswith("/dated/"):
            self._file(site, hit, path[len("/dated"):], {"Last-Modified": OLD_DATE})
        elif path == "/embed.html":
            self._text(hit, "text/html", EMBED.format(src=html.escape(query["src"][0])))
        elif path == "/elsewhere.m3u8":
            self._elsewhere(site, hit, query["base"][0])
        else:
            self._file(site, hit, path)

    def _file(self, site: "MediaSite", hit: Hit, path: str, extra: dict | None = None) -> None:
        target = (site.root / urllib.parse.unquote(path).lstrip("/")).resolve()
        if not target.is_relative_to(site.root) or not target.is_file():
            body = b"not found"
            self._send_head(404, "text/plain", len(body))
            self._write(hit, body)
            return
        data = target.read_bytes()
        self._send_head(200, _content_type(target.name), len(data), extra)
        self._write(hit, data)

    def _limited(self, site: "MediaSite", hit: Hit, path: str) -> None:
        """/limited/<file>: HTTP 429 with Retry-After while the site's
        `limit_next` count lasts, then the file."""
        with site._lock:
            limited = site.limit_next > 0
            site.limit_next -= limited
        if limited:
            body = b"Too Many Requests"
            self._send_head(429, "text/plain", len(body), {"Retry-After": site.retry_after})
            self._write(hit, body)
        else:
            self._file(site, hit, path)

    def _members(self, site: "MediaSite", hit: Hit, path: str) -> None:
        """/members/<file>: the file only for a client that sends the
        site's session cookie."""
        if f"session={site.session}" in (hit.cookie or ""):
            self._file(site, hit, path)
        else:
            body = b"sign in first"
            self._send_head(403, "text/plain", len(body))
            self._write(hit, body)

    def _text(self, hit: Hit, ctype: str, text: str) -> None:
        body = text.encode()
        self._send_head(200, ctype, len(body))
        self._write(hit, body)

    def _elsewhere(self, site: "MediaSite", hit: Hit, base: str) -> None:
        """/elsewhere.m3u8?base=<URL>: the HLS clip's playlist, its segments at <URL><name>."""
        lines = (site.root / "hls/index.m3u8").read_text().splitlines()
        self._text(hit, _content_type("x.m3u8"),
                   "".join(f"{line}\n" if not line or line.startswith("#") else f"{base}{line}\n" for line in lines))

    def _sample_aes(self, site: "MediaSite", hit: Hit, file: str) -> None:
        """/saes/<hls file>: the HLS clip with a SAMPLE-AES key line in its
        playlist (the segments are not really encrypted), and a key."""
        if file == "index.m3u8":
            text = (site.root / "hls/index.m3u8").read_text()
            self._text(hit, _content_type(file), text.replace(
                "#EXTM3U\n", '#EXTM3U\n#EXT-X-KEY:METHOD=SAMPLE-AES,URI="key.bin",KEYFORMAT="identity"\n', 1))
        elif file == "key.bin":
            self._text(hit, "application/octet-stream", "0123456789abcdef")
        else:
            self._file(site, hit, f"/hls/{file}")

    def _stream(self, hit: Hit, size: int, announce: bool, pause: float = 0.0) -> None:
        """`size` bytes: the clip, then zeros; paced when `pause` is set."""
        head = (self.server.site.root / "clip.mp4").read_bytes()
        self._send_head(200, "video/mp4", size if announce else None)
        sent = 0
        while sent < size:
            piece = head[sent:sent + CHUNK] if sent < len(head) else bytes(min(CHUNK, size - sent))
            self._write(hit, piece)
            sent += len(piece)
            if pause and sent > 4 * CHUNK:
                time.sleep(pause)

    def _stall(self, hit: Hit) -> None:
        """Sends a first part, then nothing, until the client goes away."""
        self._send_head(200, "video/mp4", 16 * 1024 * 1024)
        self._write(hit, (self.server.site.root / "clip.mp4").read_bytes())
        while not self.server.site.stopping.is_set():
            readable, _, _ = select.select([self.connection], [], [], 0.2)
            if readable and not self.connection.recv(1024):
                hit.client_closed = True
                return

    def _gzipped(self, site: "MediaSite", hit: Hit, path: str) -> None:
        """/gz/<file>: the file gzip-encoded, pages and playlists even for
        clients that asked for identity (as some servers do), media only
        for clients that accept gzip."""
        target = (site.root / urllib.parse.unquote(path).lstrip("/")).resolve()
        wanted = "gzip" in (hit.accept_encoding or "") or target.suffix in (".html", ".m3u8")
        if not wanted or not target.is_relative_to(site.root) or not target.is_file():
            self._file(site, hit, path)
            return
        body = gzip.compress(target.read_bytes())
        self._send_head(200, _content_type(target.name), len(body), {"Content-Encoding": "gzip"})
        self._write(hit, body)

    def _endless(self, hit: Hit) -> None:
        """An HTML page that never ends (no length: it would end when the connection does)."""
        self._send_head(200, "text/html", None)
        self._write(hit, b"<!DOCTYPE html><html><head><title>Endless</title></head><body>")
        line = b"<p>" + b"x" * (CHUNK - 8) + b"</p>\n"
        while not self.server.site.stopping.is_set():
            self._write(hit, line)

    def _twice(self, site: "MediaSite", hit: Hit, path: str) -> None:
        """/twice/<name>/<hls file>: the HLS clip, but a playlist asked for
        again (as yt-dlp's HLS downloader does) never ends."""
        _, _, name, file = path.split("/", 3)
        if file.endswith(".m3u8") and len(site.hits_for(path)) > 1:
            self._send_head(200, _content_type(file), None)
            self._write(hit, b"#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:1\n")
            line = b"#" + b"x" * (CHUNK - 2) + b"\n"
            while not site.stopping.is_set():
                self._write(hit, line)
            return
        self._file(site, hit, f"/hls/{file}")

    def _gate(self, site: "MediaSite", hit: Hit, path: str) -> None:
        """/gate/<name>/<hls file>: the HLS clip, where each stream's first
        segment is only sent once the other stream has asked for its own:
        two downloads finish only when they run at the same time."""
        _, _, name, file = path.split("/", 3)
        if file == "seg000.ts":
            try:
                site.barrier.wait()
            except threading.BrokenBarrierError:
                site.barrier_broken = True
        self._file(site, hit, f"/hls/{file}")


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    site: "MediaSite"


class MediaSite:
    def __init__(self, root: Path, host: str = "127.0.0.1", gate_timeout: float = 20.0) -> None:
        self.root = root.resolve()
        self.hits: list[Hit] = []
        self._lock = threading.Lock()
        self.stopping = threading.Event()
        self.barrier = threading.Barrier(2, timeout=gate_timeout)
        self.barrier_broken = False
        self.limit_next = 0  # /limited/ answers 429 to this many requests
        self.retry_after = "120"
        self.session = "s3cr3t-session-value-0123456789"  # the cookie /members/ wants
        self._server = _Server((host, 0), _Handler)
        self._server.site = self
        self.host = host
        self.port = self._server.server_address[1]
        self._serving = serving(self._server)

    def __enter__(self) -> "MediaSite":
        self._serving.__enter__()
        return self

    def __exit__(self, *exc) -> None:
        self.stopping.set()
        self.barrier.abort()
        self._serving.__exit__(*exc)

    def url(self, path: str) -> str:
        return f"http://{self.host}:{self.port}/{path.lstrip('/')}"

    def record(self, path: str) -> Hit:
        hit = Hit(path, time.monotonic())
        with self._lock:
            self.hits.append(hit)
        return hit

    def hits_for(self, path: str) -> list[Hit]:
        with self._lock:
            return [h for h in self.hits if h.path == path]

    def reset_gate(self) -> None:
        self.barrier.reset()
        self.barrier_broken = False


def wait_until(predicate, timeout: float = 30.0, interval: float = 0.05) -> bool:
    """Polls for an event that happens on another thread or process."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return predicate()


def files_under(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file()) if folder.exists() else []
