from optivus_whisper.engine import Segment
from optivus_whisper.formats import to_srt, to_text, to_vtt

SEGMENTS = [Segment(0, 0.0, 2.5, " Hello there."), Segment(1, 2.5, 3661.042, "General Kenobi! ")]


def test_srt():
    assert to_srt(SEGMENTS) == (
        "1\n00:00:00,000 --> 00:00:02,500\nHello there.\n\n"
        "2\n00:00:02,500 --> 01:01:01,042\nGeneral Kenobi!\n"
    )


def test_vtt():
    assert to_vtt(SEGMENTS) == (
        "WEBVTT\n\n00:00:00.000 --> 00:00:02.500\nHello there.\n\n"
        "00:00:02.500 --> 01:01:01.042\nGeneral Kenobi!\n"
    )


def test_text():
    assert to_text(SEGMENTS) == "Hello there.\nGeneral Kenobi!\n"
