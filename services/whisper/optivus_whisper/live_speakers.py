"""Speakers of a live session (StreamingTranscribe with diarize): each
final segment is labelled as it is made final, consistently across the
session, without waiting for the end. Online clustering: a segment's
voice (the mean embedding of its windows) joins the session's nearest
speaker when it is within the clustering threshold (cosine distance) of
that speaker's running centre, else it is a new speaker, up to
max_speakers (then the nearest). A new speaker whose voice matches an
enrolled voice print takes its name. Unlike a file, a live segment is not
cut where the speaker changes (its words share its label), and interim
segments carry none. Blocking: call label() from a worker thread."""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from .audio import SAMPLE_RATE
from .diarization import Region, speaker_name, window_starts
from .speakers import SpeakerEncoder
from .transcript import Segment

# Shorter segments are too short to tell a voice: they take the last speaker.
MIN_SEGMENT_S = 0.5


class SpeakerTracker:
    def __init__(self, encoder: SpeakerEncoder, threshold: float, max_speakers: int,
                 known: list[tuple[str, np.ndarray]], match: float) -> None:
        self._encoder = encoder
        self._threshold = threshold
        self._max = max_speakers
        self._known = known
        self._match = match
        self._centres: list[np.ndarray] = []
        self._weights: list[int] = []
        self._names: list[str] = []
        self._last: str = ""
        self._unnamed = 0

    def label(self, audio: np.ndarray, segments: list[Segment]) -> list[Segment]:
        """The segments (times in seconds into `audio`) with speakers."""
        return [self._label(audio, segment) for segment in segments]

    def _label(self, audio: np.ndarray, segment: Segment) -> Segment:
        if segment.end - segment.start >= MIN_SEGMENT_S:
            clip = audio[int(segment.start * SAMPLE_RATE):int(segment.end * SAMPLE_RATE)]
            if clip.size:
                self._last = self._speaker(self._voice(clip))
        return replace(segment, speaker=self._last, words=[replace(w, speaker=self._last) for w in segment.words])

    def _voice(self, clip: np.ndarray) -> np.ndarray:
        starts = window_starts(Region(0.0, clip.size / SAMPLE_RATE), self._encoder.window_s)
        mean = self._encoder.embed(clip, starts).mean(axis=0)
        return mean / max(float(np.linalg.norm(mean)), 1e-9)

    def _speaker(self, voice: np.ndarray) -> str:
        if self._centres:
            similarity = np.stack(self._centres) @ voice
            best = int(np.argmax(similarity))
            if 1 - similarity[best] <= self._threshold or len(self._centres) >= self._max:
                weight = self._weights[best]
                centre = self._centres[best] * weight + voice
                self._centres[best] = centre / np.linalg.norm(centre)
                self._weights[best] = weight + 1
                return self._names[best]
        self._centres.append(voice)
        self._weights.append(1)
        self._names.append(self._name(voice))
        return self._names[-1]

    def _name(self, voice: np.ndarray) -> str:
        taken = set(self._names)
        candidates = [(float(vector @ voice), name) for name, vector in self._known if name not in taken]
        best = max(candidates, default=(0.0, ""))
        if best[0] >= self._match:
            return best[1]
        self._unnamed += 1
        return speaker_name(self._unnamed - 1)
