"""Response bodies: decoded as they are read, capped unless a media
downloader reads them; a gzip bomb, an endless page and an endless
playlist end in a clear error with memory bounded by the limits."""

from __future__ import annotations

import gzip
import http.client
import io
import tracemalloc
import zlib

import pytest

from optivus_common.errors import OptivusError, ResourceExhausted
from optivus_dlp.bodies import MAX_IDLE_INPUT, BoundedBody, Inflater, decoding
from optivus_dlp.fetch_handle import FetchHandle
from optivus_testing.dlp_site import BOMB_BYTES, files_under, gzip_bomb, wait_until

pytestmark = pytest.mark.integration  # real site, yt-dlp and hundreds of MB decoded: about a minute

MB = 1024 * 1024
# Memory a download needs besides the bytes it holds: yt-dlp's extraction,
# its read blocks (up to 4 MB) and the test's own server thread.
HEADROOM = 16 * MB
TEXT = b"".join(b"line %d of a page that compresses well\n" % i for i in range(20000))


class Source:
    """A raw body handed out in pieces of at most `piece` bytes."""

    def __init__(self, data: bytes, piece: int = 1000) -> None:
        self._data = io.BytesIO(data)
        self._piece = piece
        self.taken = 0

    def read(self, amt: int) -> bytes:
        data = self._data.read(min(amt, self._piece))
        self.taken += len(data)
        return data


def read_all(reader, amt: int) -> bytes:
    parts = []
    while part := reader.read(amt):
        assert len(part) <= amt
        parts.append(part)
    return b"".join(parts)


def deflated(data: bytes, wbits: int) -> bytes:
    packer = zlib.compressobj(6, zlib.DEFLATED, wbits)
    return packer.compress(data) + packer.flush()


@pytest.mark.parametrize("encoding, packed", [
    ("gzip", gzip.compress(TEXT)),
    ("x-gzip", gzip.compress(TEXT)),
    ("deflate", deflated(TEXT, zlib.MAX_WBITS)),  # with the zlib header (RFC 9110)
    ("deflate", deflated(TEXT, -zlib.MAX_WBITS)),  # raw, as some servers send it
])
@pytest.mark.parametrize("amt", [1, 777, 64 * 1024])
def test_encodings_decode_in_pieces_no_larger_than_asked(encoding, packed, amt):
    assert read_all(decoding(Source(packed), encoding), amt) == TEXT


def test_stacked_encodings_and_unknown_ones():
    twice = gzip.compress(deflated(TEXT, zlib.MAX_WBITS))
    assert read_all(decoding(Source(twice), "deflate, gzip"), 4096) == TEXT
    assert read_all(decoding(Source(b"as sent"), "br"), 10) == b"as sent"  # left as yt-dlp leaves it
    assert read_all(decoding(Source(b"as sent"), ""), 10) == b"as sent"


def test_a_bomb_is_decoded_no_faster_than_it_is_read():
    bomb = gzip_bomb()
    source = Source(bomb, piece=64 * 1024)
    inflater = Inflater(source, "gzip")
    out = inflater.read(MB)
    assert len(out) == MB and source.taken <= 64 * 1024


def test_trailing_junk_empty_and_truncated_bodies():
    assert read_all(Inflater(Source(gzip.compress(TEXT) + b"junk"), "gzip"), 5000) == TEXT
    assert Inflater(Source(b""), "gzip").read(10) == b""
    assert Inflater(Source(b""), "deflate").read(10) == b""
    packed = gzip.compress(TEXT)
    partial = read_all(Inflater(Source(packed[:len(packed) // 2]), "gzip"), 5000)
    assert partial and TEXT.startswith(partial) and len(partial) < len(TEXT)
    with pytest.raises(zlib.error):
        read_all(Inflater(Source(b"\x1f\x8b\x08\x00 not really gzip" * 10), "gzip"), 100)


def test_compressed_input_that_decodes_to_nothing_is_given_up():
    """Empty stored deflate blocks (5 bytes each, no output) without end."""
    endless = b"\x00\x00\x00\xff\xff" * (MAX_IDLE_INPUT // 5 + 1000)
    with pytest.raises(zlib.error):
        Inflater(Source(endless, piece=64 * 1024), "deflate").read(100)


class Response:
    """Enough of http.client.HTTPResponse for BoundedBody."""

    def __init__(self, data: bytes, length: int | None = None) -> None:
        self._data = io.BytesIO(data)
        self.length = length
        self.closed = False

    def read(self, amt: int) -> bytes:
        data = self._data.read(amt)
        if self.length is not None:
            self.length -= len(data)
        return data

    def close(self) -> None:
        self.closed = True


class TooLarge(Exception):
    pass


def body(data: bytes, limit: int | None, lifted: bool = False, encoding: str = "", length=None):
    response = Response(data, length)
    return response, BoundedBody(response, encoding, limit, lambda: lifted, lambda n: TooLarge(n))


def test_whole_reads_stop_at_the_cap_and_close_the_response():
    response, reader = body(b"x" * 5000, limit=4096)
    with pytest.raises(TooLarge):
        reader.read()
    assert response.closed and reader.read() == b""
    assert body(b"x" * 4096, limit=4096)[1].read() == b"x" * 4096  # exactly the cap is fine
    _, reader = body(gzip.compress(TEXT), limit=len(TEXT) - 1, encoding="gzip")
    with pytest.raises(TooLarge):
        reader.read()  # the decoded size counts, not the compressed one


def test_chunked_reads_count_against_the_cap_unless_lifted():
    _, reader = body(b"x" * 5000, limit=4096)
    assert reader.read(4000) == b"x" * 4000
    with pytest.raises(TooLarge):
        reader.read(4000)
    _, reader = body(b"x" * 5000, limit=4096, lifted=True)
    assert read_all(reader, 1000) == b"x" * 5000
    _, reader = body(b"x" * 5000, limit=4096, lifted=True)
    with pytest.raises(TooLarge):
        reader.read()  # a whole read is capped even while a downloader runs
    assert read_all(body(b"x" * 5000, limit=None)[1], 999) == b"x" * 5000


def test_a_short_body_is_still_reported_short():
    _, reader = body(b"x" * 100, limit=4096, length=200)
    with pytest.raises(http.client.IncompleteRead):
        reader.read()


def traced_peak(fn, *args) -> tuple[int, BaseException | None]:
    tracemalloc.start()
    try:
        fn(*args)
        error = None
    except OptivusError as exc:
        error = exc
    finally:
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    return peak, error


@pytest.mark.slow  # 256 MB decoded under tracemalloc: about 20 s
def test_a_gzip_bomb_served_as_media_is_refused_with_bounded_memory(engine_for, site):
    """256 MB of spaces in 250 KB of gzip, with Content-Encoding: gzip.
    yt-dlp's own handler inflated it whole before any size check (peak
    above 500 MB); decoded as it is read, the file size limit stops it."""
    gzip_bomb()
    engine = engine_for(max_file_mb=1)
    peak, error = traced_peak(engine.download, site.url("bomb.mp4"), None, FetchHandle())
    assert isinstance(error, ResourceExhausted) and error.reason == "FILE_TOO_LARGE", error
    assert peak < engine.settings.max_file_bytes + HEADROOM < BOMB_BYTES // 8, peak
    assert files_under(engine.settings.path_video) == []


def test_a_gzip_bomb_served_as_a_page_is_refused_with_bounded_memory(engine_for, site):
    gzip_bomb()
    engine = engine_for(max_page_mb=1)
    peak, error = traced_peak(engine.get_info, site.url("bomb.html"), FetchHandle())
    assert isinstance(error, ResourceExhausted) and error.reason == "RESPONSE_TOO_LARGE", error
    assert "1.0 MB" in error.message
    assert peak < engine.settings.max_page_bytes + HEADROOM, peak


def test_an_endless_page_is_refused_with_bounded_memory(engine_for, site):
    engine = engine_for(max_page_mb=1)
    peak, error = traced_peak(engine.get_info, site.url("endless.html"), FetchHandle())
    assert isinstance(error, ResourceExhausted) and error.reason == "RESPONSE_TOO_LARGE", error
    assert peak < engine.settings.max_page_bytes + HEADROOM, peak
    hit = site.hits_for("/endless.html")[-1]
    assert wait_until(lambda: hit.ended is not None)  # the connection was closed, the server stopped
    assert hit.client_closed


def test_an_endless_playlist_fetched_by_the_hls_downloader_is_refused(engine_for, site):
    """The playlist is fine while extracting; the HLS downloader fetches it
    again and gets one without end. Its whole read stays capped although
    a media downloader is running."""
    engine = engine_for(max_page_mb=1)
    path = "/twice/endless/index.m3u8"
    peak, error = traced_peak(engine.download, site.url(path), None, FetchHandle())
    assert isinstance(error, ResourceExhausted) and error.reason == "RESPONSE_TOO_LARGE", error
    assert peak < engine.settings.max_page_bytes + HEADROOM, peak
    assert len(site.hits_for(path)) == 2 and not site.hits_for("/twice/endless/seg000.ts")
    assert files_under(engine.settings.path_video) == []


def test_media_larger_than_the_page_cap_still_downloads(engine_for, site):
    """The cap (4 KB here) is for pages: the 41 KB clip and the 15 KB HLS
    segments are read by the downloaders, in chunks, to disk."""
    engine = engine_for(max_page_mb=0.004)
    assert (site.root / "clip.mp4").stat().st_size > engine.settings.max_page_bytes
    for url in (site.url("clip.mp4"), site.url("page.html"), site.url("hls/index.m3u8")):
        result = engine.download(url, None, FetchHandle())
        assert result.size_bytes > engine.settings.max_page_bytes
    assert len(files_under(engine.settings.path_video)) == 3


def test_gzip_encoded_pages_and_playlists_still_work(engine_for, site):
    engine = engine_for()
    result = engine.download(site.url("gz/page.html"), None, FetchHandle())
    assert result.path.read_bytes() == (site.root / "clip.mp4").read_bytes()
    assert site.hits_for("/gz/clip.mp4")[-1].accept_encoding == "identity"  # yt-dlp's downloader asks so
    result = engine.download(site.url("gz/hls/index.m3u8"), None, FetchHandle())
    assert result.size_bytes > 0 and site.hits_for("/gz/hls/seg002.ts")


def test_requests_accept_only_the_encodings_decoded_as_a_stream(engine_for, site):
    engine = engine_for()
    handle = FetchHandle()
    with engine._ydl(handle, engine._params()) as ydl:
        response = ydl.urlopen(site.url("gz/page.html"))
        assert response.headers["Content-Encoding"] == "gzip"
        assert response.read() == (site.root / "page.html").read_bytes()
    handle.release()
    assert site.hits_for("/gz/page.html")[-1].accept_encoding == "gzip, deflate"
