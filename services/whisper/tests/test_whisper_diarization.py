"""The diarization's own logic, without a model: speech regions from
words, windows, reading the audio block by block, clustering with the
number of speakers estimated or bounded, and labels on words and
segments (cut where the speaker changes)."""

from __future__ import annotations

import numpy as np

from optivus_whisper import diarization as d
from optivus_whisper.transcript import Segment, Word

RATE = 16000


def seg(index, words, text=None):
    return Segment(index, words[0].start, words[-1].end, text or "".join(w.word for w in words).strip(), words)


def w(start, end, text):
    return Word(start, end, " " + text, 0.9)


def test_regions_join_words_closer_than_the_gap_and_stay_bounded():
    segments = [seg(0, [w(0.0, 0.5, "a"), w(0.6, 1.0, "b"), w(2.0, 2.4, "c")]), Segment(1, 5.0, 6.0, "no words")]
    assert d.speech_regions(segments) == [d.Region(0.0, 1.0), d.Region(2.0, 2.4), d.Region(5.0, 6.0)]
    long = [seg(0, [w(i * 1.0, i * 1.0 + 0.9, "x") for i in range(70)])]
    regions = d.speech_regions(long)
    assert len(regions) > 1 and all(r.end - r.start <= d.REGION_MAX_S for r in regions)


def test_windows_cover_a_region_to_its_end():
    assert list(d.window_starts(d.Region(3.0, 4.0), 1.6)) == [0.0]  # shorter than a window: one, padded
    starts = d.window_starts(d.Region(0.0, 3.0), 1.6)
    assert starts[0] == 0.0 and np.isclose(starts[-1], 1.4) and np.all(np.diff(starts) <= d.HOP_S)


class LevelEncoder:
    """An embedding that says how loud each window is: two directions, one
    for quiet windows and one for loud ones; remembers what it was given."""

    name = "level"
    window_s = 1.0

    def __init__(self):
        self.audio_sizes = []

    def load(self):
        pass

    def embed(self, audio, starts):
        self.audio_sizes.append(audio.size)
        out = []
        for s in starts:
            window = audio[int(s * RATE):int((s + self.window_s) * RATE)]
            loud = float(np.abs(window).mean()) > 0.3 if window.size else False
            out.append([0.0, 1.0] if loud else [1.0, 0.0])
        return np.array(out, np.float32)


def test_regions_are_embedded_from_blocks_holding_only_what_is_needed():
    audio = np.concatenate([np.full(3 * RATE, 0.1), np.zeros(RATE), np.full(3 * RATE, 0.5)]).astype(np.float32)
    blocks = [audio[i:i + RATE // 2] for i in range(0, audio.size, RATE // 2)]
    encoder = LevelEncoder()
    found = d.embed_regions(encoder, blocks, [d.Region(0.0, 3.0), d.Region(4.0, 7.0)])
    assert encoder.audio_sizes == [3 * RATE, 3 * RATE]
    first = found.centers < 3.5
    assert np.all(found.vectors[first] == [1, 0]) and np.all(found.vectors[~first] == [0, 1])
    assert np.all(np.diff(found.centers) > 0)


def two_voices(n=20, seed=0):
    rng = np.random.default_rng(seed)
    a, b = rng.normal(size=16), rng.normal(size=16)
    vectors = np.stack([(b if i % 4 >= 2 else a) + rng.normal(scale=0.1, size=16) for i in range(n)])
    return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


def test_two_voices_are_found_and_named_in_order_of_appearance():
    labels = d.cluster(two_voices(), threshold=0.3, min_speakers=1, max_speakers=10)
    assert list(labels[:4]) == [0, 0, 1, 1] and len(set(labels)) == 2


def test_bounds_override_the_estimate():
    vectors = two_voices()
    assert set(d.cluster(vectors, 0.3, 1, 1)) == {0}
    assert len(set(d.cluster(vectors, 0.3, 3, 3))) == 3
    one = np.tile(vectors[:1], (10, 1))
    assert set(d.cluster(one, 0.3, 1, 10)) == {0}


def test_clustering_a_long_file_is_bounded():
    vectors = np.repeat(two_voices(40), 100, axis=0)  # 4000 windows, more than are clustered at once
    labels = d.cluster(vectors, 0.3, 1, 10)
    assert len(labels) == 4000 and len(set(labels)) == 2


def test_a_segment_is_cut_where_its_speaker_changes():
    words = [w(0.0, 0.4, "one"), w(0.5, 0.9, "two"), w(1.0, 1.4, "three"), w(1.5, 1.9, "four")]
    segments = [seg(0, words), seg(1, [w(3.0, 3.5, "five")])]
    centers = np.array([0.2, 0.7, 1.2, 1.7, 3.2])
    labels = np.array([1, 1, 0, 0, 0])
    out = d.label_segments(segments, centers, labels)
    assert [(s.index, s.text, s.speaker, s.start, s.end) for s in out] == [
        (0, "one two", "SPEAKER_00", 0.0, 0.9), (1, "three four", "SPEAKER_01", 1.0, 1.9),
        (2, "five", "SPEAKER_01", 3.0, 3.5)]
    assert [x.speaker for x in out[0].words] == ["SPEAKER_00", "SPEAKER_00"]


def test_a_short_run_between_two_runs_of_one_speaker_joins_them():
    words = [w(i * 0.5, i * 0.5 + 0.4, str(i)) for i in range(7)]
    labels = np.array([0, 0, 0, 1, 0, 0, 0])  # one 0.4 s word heard as another voice
    out = d.label_segments([seg(0, words)], np.array([x.start + 0.2 for x in words]), labels)
    assert len(out) == 1 and out[0].speaker == "SPEAKER_00" and out[0].text == "0 1 2 3 4 5 6"


def test_segments_without_words_take_the_nearest_window():
    segments = [Segment(0, 0.0, 1.0, "a"), Segment(1, 5.0, 6.0, "b")]
    out = d.label_segments(segments, np.array([0.5, 5.5]), np.array([0, 1]))
    assert [s.speaker for s in out] == ["SPEAKER_00", "SPEAKER_01"]
    assert d.label_segments(segments, np.zeros(0), np.zeros(0, int)) == segments


def test_a_few_stray_windows_are_not_a_speaker():
    vectors = two_voices(40)
    stray = np.zeros((1, 16))
    stray[0, 0] = 1.0  # far from both voices
    labels = d.cluster(np.concatenate([vectors, stray]), 0.3, 1, 10)
    assert len(set(labels)) == 2
    assert len(set(d.cluster(np.concatenate([vectors, stray]), 0.3, 3, 3))) == 3  # unless asked for
