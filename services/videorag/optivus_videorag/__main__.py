"""python -m optivus_videorag: settings -> serve (the models and Milvus
load while health says NOT_SERVING)."""

from __future__ import annotations

import sys

from optivus_common.server import main

from .config import VideoRagSettings
from .server import run

if __name__ == "__main__":
    sys.exit(main(VideoRagSettings(), run))
