"""Sentence splitting, text checks, WAV framing and reference clip checks."""

from __future__ import annotations

import io
import wave

import numpy as np
import pytest

from optivus_common.errors import InvalidArgument
from optivus_fish import audio
from optivus_fish.references import check_id
from optivus_fish.text import check_text, split_sentences


def test_sentences_in_order():
    assert split_sentences("One two. Three four!  Five six? Seven", 200) == [
        "One two.", "Three four!", "Five six?", "Seven"]
    assert split_sentences("Line one\nLine two\n\nLine three.", 200) == ["Line one", "Line two", "Line three."]
    assert split_sentences("He said \"stop.\" Then left.", 200) == ["He said \"stop.\"", "Then left."]


def test_stray_punctuation_joins_the_sentence_before():
    assert split_sentences("Hello. ... Bye.", 200) == ["Hello. ...", "Bye."]


def test_long_sentences_are_cut_at_commas_or_spaces():
    text = ", ".join(["alpha beta gamma delta"] * 20) + "."
    pieces = split_sentences(text, 100)
    assert all(len(p) <= 100 for p in pieces) and len(pieces) > 3
    assert " ".join(pieces).replace(" ", "") == text.replace(" ", "")


def test_check_text():
    assert check_text("  hi  ", 10) == "hi"
    for empty in ("", "   ", "?!..."):
        with pytest.raises(InvalidArgument) as err:
            check_text(empty, 10)
        assert err.value.reason == "TEXT_EMPTY"
    with pytest.raises(InvalidArgument) as err:
        check_text("x" * 100_000, 5000)
    assert err.value.reason == "TEXT_TOO_LONG" and "100000" in err.value.message


def test_wav_bytes_is_a_valid_file():
    samples = np.sin(np.linspace(0, 100, 8000)).astype(np.float32) * 0.5
    with wave.open(io.BytesIO(audio.wav_bytes(samples, 16000))) as w:
        assert (w.getframerate(), w.getnchannels(), w.getsampwidth(), w.getnframes()) == (16000, 1, 2, 8000)
        back = np.frombuffer(w.readframes(8000), "<i2") / 32767
    assert np.abs(back - samples).max() < 1e-3


def test_streaming_header_says_unknown_length():
    header = audio.wav_header(22050)
    assert len(header) == 44 and header[40:44] == b"\xff\xff\xff\xff"


def test_reference_clip_checks():
    rate = 16000
    ok = audio.wav_bytes(np.zeros(rate * 2, np.float32), rate)
    wav, seconds = audio.reference_clip(ok, 60)
    assert seconds == pytest.approx(2.0)
    stereo = io.BytesIO()
    with wave.open(stereo, "wb") as w:
        w.setnchannels(2), w.setsampwidth(2), w.setframerate(rate), w.writeframes(b"\0\0" * 2 * rate)
    assert audio.reference_clip(stereo.getvalue(), 60)[1] == pytest.approx(1.0)
    cases = [(b"", "REFERENCE_EMPTY"), (b"garbage" * 50, "REFERENCE_UNDECODABLE"),
             (audio.wav_bytes(np.zeros(rate // 10, np.float32), rate), "REFERENCE_TOO_SHORT"),
             (audio.wav_bytes(np.zeros(rate * 3, np.float32), rate), "REFERENCE_TOO_LONG")]
    for data, reason in cases:
        with pytest.raises(InvalidArgument) as err:
            audio.reference_clip(data, 2.5)
        assert err.value.reason == reason


@pytest.mark.parametrize("bad", ["", "../../etc", "/abs/path", "a" * 10_240, "0" * 33, "g" * 32, None, 5])
def test_reference_ids_must_have_the_servers_form(bad):
    with pytest.raises(InvalidArgument) as err:
        check_id(bad)
    assert err.value.reason == "INVALID_REFERENCE_ID"
    assert len(err.value.message) < 200


def test_a_server_id_passes():
    assert check_id("0123456789abcdef" * 2) == "0123456789abcdef" * 2


def test_over_long_reference_is_refused_from_its_header_without_decoding():
    """120 s of 16 kHz PCM16 (3.8 MB) against a 60 s limit: decoding it
    would allocate 7.7 MB of float32; the refusal allocates almost nothing."""
    import tracemalloc

    rate = 16000
    data = audio.wav_header(rate, rate * 120 * 2) + bytes(rate * 120 * 2)
    tracemalloc.start()
    try:
        with pytest.raises(InvalidArgument) as err:
            audio.reference_clip(data, 60)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert err.value.reason == "REFERENCE_TOO_LONG" and "120 s" in err.value.message
    assert peak < 1_000_000, f"{peak} bytes allocated to refuse it"


def test_decoding_stops_at_the_limit_whatever_the_length():
    rate = 8000
    data = audio.wav_bytes(np.zeros(rate * 10, np.float32), rate)
    samples, got = audio.decode(data)
    assert got == rate and samples.size == rate * 10
    with pytest.raises(InvalidArgument) as err:
        audio.decode(data, 9.5)
    assert err.value.reason == "REFERENCE_TOO_LONG"


@pytest.mark.parametrize("channels, rate", [(16, 16000), (1, 384000)])
def test_odd_channel_counts_and_rates_are_refused(channels, rate):
    buf = io.BytesIO()
    with wave.open(buf, "wb") as w:
        w.setnchannels(channels), w.setsampwidth(2), w.setframerate(rate)
        w.writeframes(b"\0\0" * channels * rate)
    with pytest.raises(InvalidArgument) as err:
        audio.reference_clip(buf.getvalue(), 60)
    assert err.value.reason == "REFERENCE_UNSUPPORTED"
