"""Issue #9 item 7: a long file is decoded and transcribed in bounded
pieces. Today's code decoded a whole file first: a 30-minute Opus file
(1.2 MB) grew the process by 310 MB while decoding and by 510 MB through
the engine. Each check runs in a fresh process and reads its peak RSS."""

from __future__ import annotations

import pytest

from optivus_testing.whisper import long_quiet_opus, peak_rss_growth_mb

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def long_file(tmp_path_factory):
    return long_quiet_opus(tmp_path_factory.mktemp("long"), 30)


def test_decoding_holds_one_block_at_a_time(long_file):
    growth = peak_rss_growth_mb(
        "from optivus_whisper.audio import decode_blocks",
        f"seconds = sum(b.size for b in decode_blocks({str(long_file)!r}, 14400)) / 16000\n"
        "assert abs(seconds - 1800) < 2, seconds")
    assert growth < 60  # 30 min of float32 alone would be 115 MB


@pytest.mark.parametrize("decoding", ["batched", "sequential"])
def test_a_30_minute_file_through_the_engine_stays_bounded(long_file, model_cache, tmp_path, decoding):
    setup = (
        "import numpy as np\n"
        "from pathlib import Path\n"
        "from optivus_whisper.config import WhisperSettings\n"
        "from optivus_whisper.engine import Options, WhisperEngine\n"
        f"engine = WhisperEngine(WhisperSettings(model='tiny.en', model_cache=Path({str(model_cache)!r}), "
        f"data_dir=Path({str(tmp_path)!r}), decoding={decoding!r}))\n"
        "engine.load()\n"
        "list(engine.transcribe_array(np.zeros(16000, np.float32), Options(vad_filter=True)))\n"
    )
    # vad_filter: the noise holds no speech, so the model skips it all and
    # the check measures decoding, cutting and the VAD, quickly.
    work = (f"*_, info = engine.transcribe({str(long_file)!r}, Options(vad_filter=True))\n"
            "assert abs(info.duration - 1800) < 2, info\n")
    assert peak_rss_growth_mb(setup, work) < 150
