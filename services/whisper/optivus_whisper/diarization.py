"""Who spoke when, over a finished transcript (diarize: true).

The speech is where the transcript's words are: words less than
REGION_GAP_S apart form a region (at most REGION_MAX_S long). Each region
gets a speaker embedding every HOP_S seconds (speakers.py, windows of the
encoder's length; a region shorter than one window is padded with
silence, so no window hears the audio around it). The embeddings are
clustered (average linkage on cosine distance; the number of speakers is
where the linkage passes cluster_threshold, kept within the request's
min_speakers and max_speakers), every window takes the nearest cluster's
centre, every word the label of the window nearest to it, and a segment
whose words change speaker is cut there. Labels are SPEAKER_00,
SPEAKER_01, ... in order of first appearance.

The audio is decoded a second time, in blocks, and only the current
region is held; at most MAX_CLUSTER_ITEMS embeddings (evenly spread) are
clustered, the rest only compared with the centres, so memory and time
stay bounded on long files."""

from __future__ import annotations

import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace

import numpy as np

from optivus_common.errors import Cancelled

from .audio import SAMPLE_RATE
from .speakers import SpeakerEncoder
from .transcript import Segment, Word

REGION_GAP_S = 0.5
REGION_MAX_S = 30.0
HOP_S = 0.5
MAX_CLUSTER_ITEMS = 1500
# A cluster is a speaker when it holds this share of the windows, or this
# many windows (a minute of speech at HOP_S) in a long file.
MIN_SPEAKER_SHARE = 0.05
MIN_SPEAKER_WINDOWS = 120
# A run of words shorter than this between two runs of one other speaker is
# taken as that speaker's (an embedding window straddling a turn).
MIN_TURN_S = 0.6
# A window of an enrolment clip counts when it is at least this share of
# the loudest window's loudness (RMS).
VOICED_SHARE = 0.2


@dataclass(frozen=True)
class Region:
    start: float
    end: float


@dataclass
class Embeddings:
    centers: np.ndarray  # seconds, ascending
    vectors: np.ndarray  # len(centers) x dim, L2-normalised


def speaker_name(index: int) -> str:
    return f"SPEAKER_{index:02d}"


def speech_regions(segments: Sequence[Segment]) -> list[Region]:
    """Runs of words (a segment's own span where it has none)."""
    spans = sorted((w.start, w.end) for s in segments for w in (s.words or [Word(s.start, s.end, "", 0.0)])
                   if w.end > w.start)
    regions: list[Region] = []
    for start, end in spans:
        if regions and start - regions[-1].end < REGION_GAP_S and end - regions[-1].start <= REGION_MAX_S:
            regions[-1] = Region(regions[-1].start, max(regions[-1].end, end))
        else:
            regions.append(Region(start, end))
    return regions


def window_starts(region: Region, window_s: float) -> np.ndarray:
    """Starts (seconds from the region's start) of its windows, HOP_S apart,
    the last one ending at the region's end."""
    length = region.end - region.start
    if length <= window_s:
        return np.zeros(1)
    starts = np.arange(0.0, length - window_s, HOP_S)
    return np.append(starts, length - window_s)


def embed_regions(encoder: SpeakerEncoder, blocks: Iterable[np.ndarray], regions: Sequence[Region],
                  stop: threading.Event | None = None) -> Embeddings:
    """Embeddings of every region's windows, reading the audio block by block
    and keeping only what the next regions still need."""
    centers, vectors = [], []
    blocks = iter(blocks)
    buffer, buffer_start = np.zeros(0, np.float32), 0  # buffer_start in samples
    for region in regions:
        if stop is not None and stop.is_set():
            raise Cancelled("the transcription was cancelled")
        first, last = int(region.start * SAMPLE_RATE), int(region.end * SAMPLE_RATE)
        while buffer_start + buffer.size < last:
            block = next(blocks, None)
            if block is None:
                break
            buffer = np.concatenate([buffer, block])
        audio = buffer[max(0, first - buffer_start):max(0, last - buffer_start)]
        if audio.size:
            starts = window_starts(region, encoder.window_s)
            vectors.append(encoder.embed(audio, starts))
            centers.append(region.start + starts + min(encoder.window_s, region.end - region.start) / 2)
        drop = max(0, min(last, buffer_start + buffer.size) - buffer_start)
        buffer, buffer_start = buffer[drop:], buffer_start + drop
    if not vectors:
        return Embeddings(np.zeros(0), np.zeros((0, 0), np.float32))
    return Embeddings(np.concatenate(centers), np.concatenate(vectors))


def cluster(vectors: np.ndarray, threshold: float, min_speakers: int, max_speakers: int) -> np.ndarray:
    """A label (0..k-1, in order of first appearance) for every vector."""
    n = len(vectors)
    if n == 0:
        return np.zeros(0, int)
    if n == 1 or max_speakers == 1:
        return np.zeros(n, int)
    from scipy.cluster.hierarchy import fcluster, linkage

    picked = np.linspace(0, n - 1, min(n, MAX_CLUSTER_ITEMS)).round().astype(int)
    sample = vectors[np.unique(picked)]
    tree = linkage(sample, method="average", metric="cosine")
    groups = fcluster(tree, threshold, criterion="distance")
    sizes = np.bincount(groups)
    # Windows straddling a turn or a cough make small clusters of their own:
    # they are not speakers, and their windows go to the nearest one.
    speakers = [g for g in np.unique(groups) if sizes[g] >= min(MIN_SPEAKER_SHARE * len(sample), MIN_SPEAKER_WINDOWS)]
    k = min(max(len(speakers), min_speakers, 1), max_speakers, len(sample))
    if k != len(speakers):
        groups = fcluster(tree, k, criterion="maxclust")
        speakers = list(np.unique(groups))
    centres = np.stack([sample[groups == g].mean(axis=0) for g in speakers])
    centres /= np.linalg.norm(centres, axis=1, keepdims=True)
    nearest = np.argmax(vectors @ centres.T, axis=1)
    _, first_seen = np.unique(nearest, return_index=True)
    order = {label: rank for rank, label in enumerate(nearest[np.sort(first_seen)])}
    return np.array([order[label] for label in nearest])


def voice_print(encoder: SpeakerEncoder, audio: np.ndarray) -> np.ndarray:
    """One speaker's embedding from a clip of their voice: the mean of its
    windows (HOP_S apart) that are not much quieter than its loudest, so
    pauses do not count."""
    seconds = audio.size / SAMPLE_RATE
    starts = window_starts(Region(0.0, seconds), encoder.window_s)
    width = int(encoder.window_s * SAMPLE_RATE)
    loudness = np.array([np.sqrt(np.mean(np.square(audio[int(s * SAMPLE_RATE):int(s * SAMPLE_RATE) + width])))
                         for s in starts])
    vectors = encoder.embed(audio, starts[loudness >= VOICED_SHARE * loudness.max()])
    mean = vectors.mean(axis=0)
    return mean / max(float(np.linalg.norm(mean)), 1e-9)


def match_known(vectors: np.ndarray, labels: np.ndarray, known: np.ndarray, threshold: float) -> dict[int, int]:
    """Cluster label -> row of `known` (voice prints): one known voice per
    cluster and the other way round, the pairs that agree the most first,
    only pairs whose cosine similarity reaches threshold."""
    if not len(known) or not len(labels):
        return {}
    from scipy.optimize import linear_sum_assignment

    clusters = np.unique(labels)
    centres = np.stack([vectors[labels == c].mean(axis=0) for c in clusters])
    centres /= np.linalg.norm(centres, axis=1, keepdims=True)
    similarity = centres @ known.T
    rows, cols = linear_sum_assignment(-similarity)
    return {int(clusters[r]): int(c) for r, c in zip(rows, cols) if similarity[r, c] >= threshold}


def _smooth(words: list[Word], labels: list[int]) -> list[int]:
    """Relabels short runs lying between two runs of the same speaker."""
    runs: list[list[int]] = []  # [label, first, last] word indices
    for i, label in enumerate(labels):
        if runs and runs[-1][0] == label:
            runs[-1][2] = i
        else:
            runs.append([label, i, i])
    out = list(labels)
    for before, run, after in zip(runs, runs[1:], runs[2:]):
        if before[0] == after[0] and words[run[2]].end - words[run[1]].start < MIN_TURN_S:
            out[run[1]:run[2] + 1] = [before[0]] * (run[2] - run[1] + 1)
    return out


def _nearest(centers: np.ndarray, labels: np.ndarray, at: float) -> int:
    i = int(np.searchsorted(centers, at))
    if i == len(centers) or (i > 0 and at - centers[i - 1] < centers[i] - at):
        i -= 1
    return int(labels[i])


def label_segments(segments: Sequence[Segment], centers: np.ndarray, labels: np.ndarray,
                   names: dict[int, str] | None = None) -> list[Segment]:
    """Every segment and word with its speaker, segments cut where the
    speaker changes between two words, indices renumbered. `names` gives
    some labels a known speaker's name; the others are SPEAKER_nn."""
    names = names or {}

    def speaker_name(label: int) -> str:
        return names.get(label, f"{_UNNAMED}{label}")

    if not len(centers):
        return list(segments)
    words = [w for s in segments for w in s.words]
    word_labels = _smooth(words, [_nearest(centers, labels, (w.start + w.end) / 2) for w in words])
    out: list[Segment] = []
    position = 0
    for segment in segments:
        if not segment.words:
            speaker = speaker_name(_nearest(centers, labels, (segment.start + segment.end) / 2))
            out.append(replace(segment, index=len(out), speaker=speaker))
            continue
        own = word_labels[position:position + len(segment.words)]
        position += len(segment.words)
        pieces: list[list[Word]] = []
        for word, label in zip(segment.words, own):
            labelled = replace(word, speaker=speaker_name(label))
            if pieces and pieces[-1][-1].speaker == labelled.speaker:
                pieces[-1].append(labelled)
            else:
                pieces.append([labelled])
        for n, piece in enumerate(pieces):
            whole = len(pieces) == 1
            out.append(replace(
                segment, index=len(out), words=piece, speaker=piece[0].speaker,
                start=segment.start if n == 0 else piece[0].start,
                end=segment.end if n == len(pieces) - 1 else piece[-1].end,
                text=segment.text if whole else "".join(w.word for w in piece).strip(),
            ))
    return _renumber(out)


_UNNAMED = "\0"  # a label's mark until _renumber names it


def _renumber(segments: list[Segment]) -> list[Segment]:
    """Names unknown speakers in the order they first speak in the segments."""
    unnamed = [old for old in dict.fromkeys(s.speaker for s in segments) if old.startswith(_UNNAMED)]
    names = {old: speaker_name(i) for i, old in enumerate(unnamed)}
    names.update({s.speaker: s.speaker for s in segments if not s.speaker.startswith(_UNNAMED)})
    return [replace(s, speaker=names[s.speaker], words=[replace(w, speaker=names[w.speaker]) for w in s.words])
            for s in segments]

