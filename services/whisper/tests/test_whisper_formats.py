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


SPOKEN = [Segment(0, 0.0, 2.5, " Hello there.", speaker="SPEAKER_00"),
          Segment(1, 2.5, 3.0, "General Kenobi!", speaker="SPEAKER_01")]


def test_speakers_are_tagged_in_every_rendering():
    assert to_text(SPOKEN) == "SPEAKER_00: Hello there.\nSPEAKER_01: General Kenobi!\n"
    assert to_srt(SPOKEN) == (
        "1\n00:00:00,000 --> 00:00:02,500\n[SPEAKER_00] Hello there.\n\n"
        "2\n00:00:02,500 --> 00:00:03,000\n[SPEAKER_01] General Kenobi!\n"
    )
    assert to_vtt(SPOKEN) == (
        "WEBVTT\n\n00:00:00.000 --> 00:00:02.500\n<v SPEAKER_00>Hello there.\n\n"
        "00:00:02.500 --> 00:00:03.000\n<v SPEAKER_01>General Kenobi!\n"
    )
