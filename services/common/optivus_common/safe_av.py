"""Opens media with FFmpeg (PyAV) limited to plain container demuxers.

Playlist-like demuxers (hls, concat, dash, image2, tty, ...) would open
whatever files or URLs the media names, past the media-root check, so
they are not on the list; nested files are never opened. Every service
that hands client media to PyAV opens it through open_container()."""

from __future__ import annotations

import io

# FFmpeg demuxer names (av_match_list matches any name of a multi-name demuxer).
SAFE_DEMUXERS = ",".join([
    "mov", "mp4", "m4a", "3gp", "matroska", "webm", "mp3", "wav", "w64", "flac", "ogg", "aac", "asf", "avi",
    "mpegts", "mpeg", "flv", "aiff", "caf", "amr", "wv", "ape", "au", "mxf", "nut", "ivf", "h264", "hevc",
    "mjpeg", "image2pipe", "png_pipe", "jpeg_pipe", "webp_pipe", "gif", "loas", "ac3", "eac3", "dts", "truehd",
    "mlp", "tta", "voc", "rm", "gsm", "yuv4mpegpipe",
])
OPTIONS = {"format_whitelist": SAFE_DEMUXERS, "protocol_whitelist": "file,pipe"}


def open_container(source: str | bytes):
    """av.open for a path or bytes, with SAFE_DEMUXERS only. Raises
    av.FFmpegError (InvalidDataError) for anything else."""
    import av

    target = io.BytesIO(source) if isinstance(source, bytes) else source
    return av.open(target, mode="r", options=dict(OPTIONS), metadata_errors="ignore")


def duration_of(source: str | bytes) -> float | None:
    """Seconds the container says the media lasts (nothing is decoded), or
    None when it does not say or cannot be opened."""
    import av

    try:
        with open_container(source) as container:
            if container.duration is not None:
                return container.duration / av.time_base
            streams = [s for s in container.streams if s.duration is not None and s.time_base is not None]
            return max((float(s.duration * s.time_base) for s in streams), default=None)
    except (av.FFmpegError, OSError):
        return None
