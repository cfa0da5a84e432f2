"""How batched decoding turns a piece's aligned words into segments (no
model needed)."""

from __future__ import annotations

from optivus_whisper.batched import Decoded, _segments


def words(*spec):
    return [dict(word=w, start=a, end=b, probability=0.9) for w, a, b in spec]


def test_segments_end_at_sentences_and_pauses_and_start_where_the_last_ended():
    decoded = Decoded(words(
        (" Hello", 10.3, 10.6), (" there.", 10.6, 11.0),
        (" General", 11.2, 11.6), (" Kenobi", 11.6, 12.0),
        (" later", 14.0, 14.5),  # after a pause of 2 s
    ), avg_logprob=-0.2, no_speech_prob=0.01, start=10.0)
    segments = list(_segments(decoded, 7, with_words=False))
    assert [(s.index, s.start, s.end, s.text) for s in segments] == [
        (7, 10.0, 11.0, "Hello there."), (8, 11.0, 12.0, "General Kenobi"), (9, 14.0, 14.5, "later")]
    assert all(not s.words for s in segments)


def test_long_clauses_are_cut_at_commas_and_words_kept_when_asked():
    decoded = Decoded(words(*[(f" w{i}{',' if i == 12 else ''}", i * 0.5, i * 0.5 + 0.4) for i in range(20)]))
    first, second = _segments(decoded, 0, with_words=True)
    assert first.text.endswith("w12,") and second.text.startswith("w13")
    assert [w.word for w in first.words + second.words] == [f" w{i}{',' if i == 12 else ''}" for i in range(20)]
    assert second.start == first.end


def test_empty_words_give_no_segment():
    assert list(_segments(Decoded(words((" ", 1.0, 1.2))), 0, with_words=False)) == []
