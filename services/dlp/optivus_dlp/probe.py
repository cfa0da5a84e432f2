"""What a finished download really holds, read by ffprobe (the limits are
checked on the file, not only on what the site said)."""

from __future__ import annotations

import json
import subprocess
from dataclasses import dataclass
from pathlib import Path

from optivus_common.errors import InvalidArgument


@dataclass(frozen=True)
class Probe:
    duration: float | None
    has_video: bool
    has_audio: bool


def probe(path: Path, timeout: float = 120) -> Probe:
    """Raises InvalidArgument when the file is not audio or video."""
    cmd = ["ffprobe", "-v", "error", "-protocol_whitelist", "file",
           "-show_entries", "format=duration:stream=codec_type", "-of", "json", str(path)]
    try:
        proc = subprocess.run(cmd, capture_output=True, timeout=timeout, check=False)
        data = json.loads(proc.stdout or b"{}") if proc.returncode == 0 else {}
    except (subprocess.TimeoutExpired, ValueError):
        data = {}
    kinds = {s.get("codec_type") for s in data.get("streams", [])}
    if not kinds & {"video", "audio"}:
        raise InvalidArgument("the downloaded file is not audio or video", reason="NOT_MEDIA")
    try:
        duration = float(data.get("format", {}).get("duration"))
    except (TypeError, ValueError):
        duration = None
    return Probe(duration, "video" in kinds, "audio" in kinds)
