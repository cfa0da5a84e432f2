"""Batched decoding (the idea of faster-whisper's BatchedInferencePipeline,
with bounded memory and batches shared across requests).

Each request's own thread cuts its audio into pieces of up to 30 s
(pieces.py: at pauses, or by the VAD with vad_filter) and turns each into
a log-mel spectrogram; one DynamicBatcher, shared by every request, runs
the model over batches of pieces: encode, detect a request's language from
its first piece, generate each piece's text (without timestamp tokens, as
the batched pipeline does: with them the model tends to leave a piece's
last words for a next window that batching does not have), then align the
words to the audio and cut the text into segments at sentence ends and
pauses. A request hands in its pieces a batch at a time and keeps at most
two batches in flight, so memory does not grow with the length of a file.

Unlike sequential decoding, a piece is not conditioned on the text before
it (the initial prompt conditions every piece) and there is no fallback to
sampling at higher temperatures; a piece the model finds silent (no-speech
probability over 0.6 with an average log-probability under -1, the
thresholds of faster-whisper's transcribe) gives no segment.

Without timestamp tokens the model sometimes ends a piece early: most
often it writes the words of the lead-in, meets the pause after them and
stops, leaving the rest of the piece untold. Sequential decoding recovers
from this by seeking on from its last timestamp; here, two remedies:
- a piece with far fewer words than its speech holds (fewer than
  MIN_WORDS_PER_SPEECH_S per second of speech the Silero VAD hears) is
  decoded again without its lead-in, and the longer text kept (the
  alignment of a text cut short is no guide to where it stopped: it
  stretches the few words over the whole piece);
- a piece whose words end while the VAD still hears speech after them is
  decoded again from its last word on (a continuation), at most
  MAX_CONTINUATIONS times, each one having to move forward."""

from __future__ import annotations

import collections
import itertools
import logging
import math
import threading
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field

import numpy as np

from .audio import SAMPLE_RATE
from .batcher import DynamicBatcher
from .pieces import Piece, PieceCutter, pieces_of, speech_spans
from .transcript import AudioInfo, Options, Segment, Word

log = logging.getLogger(__name__)

# A piece is at most 30 s (Whisper's window) with its lead-in: LEAD_S of the
# audio before it, so that the model does not start mid-sentence; the
# words of the lead-in belong to the piece before and are dropped.
PIECE_S = 30.0
LEAD_S = 2.0
MIN_PIECE_S = 20.0
# On the CPU the encoder gains nothing from batches; one piece at a time
# keeps its attention scores (about 70 MB a piece) small.
ENCODE_CPU_BATCH = 1
# A piece is decoded again from its last word when at least this much
# speech follows that word, or without its lead-in when its text has fewer
# words per second of speech than this (people say 2 to 3).
MIN_UNTOLD_SPEECH_S = 1.0
MIN_WORDS_PER_SPEECH_S = 0.8
MAX_CONTINUATIONS = 3
# The alignment stretches the last word of a text that ends early over the
# rest of the piece; a word is taken to last at most this long.
MAX_WORD_S = 2.0
NO_SPEECH_THRESHOLD = 0.6
LOG_PROB_THRESHOLD = -1.0
FRAMES_PER_SECOND = 100
PREPEND_PUNCTUATIONS = "\"'“¿([{-"
APPEND_PUNCTUATIONS = "\"'.。,，!！?？:：”)]}、"


@dataclass(eq=False)
class Request:
    """One transcription as the batcher sees it; language and the last
    word's end are filled in on the batcher's thread."""

    order: int
    task: str
    beam_size: int
    word_timestamps: bool
    prompt_tokens: list[int]
    language: str | None
    language_probability: float = 1.0
    last_speech_timestamp: float = 0.0


@dataclass(eq=False)
class PieceJob:
    request: Request
    index: int
    offset: float  # of the audio's first sample, lead-in included
    lead: float
    duration: float
    features: np.ndarray  # n_mels x 3000
    audio: np.ndarray  # the piece's samples, lead-in included (for a continuation)


@dataclass
class StageTimes:
    """Seconds spent in each stage since start (for logs and bench/whisper_speed.py)."""

    prepare: float = 0.0  # decoding, cutting and log-mel spectrograms, on the requests' threads
    encode: float = 0.0
    language: float = 0.0
    generate: float = 0.0
    align: float = 0.0
    continuations: int = 0  # pieces decoded again from where the model stopped early


@dataclass
class Decoded:
    """A piece's text as timed words (dicts: word, start, end, probability;
    seconds from the audio's start)."""

    words: list[dict] = field(default_factory=list)
    avg_logprob: float = 0.0
    no_speech_prob: float = 0.0
    start: float = 0.0  # where the piece's own audio starts (after its lead-in)


class BatchedDecoder:
    def __init__(self, model, max_batch: int, max_wait_s: float) -> None:
        self._model = model
        self._batcher: DynamicBatcher[PieceJob, Decoded] = DynamicBatcher(
            self._run, max_batch, max_wait_s, name="whisper-batcher")
        self._orders = itertools.count()
        self._tokenizers: dict[tuple[str, str | None], object] = {}
        self._tokenizers_lock = threading.Lock()
        self.times = StageTimes()
        self._times_lock = threading.Lock()

    @property
    def stats(self):
        return self._batcher.stats

    def _spent(self, stage: str, since: float) -> float:
        now = time.perf_counter()
        with self._times_lock:
            setattr(self.times, stage, getattr(self.times, stage) + now - since)
        return now

    def close(self) -> None:
        self._batcher.close()

    # -- the request's thread ------------------------------------------------

    def transcribe(self, blocks: Iterable[np.ndarray], options: Options, beam_size: int,
                   stop: threading.Event | None) -> Iterator[Segment | AudioInfo]:
        """Segments in order as their batches finish, then one AudioInfo."""
        multilingual = self._model.model.is_multilingual
        # Text tokens are the same whatever the language and task.
        prompt = self._tokenizer("transcribe", "en").encode(
            " " + options.initial_prompt.strip()) if options.initial_prompt else []
        request = Request(next(self._orders), options.task, beam_size, options.word_timestamps, prompt,
                          options.language or (None if multilingual else "en"))
        key = (beam_size, len(prompt))  # a batch shares the beam and the prompt's length
        counted = _Counted(blocks)
        cutter = PieceCutter(max_s=PIECE_S - LEAD_S, min_s=MIN_PIECE_S, speech_only=options.vad_filter, lead_s=LEAD_S)
        pieces = pieces_of(counted, cutter)
        numbered = enumerate(pieces)
        batch = self._batcher.max_batch
        in_flight: collections.deque = collections.deque()
        index = 0
        try:
            while True:
                # A batch's worth of pieces at once, so that they can share a batch.
                started = time.perf_counter()
                group = [self._job(request, n, piece) for n, piece in itertools.islice(numbered, batch)]
                self._spent("prepare", started)
                in_flight.extend(self._batcher.submit_many(group, key))
                while in_flight and (len(in_flight) > batch or not group):
                    for segment in _segments(in_flight.popleft().result(), index, options.word_timestamps):
                        if stop is not None and stop.is_set():
                            return
                        index += 1
                        yield segment
                if not group:
                    break
        finally:
            for future in in_flight:
                future.cancel()
        yield AudioInfo(request.language or "", request.language_probability if request.language else 0.0,
                        counted.samples / SAMPLE_RATE)

    def _job(self, request: Request, index: int, piece: Piece) -> PieceJob:
        return PieceJob(request, index, piece.offset, piece.lead, piece.duration, self._features(piece.audio),
                        piece.audio)

    def _features(self, audio: np.ndarray) -> np.ndarray:
        from faster_whisper.audio import pad_or_trim

        return pad_or_trim(self._model.feature_extractor(audio)[..., :-1])

    # -- the batcher's thread --------------------------------------------------

    def _tokenizer(self, task: str, language: str | None):
        from faster_whisper.tokenizer import Tokenizer

        with self._tokenizers_lock:
            if (task, language) not in self._tokenizers:
                self._tokenizers[task, language] = Tokenizer(
                    self._model.hf_tokenizer, self._model.model.is_multilingual, task=task, language=language)
            return self._tokenizers[task, language]

    def _run(self, jobs: Sequence[PieceJob]) -> list[Decoded]:
        order = sorted(range(len(jobs)), key=lambda i: (jobs[i].request.order, jobs[i].index))
        ordered = [jobs[i] for i in order]
        decoded = self._decode(ordered)
        self._retell(ordered, decoded)
        self._continue(ordered, decoded)
        out: list[Decoded] = [Decoded()] * len(jobs)
        for position, i in enumerate(order):
            out[i] = decoded[position]
        return out

    def _decode(self, jobs: list[PieceJob], continuation: bool = False) -> list[Decoded]:
        """Encodes, detects languages, generates and aligns one batch."""
        from faster_whisper.transcribe import get_suppressed_tokens

        started = time.perf_counter()
        encoded = self._encode(np.stack([job.features for job in jobs]))
        started = self._spent("encode", started)
        self._detect_languages(jobs, encoded)
        started = self._spent("language", started)
        tokenizers = [self._tokenizer(job.request.task, job.request.language) for job in jobs]
        results = self._model.model.generate(
            encoded, [self._model.get_prompt(tok, job.request.prompt_tokens, without_timestamps=True)
                      for tok, job in zip(tokenizers, jobs)],
            beam_size=jobs[0].request.beam_size, patience=1, length_penalty=1, max_length=self._model.max_length,
            return_scores=True, return_no_speech_prob=True, suppress_blank=True,
            suppress_tokens=get_suppressed_tokens(tokenizers[0], [-1]),
        )
        started = self._spent("generate", started)
        decoded = self._align(jobs, tokenizers, results, encoded, continuation)
        self._spent("align", started)
        return decoded

    def _retell(self, jobs: list[PieceJob], decoded: list[Decoded]) -> None:
        """Decodes again, without the lead-in, each piece whose text is far
        too short for its speech; keeps the longer text."""
        todo = [i for i, job in enumerate(jobs) if job.lead > 0 and not _silent(decoded[i])
                and _too_few_words(job, len(decoded[i].words))]
        if not todo:
            return
        again = self._from([(jobs[i], jobs[i].offset + jobs[i].lead) for i in todo])
        for i, result in zip(todo, self._decode(again, continuation=True)):
            if not _silent(result) and len(result.words) > len(decoded[i].words):
                decoded[i].words = result.words

    def _continue(self, jobs: list[PieceJob], decoded: list[Decoded]) -> None:
        """Decodes again, from its last word on, each piece whose text
        stopped while speech went on (see the module's docstring)."""
        told = {i: _told_until(decoded[i].words, decoded[i].start)
                for i in range(len(jobs)) if not _silent(decoded[i])}
        for _ in range(MAX_CONTINUATIONS):
            todo = [i for i, end in told.items() if _untold_speech(jobs[i], end) >= MIN_UNTOLD_SPEECH_S]
            if not todo:
                return
            for i in todo:
                if decoded[i].words:  # no longer stretched over what the continuation tells
                    decoded[i].words[-1]["end"] = min(decoded[i].words[-1]["end"], told[i])
            again = self._from([(jobs[i], told[i]) for i in todo])
            told = {}
            for i, job, result in zip(todo, again, self._decode(again, continuation=True)):
                if _silent(result) or not result.words or result.words[-1]["end"] <= job.offset + 0.5:
                    continue  # the model hears nothing more there: trust it
                decoded[i].words.extend(result.words)
                told[i] = _told_until(result.words, job.offset)

    def _from(self, starts: list[tuple[PieceJob, float]]) -> list[PieceJob]:
        """Each piece again from a time on (seconds from the audio's start),
        with no lead-in: what a piece the model ended early is decoded from."""
        again = []
        for job, start in starts:
            audio = job.audio[round((start - job.offset) * SAMPLE_RATE):]
            again.append(PieceJob(job.request, job.index, start, 0.0, audio.size / SAMPLE_RATE,
                                  self._features(audio), audio))
        with self._times_lock:
            self.times.continuations += len(again)
        return again

    def _encode(self, features: np.ndarray):
        """The encoder's output for a batch (ENCODE_CPU_BATCH pieces at a time
        on the CPU; the decoder, where batching pays, gets the whole batch)."""
        import ctranslate2

        if self._model.model.device != "cpu" or len(features) <= ENCODE_CPU_BATCH:
            return self._model.encode(features)
        parts = [np.asarray(self._model.encode(features[i:i + ENCODE_CPU_BATCH]))
                 for i in range(0, len(features), ENCODE_CPU_BATCH)]
        return ctranslate2.StorageView.from_array(np.concatenate(parts))

    def _detect_languages(self, jobs: list[PieceJob], encoded) -> None:
        """A request's language comes from its first piece, as sequential
        decoding takes it from the first 30 s; only those pieces are asked."""
        first: dict[Request, int] = {}
        for i, job in enumerate(jobs):
            if job.request.language is None:
                first.setdefault(job.request, i)
        if not first:
            return
        asked = list(first.values())
        states = encoded if len(asked) == len(jobs) else _rows(encoded, asked)
        for i, found in zip(asked, self._model.model.detect_language(states)):
            token, probability = found[0]
            jobs[i].request.language, jobs[i].request.language_probability = token[2:-2], float(probability)

    def _align(self, jobs: list[PieceJob], tokenizers: list, results, encoded,
               continuation: bool = False) -> list[Decoded]:
        """Times every word of every piece that has text (faster-whisper's
        cross-attention alignment), a request's run of pieces at a time so
        that each request carries its own last-word time (a continuation
        starts from its own start and leaves the request's alone)."""
        decoded, spoken = [], []
        for i, (job, result) in enumerate(zip(jobs, results)):
            tokens = [t for t in result.sequences_ids[0] if t < tokenizers[i].eot]
            avg_logprob = result.scores[0] * len(tokens) / (len(tokens) + 1)
            no_speech = float(result.no_speech_prob)
            decoded.append(Decoded([], avg_logprob, no_speech, job.offset + job.lead))
            if tokens and not _silent(decoded[-1]):
                spoken.append((i, tokens))
        if not spoken:
            return decoded
        groups = ([[item] for item in spoken] if continuation
                  else [list(g) for _, g in itertools.groupby(spoken, key=lambda item: jobs[item[0]].request)])
        for group in groups:
            request = jobs[group[0][0]].request
            idx = [i for i, _ in group]
            pieces = [[dict(seek=jobs[i].offset * FRAMES_PER_SECOND, start=jobs[i].offset,
                            end=jobs[i].offset + jobs[i].duration, tokens=tokens)] for i, tokens in group]
            last = self._model.add_word_timestamps(
                pieces, tokenizers[idx[0]], encoded if len(idx) == len(jobs) else _rows(encoded, idx),
                [int(math.ceil(jobs[i].duration) * FRAMES_PER_SECOND) for i in idx],
                PREPEND_PUNCTUATIONS, APPEND_PUNCTUATIONS,
                jobs[idx[0]].offset if continuation else request.last_speech_timestamp)
            if not continuation and last is not None:
                request.last_speech_timestamp = last
            for (i, tokens), piece in zip(group, pieces):
                job = jobs[i]
                words = piece[0]["words"]
                if not words:  # nothing to align against: the piece's text spans the piece
                    words = [dict(word=tokenizers[i].decode(tokens), start=job.offset + job.lead,
                                  end=job.offset + job.duration, probability=math.exp(decoded[i].avg_logprob))]
                own = job.offset + job.lead  # where the lead-in ends
                decoded[i].words = [w for w in words if (w["start"] + w["end"]) / 2 >= own]
        return decoded


def _silent(decoded: Decoded) -> bool:
    return decoded.no_speech_prob > NO_SPEECH_THRESHOLD and decoded.avg_logprob < LOG_PROB_THRESHOLD


def _told_until(words: list[dict], start: float) -> float:
    """Where the told text ends: the last word's end, or at most MAX_WORD_S
    after its start."""
    if not words:
        return start
    return min(words[-1]["end"], max(start, words[-1]["start"]) + MAX_WORD_S)


def _too_few_words(job: PieceJob, words: int) -> bool:
    own_s = job.duration - job.lead
    if words >= MIN_WORDS_PER_SPEECH_S * own_s:  # enough even if every second were speech
        return False
    speech = _untold_speech(job, job.offset + job.lead)
    return speech >= MIN_UNTOLD_SPEECH_S and words < MIN_WORDS_PER_SPEECH_S * speech


def _untold_speech(job: PieceJob, told_until: float) -> float:
    """Seconds of speech (Silero VAD) in the piece after told_until."""
    start = round((told_until - job.offset) * SAMPLE_RATE)
    if job.audio.size - start < MIN_UNTOLD_SPEECH_S * SAMPLE_RATE:
        return 0.0
    spans = speech_spans(job.audio[max(0, start):], PIECE_S)
    return sum(end - begin for begin, end in spans) / SAMPLE_RATE


def _rows(encoded, rows: list[int]):
    """Some items of a batch's encoder output, as a batch of their own."""
    import ctranslate2

    if encoded.device != "cpu":
        encoded = encoded.to_device(ctranslate2.Device.cpu)
    return ctranslate2.StorageView.from_array(np.ascontiguousarray(np.asarray(encoded)[rows]))


# A segment ends after a word that ends a sentence, after a clause once it
# is CLAUSE_S long, before a pause, or at MAX_SEGMENT_S.
SENTENCE_ENDS = tuple(".?!。？！")
CLAUSE_ENDS = tuple(",;:，；：、")
CLAUSE_S = 5.0
PAUSE_S = 1.0
MAX_SEGMENT_S = 15.0


def _segments(decoded: Decoded, first_index: int, with_words: bool) -> Iterator[Segment]:
    """The piece's words cut into segments. As Whisper's own timestamps do,
    a segment starts where the one before it ended (or where the piece
    starts) unless a pause lies between; words keep their aligned times."""
    index, previous_end = first_index, decoded.start
    current: list[dict] = []

    def segment() -> Segment | None:
        text = "".join(w["word"] for w in current).strip()
        if not text:
            return None
        start, end = float(current[0]["start"]), float(current[-1]["end"])
        if start - previous_end < PAUSE_S:
            start = min(start, previous_end)
        return Segment(index=index, start=start, end=max(start, end), text=text,
                       words=[Word(float(w["start"]), float(w["end"]), w["word"], float(w["probability"]))
                              for w in current] if with_words else [],
                       avg_logprob=float(decoded.avg_logprob), no_speech_prob=float(decoded.no_speech_prob))

    for word in decoded.words:
        if current and word["start"] - current[-1]["end"] > PAUSE_S:
            if (seg := segment()) is not None:
                yield seg
                index, previous_end = index + 1, seg.end
            current = []
        current.append(word)
        text, span = word["word"].strip(), word["end"] - current[0]["start"]
        if text.endswith(SENTENCE_ENDS) or (text.endswith(CLAUSE_ENDS) and span >= CLAUSE_S) or span >= MAX_SEGMENT_S:
            if (seg := segment()) is not None:
                yield seg
                index, previous_end = index + 1, seg.end
            current = []
    if current and (seg := segment()) is not None:
        yield seg


class _Counted:
    """Passes blocks through, counting their samples."""

    def __init__(self, blocks: Iterable[np.ndarray]) -> None:
        self._blocks = blocks
        self.samples = 0

    def __iter__(self) -> Iterator[np.ndarray]:
        for block in self._blocks:
            self.samples += block.size
            yield block
