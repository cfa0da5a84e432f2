"""Cutting decoded audio into pieces: no sample lost or repeated, no piece
over the limit, cuts in pauses; decoding in bounded blocks."""

from __future__ import annotations

import io
import wave

import numpy as np
import pytest

from optivus_common.errors import InvalidArgument, ResourceExhausted
from optivus_whisper import pieces
from optivus_whisper.audio import decode_blocks
from optivus_whisper.pieces import PieceCutter, group_spans, pieces_of, quiet_cut

RATE = 16000


def talk(seconds: float, pauses: list[tuple[float, float]], seed: int = 0) -> np.ndarray:
    """Noise standing in for speech, silent in the (start, end) pauses."""
    audio = np.random.default_rng(seed).uniform(-0.3, 0.3, int(seconds * RATE)).astype(np.float32)
    for start, end in pauses:
        audio[int(start * RATE):int(end * RATE)] = 0
    return audio


def blocks(audio: np.ndarray, block_s: float = 30):
    step = int(block_s * RATE)
    return [audio[i:i + step] for i in range(0, audio.size, step)]


def test_quiet_cut_lands_in_the_pause():
    audio = talk(30, [(21.0, 21.6)])
    cut = quiet_cut(audio, 15 * RATE, 30 * RATE)
    assert 21.0 * RATE < cut < 21.6 * RATE


def test_every_sample_pieces_follow_each_other_and_cut_in_pauses():
    pauses = [(t, t + 0.5) for t in np.arange(6.0, 300, 6.3)]
    audio = talk(300, pauses)
    out = list(pieces_of(blocks(audio), PieceCutter(max_s=30, min_s=15)))
    assert np.array_equal(np.concatenate([p.audio for p in out]), audio)
    position = 0.0
    for piece in out[:-1]:
        assert piece.offset == pytest.approx(position)
        assert 15 <= piece.duration <= 30
        end = piece.offset + piece.duration
        assert any(a <= end <= b for a, b in pauses), end
        position = end
    assert out[-1].duration <= 30


def test_a_short_clip_is_one_piece():
    audio = talk(7, [])
    (piece,) = pieces_of([audio], PieceCutter())
    assert piece.offset == 0 and np.array_equal(piece.audio, audio)


def test_audio_without_pauses_is_cut_at_the_limit():
    out = list(pieces_of(blocks(talk(100, [])), PieceCutter(max_s=30, min_s=15)))
    assert sum(p.audio.size for p in out) == 100 * RATE
    assert all(p.duration <= 30 for p in out)


def test_group_spans_joins_neighbours_within_the_limit():
    assert group_spans([(0, 10), (12, 20), (25, 40), (41, 90), (95, 100)], 30) == [(0, 20), (25, 40), (41, 71),
                                                                                    (95, 100)]


def test_speech_only_pieces_cover_each_stretch_once_across_buffers(monkeypatch):
    """The VAD replaced by a detector of non-silent samples, to check the
    buffering: every stretch of speech ends up in exactly one piece."""
    def detector(audio, max_s):
        loud = np.abs(audio) > 0
        edges = np.flatnonzero(np.diff(loud.astype(np.int8))) + 1
        bounds = np.concatenate([[0], edges, [audio.size]])
        return [(int(a), int(b)) for a, b in zip(bounds[:-1], bounds[1:]) if loud[a]]

    monkeypatch.setattr(pieces, "speech_spans", detector)
    speech = [(t, t + 4.0) for t in np.arange(3.0, 595, 9.0)]
    audio = np.zeros(600 * RATE, np.float32)
    for a, b in speech:
        audio[int(a * RATE):int(b * RATE)] = 0.2
    out = list(pieces_of(blocks(audio), PieceCutter(max_s=30, speech_only=True)))
    assert all(p.duration <= 30 for p in out)
    covered = [(p.offset, p.offset + p.duration) for p in out]
    assert all(b <= c for (_, b), (c, _) in zip(covered, covered[1:]))  # in order, no overlap
    for a, b in speech:
        assert sum(1 for c, d in covered if c <= a + 1e-6 and b - 1e-6 <= d) == 1, (a, b)
    assert sum(p.audio.size for p in out) < audio.size  # the silence between pieces is skipped


def wav_bytes(seconds: float) -> bytes:
    out = io.BytesIO()
    with wave.open(out, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(RATE)
        w.writeframes((np.sin(np.arange(int(seconds * RATE)) / 10) * 8000).astype("<i2").tobytes())
    return out.getvalue()


def test_decoding_comes_in_blocks():
    sizes = [b.size for b in decode_blocks(wav_bytes(70), 3600, block_s=30)]
    assert sizes == [30 * RATE, 30 * RATE, 10 * RATE]


def test_decoding_errors():
    with pytest.raises(InvalidArgument) as err:
        list(decode_blocks(b"not audio at all" * 100, 3600))
    assert err.value.reason == "MEDIA_UNDECODABLE"
    with pytest.raises(ResourceExhausted) as err:
        list(decode_blocks(wav_bytes(10), 5))
    assert err.value.reason == "AUDIO_TOO_LONG"
