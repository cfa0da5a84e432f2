"""safe_av refuses playlist demuxers that would open files past the
media-root check, and opens plain containers."""

import subprocess

import av
import pytest

from optivus_common.safe_av import duration_of, open_container


def ffmpeg(*args):
    subprocess.run(["ffmpeg", "-loglevel", "error", "-y", *args], check=True)


@pytest.fixture(scope="module")
def media(tmp_path_factory):
    root = tmp_path_factory.mktemp("root")
    outside = tmp_path_factory.mktemp("outside")
    ffmpeg("-f", "lavfi", "-i", "sine=duration=2", "-c:a", "aac", "-f", "mpegts", str(outside / "secret.ts"))
    ffmpeg("-f", "lavfi", "-i", "sine=duration=2", str(root / "plain.wav"))
    (root / "list.m3u8").write_text("#EXTM3U\n#EXT-X-TARGETDURATION:2\n#EXTINF:2.0,\n"
                                    f"file://{outside / 'secret.ts'}\n#EXT-X-ENDLIST\n")
    (root / "list.ffconcat").write_text(f"ffconcat version 1.0\nfile '{outside / 'secret.ts'}'\n")
    return root


@pytest.mark.parametrize("name", ["list.m3u8", "list.ffconcat"])
def test_playlists_are_refused(media, name):
    with av.open(str(media / "list.m3u8")) as plain:  # what an unguarded open would do
        assert plain.format.name == "hls"
    with pytest.raises(av.FFmpegError):
        with open_container(str(media / name)) as container:
            list(container.decode(audio=0))


def test_plain_files_and_bytes_open(media):
    with open_container(str(media / "plain.wav")) as container:
        assert container.format.name == "wav"
        assert sum(f.samples for f in container.decode(audio=0)) > 0
    with open_container((media / "plain.wav").read_bytes()) as container:
        assert container.streams.audio


def test_duration_of_reads_what_the_container_says(media, tmp_path):
    assert duration_of(str(media / "plain.wav")) == pytest.approx(2.0, abs=0.05)
    assert duration_of((media / "plain.wav").read_bytes()) == pytest.approx(2.0, abs=0.05)
    (tmp_path / "noise.bin").write_bytes(b"\x00\x01" * 1000)
    assert duration_of(str(tmp_path / "noise.bin")) is None
    assert duration_of(str(media / "list.m3u8")) is None  # a playlist is not opened
    assert duration_of(str(tmp_path / "missing.wav")) is None
