"""Sequential decoding: faster-whisper's own transcribe(), one 30-second
window after another, each conditioned on the text before it.

A long file goes through it in blocks of at most BLOCK_S seconds, cut at
a pause, so that neither the decoded audio nor its spectrogram is ever
held whole; each block starts with the end of the previous block's text
as its prompt, as the next window inside a block would."""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator

import numpy as np

from .audio import SAMPLE_RATE
from .pieces import PieceCutter, pieces_of
from .transcript import AudioInfo, Options, Segment, Word

BLOCK_S = 120.0
# Characters of the previous block's text carried into the next block's prompt.
PROMPT_CHARS = 400


def to_segment(seg, index: int, offset: float) -> Segment:
    return Segment(
        index=index, start=float(seg.start) + offset, end=float(seg.end) + offset, text=seg.text.strip(),
        words=[Word(float(w.start) + offset, float(w.end) + offset, w.word, float(w.probability))
               for w in seg.words or []],
        avg_logprob=float(seg.avg_logprob), no_speech_prob=float(seg.no_speech_prob),
    )


def transcribe_blocks(model, blocks: Iterable[np.ndarray], options: Options, beam_size: int,
                      stop: threading.Event | None) -> Iterator[Segment | AudioInfo]:
    """Segments of every block in order, then one AudioInfo for the whole."""
    language, probability = options.language, None
    prompt = options.initial_prompt
    index, samples = 0, 0
    for block in pieces_of(blocks, PieceCutter(max_s=BLOCK_S, min_s=BLOCK_S - 30)):
        samples += block.audio.size
        segments, info = model.transcribe(
            block.audio, language=language, task=options.task, beam_size=beam_size,
            word_timestamps=options.word_timestamps, vad_filter=options.vad_filter, initial_prompt=prompt,
        )
        if probability is None:  # the first block's language holds for the rest, as in one transcribe()
            language, probability = info.language, float(info.language_probability)
        texts = []
        for seg in segments:
            if stop is not None and stop.is_set():
                return
            segment = to_segment(seg, index, block.offset)
            index += 1
            texts.append(segment.text)
            yield segment
        if texts:
            prompt = " ".join(texts)[-PROMPT_CHARS:]
    yield AudioInfo(language or "", probability or 0.0, samples / SAMPLE_RATE)
