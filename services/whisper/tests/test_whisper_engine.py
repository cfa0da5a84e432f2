"""faster-whisper on the packaged models, transcribing Piper speech."""

import threading

import pytest

from optivus_common.errors import InvalidArgument, ResourceExhausted, Unavailable
from optivus_whisper.config import WhisperSettings
from optivus_whisper.engine import AudioInfo, Options, Segment, WhisperEngine

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def engine(model_cache, media_dir):
    engine = WhisperEngine(WhisperSettings(model="base", model_cache=model_cache, data_dir=media_dir,
                                           batch_workers=2))
    engine.load()
    return engine


def run(engine, source, options=Options(), stop=None):
    items = list(engine.transcribe(source, options, stop))
    assert isinstance(items[0], AudioInfo)
    return items[0], items[1:]


def test_word_error_rate_over_all_sentences_is_at_most_10_percent(engine, speech_mp3, wer):
    path, reference = speech_mp3
    info, segments = run(engine, str(path))
    hypothesis = " ".join(s.text for s in segments)
    assert wer(reference, hypothesis) <= 0.10, hypothesis
    assert info.language == "en" and info.language_probability > 0.8
    assert all(isinstance(s, Segment) and s.start <= s.end for s in segments)
    assert segments[-1].end <= info.duration + 0.5


def test_each_container_decodes(engine, speech, media_dir, wer):
    from conftest import ffmpeg

    source, text = speech[1]
    for ext, codec in [("flac", "flac"), ("ogg", "libvorbis"), ("m4a", "aac"), ("webm", "libopus"), ("mkv", "aac")]:
        out = media_dir / f"container.{ext}"
        ffmpeg("-i", str(source), "-c:a", codec, str(out))
        _, segments = run(engine, str(out))
        assert wer(text, " ".join(s.text for s in segments)) <= 0.2, ext


def test_inline_bytes_and_word_timestamps(engine, speech, wer):
    path, text = speech[0]
    _, segments = run(engine, path.read_bytes(), Options(language="en", word_timestamps=True))
    assert wer(text, " ".join(s.text for s in segments)) <= 0.2
    words = [w for s in segments for w in s.words]
    assert len(words) >= 8 and all(w.start <= w.end for w in words)


def test_translate_and_vad_run(engine, speech):
    _, segments = run(engine, str(speech[2][0]), Options(task="translate", vad_filter=True, beam_size=1))
    assert segments


def test_stop_ends_the_stream_early(engine, speech_mp3):
    stop = threading.Event()
    stream = engine.transcribe(str(speech_mp3[0]), Options(), stop)
    next(stream)  # AudioInfo
    next(stream)  # first segment
    stop.set()
    assert list(stream) == []


def test_bad_options_and_media(engine, bad_media, speech):
    with pytest.raises(InvalidArgument, match="unknown language"):
        list(engine.transcribe(str(speech[0][0]), Options(language="xx")))
    for key in ("text", "truncated", "playlist"):
        with pytest.raises(InvalidArgument) as err:
            list(engine.transcribe(str(bad_media[key]), Options()))
        assert err.value.reason == "MEDIA_UNDECODABLE"
    with pytest.raises(InvalidArgument) as err:
        list(engine.transcribe(str(bad_media["no_audio"]), Options()))
    assert err.value.reason == "NO_AUDIO_STREAM"


def test_too_long_audio_is_refused_before_decoding(model_cache, media_dir, speech):
    engine = WhisperEngine(WhisperSettings(model="tiny.en", model_cache=model_cache, data_dir=media_dir,
                                           max_audio_seconds=1))
    with pytest.raises(Unavailable):
        list(engine.transcribe(str(speech[0][0]), Options()))
    engine.load()
    with pytest.raises(ResourceExhausted) as err:
        list(engine.transcribe(str(speech[0][0]), Options()))
    assert err.value.reason == "AUDIO_TOO_LONG"


def test_tiny_en_is_english_only(model_cache, media_dir, speech, wer):
    engine = WhisperEngine(WhisperSettings(model="tiny.en", model_cache=model_cache, data_dir=media_dir))
    engine.load()
    _, segments = run(engine, str(speech[4][0]))
    assert wer(speech[4][1], " ".join(s.text for s in segments)) <= 0.3
    with pytest.raises(InvalidArgument, match="English only"):
        list(engine.transcribe(str(speech[4][0]), Options(language="de")))
