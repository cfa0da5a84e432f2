"""The diarization step of a transcription: the speaker encoder (loaded on
first use, or at start with OPTIVUS_WHISPER_DIARIZER_PRELOAD) over the audio of a finished transcript
(diarization.py), with the enrolled known speakers the caller read from
its store (known_speakers.py) named where their voices match, and the
voice prints of enrolment clips. Blocking: call it from a worker thread;
it never touches a store."""

from __future__ import annotations

import threading
from collections.abc import Sequence

import numpy as np

from optivus_common.errors import InvalidArgument

from .audio import SAMPLE_RATE, decode, decode_blocks
from .diarization import cluster, embed_regions, label_segments, match_known, speech_regions, voice_print
from .known_speakers import KnownSpeaker
from .live_speakers import SpeakerTracker
from .speakers import ENCODERS, SpeakerEncoder
from .transcript import Segment

# An enrolment clip: long enough for a steady voice print, short enough to
# be one voice.
ENROL_MIN_S = 2.0
ENROL_MAX_S = 60.0


class Diarizer:
    def __init__(self, encoder: SpeakerEncoder, threshold: float, max_speakers: int, max_audio_seconds: float,
                 match: float) -> None:
        self._encoder = encoder
        self._threshold = threshold
        self.max_speakers = max_speakers
        self._max_audio_seconds = max_audio_seconds
        self._match = match

    @classmethod
    def from_settings(cls, settings) -> Diarizer | None:
        """None when diarization is off (OPTIVUS_WHISPER_DIARIZER=none)."""
        if settings.diarizer == "none":
            return None
        return cls(ENCODERS[settings.diarizer](settings.diarize_threads), settings.diarize_threshold,
                   settings.diarize_max_speakers, settings.max_audio_seconds, settings.speaker_match)

    def load(self) -> None:
        self._encoder.load()

    @property
    def name(self) -> str:
        return self._encoder.name

    def diarize(self, source: str | bytes, segments: Sequence[Segment], min_speakers: int, max_speakers: int,
                known: Sequence[KnownSpeaker] = (), stop: threading.Event | None = None) -> list[Segment]:
        """The segments with speakers (0 leaves a bound to the server), named
        after the `known` speakers whose voices match."""
        regions = speech_regions(segments)
        embeddings = embed_regions(self._encoder, decode_blocks(source, self._max_audio_seconds), regions, stop)
        labels = cluster(embeddings.vectors, self._threshold, min_speakers or 1, max_speakers or self.max_speakers)
        known = [s for s in known if s.encoder == self.name]
        names = {}
        if known and len(labels):
            prints = np.stack([s.vector for s in known])
            names = {label: known[row].name
                     for label, row in match_known(embeddings.vectors, labels, prints, self._match).items()}
        return label_segments(segments, embeddings.centers, labels, names)

    def tracker(self, max_speakers: int, known: Sequence[KnownSpeaker] = ()) -> SpeakerTracker:
        """Labels a live session's final segments (0: the server's most)."""
        prints = [(s.name, s.vector) for s in known if s.encoder == self.name]
        return SpeakerTracker(self._encoder, self._threshold, max_speakers or self.max_speakers, prints, self._match)

    def enrolment(self, source: str | bytes) -> tuple[float, np.ndarray]:
        """An enrolment clip's length in seconds and its voice print."""
        audio = decode(source, ENROL_MAX_S)
        seconds = audio.size / SAMPLE_RATE
        if seconds < ENROL_MIN_S or not np.any(audio):
            raise InvalidArgument(f"an enrolment clip is {ENROL_MIN_S:.0f} to {ENROL_MAX_S:.0f} s of one voice; "
                                  f"this one has {seconds:.1f} s of sound", reason="ENROLMENT_TOO_SHORT")
        return seconds, voice_print(self._encoder, audio)
