"""A fake Whisper engine for the fast tests (KServe's DummyModel idea): the
real application layer and servicer run on it, without a model.

Files: the media's bytes say what to do.
    b"error:REASON"  raises InvalidArgument with that reason
    b"crash"         raises RuntimeError (a bug: INTERNAL)
    b"slow"          yields one segment, then waits until it is stopped
    anything else    one segment per line of text, line i spanning [i, i+1) s

Live audio (transcribe_array): every run of equal non-zero samples is one
word whose text is "w<round(1000 * value)>", timed where it lies in the
array; with single_segment=True the whole array is one segment, as a model
does for one long utterance. Each call records the array's length."""

from __future__ import annotations

import contextlib
import subprocess
import sys
import threading
from collections.abc import AsyncIterator
from pathlib import Path

import numpy as np

from optivus_common.errors import InvalidArgument
from optivus_whisper.transcript import AudioInfo, Options, Segment, Word

RATE = 16000


def _words(line: str, start: float) -> list[Word]:
    """The line's words, sharing its second evenly."""
    texts = line.split()
    return [Word(start + k / len(texts), start + (k + 1) / len(texts), " " + text, 0.9)
            for k, text in enumerate(texts)]


def word_audio(values: list[float], word_s: float = 0.5, gap_s: float = 0.5) -> np.ndarray:
    """16 kHz float32 audio: one fake word per value, with silence between."""
    parts = []
    for v in values:
        parts += [np.full(int(word_s * RATE), v, np.float32), np.zeros(int(gap_s * RATE), np.float32)]
    return np.concatenate(parts) if parts else np.zeros(0, np.float32)


def words_in(audio: np.ndarray, offset: float = 0.0) -> list[tuple[float, float, str]]:
    """(start, end, text) of every run of equal non-zero samples."""
    quantised = np.round(audio * 1000).astype(np.int64)
    edges = np.flatnonzero(np.diff(quantised)) + 1
    bounds = np.concatenate([[0], edges, [audio.size]])
    out = []
    for a, b in zip(bounds[:-1], bounds[1:]):
        if quantised[a]:
            out.append((offset + a / RATE, offset + b / RATE, f"w{quantised[a]}"))
    return out


class FakeWhisperEngine:
    model_name = "fake"
    device = "cpu"

    def __init__(self, loaded: bool = True, single_segment: bool = False) -> None:
        self.loaded = loaded
        self.single_segment = single_segment
        self.options: list[Options] = []
        self.array_lengths: list[int] = []
        self.stopped = threading.Event()

    def load(self) -> None:
        self.loaded = True

    def transcribe(self, source: str | bytes, options: Options, stop: threading.Event | None = None):
        self.options.append(options)
        data = source if isinstance(source, bytes) else Path(source).read_bytes()
        if data.startswith(b"error:"):
            reason = data[6:].decode().strip()
            raise InvalidArgument(f"the fake engine refuses this ({reason})", reason=reason)
        if data == b"crash":
            raise RuntimeError("the fake engine crashed")
        if data == b"slow":
            yield Segment(0, 0.0, 1.0, "first")
            stop.wait()
            self.stopped.set()
            return
        lines = [line.strip() for line in data.decode().splitlines() if line.strip()]
        for i, line in enumerate(lines):
            if stop is not None and stop.is_set():
                return
            yield Segment(i, float(i), float(i + 1), line, _words(line, i) if options.word_timestamps else [])
        yield AudioInfo(options.language or "en", 0.99, float(len(lines)),
                        "batched" if options.decoding == "batched" else "sequential")

    def transcribe_array(self, audio: np.ndarray, options: Options, stop: threading.Event | None = None):
        self.options.append(options)
        self.array_lengths.append(audio.size)
        found = words_in(audio)
        if self.single_segment and found:
            found = [(found[0][0], found[-1][1], " ".join(text for _, _, text in found))]
        for i, (start, end, text) in enumerate(found):
            yield Segment(i, start, end, text)
        yield AudioInfo(options.language or "en", 0.99, audio.size / RATE)


def concat_wav(parts: list[Path], out: Path) -> Path:
    """The WAV files, one after another, as one 16 kHz mono WAV."""
    from .media import ffmpeg

    listing = out.with_suffix(".txt")
    listing.write_text("".join(f"file '{p}'\n" for p in parts))
    ffmpeg("-f", "concat", "-safe", "0", "-i", str(listing), "-ar", "16000", "-ac", "1", str(out))
    return out


def long_quiet_opus(folder: Path, minutes: int) -> Path:
    """A long Opus file of faint pink noise (about 40 kB a minute), made by
    repeating one encoded minute, so that it takes a second to build."""
    from .media import ffmpeg

    minute = folder / "noise-minute.opus"
    out = folder / f"noise-{minutes}min.opus"
    if not out.exists():
        ffmpeg("-f", "lavfi", "-i", "anoisesrc=color=pink:amplitude=0.001:sample_rate=16000:duration=60",
               "-c:a", "libopus", "-b:a", "8k", str(minute))
        ffmpeg("-stream_loop", str(minutes - 1), "-i", str(minute), "-c", "copy", str(out))
    return out


_PEAK = """
def _peak_mb():
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM"):
            return int(line.split()[1]) / 1024
"""


def peak_rss_growth_mb(setup: str, work: str, timeout: float = 600) -> float:
    """Runs `setup` then `work` (Python source) in a fresh process and
    returns how far its peak resident size (VmHWM in /proc) rose during
    `work`, in MB."""
    script = f"{setup}\n{_PEAK}\n_before = _peak_mb()\n{work}\nprint('PEAK_GROWTH_MB', _peak_mb() - _before)\n"
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=timeout)
    assert done.returncode == 0, done.stderr[-3000:]
    return float(done.stdout.split("PEAK_GROWTH_MB")[-1])


class FakeDiarizer:
    """Stands in for optivus_whisper.diarizer.Diarizer in the fast tests: a
    segment's speaker is the first character of its text's last word
    ("a"... -> SPEAKER_00 for the first letter seen, and so on), every word
    takes its own first character's speaker, and a segment is cut where
    that changes, as the real one does. Records what it was given."""

    name = "fake"

    def __init__(self, max_speakers: int = 4) -> None:
        self.max_speakers = max_speakers
        self.calls: list[tuple[list[Segment], int, int]] = []

    def load(self) -> None:
        pass

    def diarize(self, source, segments, min_speakers, max_speakers, known=(), stop=None) -> list[Segment]:
        from dataclasses import replace

        self.calls.append((list(segments), min_speakers, max_speakers))
        names: dict[str, str] = {}
        out: list[Segment] = []
        for segment in segments:
            runs: list[list[Word]] = []
            for word in segment.words:
                name = names.setdefault(word.word.strip()[:1], f"SPEAKER_{len(names):02d}")
                word = replace(word, speaker=name)
                if runs and runs[-1][-1].speaker == name:
                    runs[-1].append(word)
                else:
                    runs.append([word])
            for run in runs:
                out.append(replace(segment, index=len(out), start=run[0].start, end=run[-1].end, words=run,
                                   text="".join(w.word for w in run).strip(), speaker=run[0].speaker))
        return out


class LoudnessSpeakerEncoder:
    """A speaker encoder (optivus_whisper.speakers.SpeakerEncoder) that tells
    voices apart by loudness only: a window whose mean absolute sample is
    over `loud` is one voice, any other the other (orthogonal embeddings).
    For the fast tests' word_audio, where each value is a word."""

    name = "loudness"
    window_s = 0.4

    def __init__(self, loud: float = 0.3) -> None:
        self.loud = loud

    def load(self) -> None:
        pass

    def embed(self, audio: np.ndarray, starts: np.ndarray) -> np.ndarray:
        out = []
        for s in starts:
            window = audio[int(s * RATE):int((s + self.window_s) * RATE)]
            loud = window.size and float(np.abs(window).mean()) > self.loud
            out.append([0.0, 1.0] if loud else [1.0, 0.0])
        return np.array(out, np.float32)


@contextlib.asynccontextmanager
async def serving(settings, app) -> AsyncIterator:
    """`app` (a WhisperApp) served over gRPC on a loopback port, marked
    serving; yields a SpeechService stub, and stops the server after."""
    import grpc

    from optivus.speech.v1 import speech_service_pb2_grpc as pb_grpc
    from optivus_common.registry import WHISPER
    from optivus_common.server import start_server
    from optivus_whisper.server import registration

    running = await start_server(settings, [registration(app)], domain=WHISPER.domain, address="127.0.0.1:0")
    await running.set_serving(True)
    try:
        async with grpc.aio.insecure_channel(f"127.0.0.1:{running.port}") as channel:
            yield pb_grpc.SpeechServiceStub(channel)
    finally:
        await running.stop(None)
