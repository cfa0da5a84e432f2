"""python -m optivus_whisper: settings -> engine -> serve (model loads while
health says NOT_SERVING)."""

from __future__ import annotations

import sys

from optivus_common.server import main

from .config import WhisperSettings
from .server import run

if __name__ == "__main__":
    sys.exit(main(WhisperSettings(), run))
