"""Builds the lecture videos (slides rendered with Pillow, narration
spoken by Piper, muxed by ffmpeg), reads them back with the real engines
(optivus_whisper's Whisper on the packaged weights, with word times;
optivus_florence's scene detection with RapidOCR on the key frames), and
measures retrieval and answers against the questions."""

from __future__ import annotations

import json
import time
import wave
from dataclasses import asdict, dataclass
from pathlib import Path

from .lectures import LECTURES, QUESTIONS, Lecture
from .media import ffmpeg


@dataclass
class BuiltLecture:
    key: str
    title: str
    video: Path
    # (start, end) of each slide, in seconds.
    spans: list[tuple[float, float]]

    @property
    def duration(self) -> float:
        return self.spans[-1][1]


def _wav_seconds(path: Path) -> float:
    with wave.open(str(path)) as w:
        return w.getnframes() / w.getframerate()


# A lecturer's pace: about 140 words a minute (Piper's default is near
# 250), a pause after each sentence and a breath between slides.
LENGTH_SCALE = 1.8
SENTENCE_PAUSE_S = 0.5
GAP_S = 1.0


def speak_slowly(voice, text: str, path: Path) -> Path:
    from piper import SynthesisConfig

    with wave.open(str(path), "wb") as out:
        for n, chunk in enumerate(voice.synthesize(text, syn_config=SynthesisConfig(length_scale=LENGTH_SCALE))):
            if n == 0:
                out.setframerate(chunk.sample_rate)
                out.setsampwidth(chunk.sample_width)
                out.setnchannels(chunk.sample_channels)
            out.writeframes(chunk.audio_int16_bytes)
            out.writeframes(b"\0" * int(chunk.sample_rate * SENTENCE_PAUSE_S) * chunk.sample_width)
    return path


def build_lecture(lecture: Lecture, voice, folder: Path) -> BuiltLecture:
    from .florence import render_text

    folder.mkdir(parents=True, exist_ok=True)
    inputs, video_labels, audio_labels, spans, t = [], [], [], [], 0.0
    for i, slide in enumerate(lecture.slides):
        image, audio = folder / f"{lecture.key}.{i}.png", folder / f"{lecture.key}.{i}.wav"
        render_text([slide.title, *(f"- {line}" for line in slide.lines)], size=(960, 540),
                    font_size=48).save(image)
        speak_slowly(voice, slide.narration, audio)
        seconds = _wav_seconds(audio) + GAP_S
        spans.append((round(t, 3), round(t + seconds, 3)))
        t += seconds
        inputs += ["-loop", "1", "-framerate", "2", "-t", f"{seconds:.3f}", "-i", str(image),
                   "-i", str(audio)]
        video_labels.append(f"[{2 * i}:v]")
        audio_labels.append(f"[{2 * i + 1}:a]apad=pad_dur={GAP_S}[a{i}];")
    pads = "".join(audio_labels)
    graph = (pads + "".join(video_labels) + f"concat=n={len(lecture.slides)}:v=1:a=0,format=yuv420p[v];"
             + "".join(f"[a{i}]" for i in range(len(lecture.slides)))
             + f"concat=n={len(lecture.slides)}:v=0:a=1[a]")
    out = folder / f"{lecture.key}.mp4"
    ffmpeg(*inputs, "-filter_complex", graph, "-map", "[v]", "-map", "[a]", "-r", "2", "-c:v", "libx264",
           "-preset", "veryfast", "-c:a", "aac", "-shortest", str(out))
    return BuiltLecture(lecture.key, lecture.title, out, spans)


def build_corpus(folder: Path, voice=None, lectures: tuple[Lecture, ...] = LECTURES) -> list[BuiltLecture]:
    """The lecture videos in `folder` (all six unless `lectures` says
    fewer; made once: a manifest keeps them)."""
    manifest = folder / "corpus.json"
    if manifest.exists():
        return [BuiltLecture(d["key"], d["title"], Path(d["video"]), [tuple(s) for s in d["spans"]])
                for d in json.loads(manifest.read_text())]
    from .speech import piper_voice

    voice = voice or piper_voice()
    built = [build_lecture(lecture, voice, folder) for lecture in lectures]
    manifest.write_text(json.dumps([{**asdict(b), "video": str(b.video)} for b in built]))
    return built


@dataclass
class Timings:
    transcribe_s: float = 0.0
    describe_s: float = 0.0


def read_lectures(built: list[BuiltLecture], data_dir: Path, model_cache: Path, whisper_model: str = "base",
                  cache: Path | None = None):
    """VideoContent of each lecture from the real engines, asked as the
    index job asks (word times, voice activity detection, OCR), cached as
    JSON in `cache` when given; and where the time went."""
    from optivus_videorag.clips import Scene, Segment, VideoContent, Word

    timings = Timings()
    if cache is not None and cache.exists():
        raw = json.loads(cache.read_text())
        contents = {k: VideoContent(
            segments=[Segment(s["start"], s["end"], s["text"], tuple(Word(**w) for w in s["words"]))
                      for s in v["segments"]],
            scenes=[Scene(**sc) for sc in v["scenes"]], duration=v["duration"]) for k, v in raw["contents"].items()}
        return contents, Timings(**raw["timings"])
    from optivus_common.errors import OptivusError
    from optivus_florence.config import FlorenceSettings
    from optivus_florence.engine import VisionEngine
    from optivus_florence.video_pipeline import SceneResult, VideoConfig, VideoOptions, describe_video
    from optivus_whisper.config import WhisperSettings
    from optivus_whisper.engine import Options, WhisperEngine
    from optivus_whisper.engine import Segment as WSegment

    whisper = WhisperEngine(WhisperSettings(data_dir=data_dir, model_cache=model_cache, model=whisper_model))
    whisper.load()
    vision_settings = FlorenceSettings(data_dir=data_dir, model_cache=model_cache,
                                       model=str(data_dir / "no-florence-weights"))
    vision = VisionEngine(vision_settings)
    vision.load()
    video_config = VideoConfig.from_settings(vision_settings)
    contents = {}
    for lecture in built:
        started = time.monotonic()
        try:
            segments = [Segment(s.start, s.end, s.text, tuple(Word(w.start, w.end, w.word) for w in s.words))
                        for s in whisper.transcribe(str(lecture.video), Options(language="en", word_timestamps=True,
                                                                                 vad_filter=True))
                        if isinstance(s, WSegment)]
        except OptivusError:  # no audio track: the pipeline's transcribe stage fails, describe goes on
            segments = []
        timings.transcribe_s += time.monotonic() - started
        started = time.monotonic()
        scenes = [Scene(r.start, r.end, "", r.ocr_text or r.text)
                  for r in describe_video(vision, str(lecture.video), VideoOptions(include_ocr=True), video_config)
                  if isinstance(r, SceneResult)]
        timings.describe_s += time.monotonic() - started
        contents[lecture.key] = VideoContent(segments=segments, scenes=scenes, duration=lecture.duration)
    if cache is not None:
        cache.write_text(json.dumps({"contents": {k: {"segments": [
            {"start": s.start, "end": s.end, "text": s.text, "words": [asdict(w) for w in s.words]}
            for s in v.segments], "scenes": [asdict(sc) for sc in v.scenes], "duration": v.duration}
            for k, v in contents.items()}, "timings": asdict(timings)}))
    return contents, timings


@dataclass
class Figures:
    questions: int
    recall_at_1: float
    recall_at_3: float
    fact_rate: float
    misses: list[str]


async def evaluate(app, library: str, video_ids: dict[str, str], built: list[BuiltLecture]) -> Figures:
    """Asks every question about the lectures in `video_ids`; a clip is
    right when it is in the expected lecture and overlaps the slide that
    answers the question."""
    from optivus_videorag.app import AnswerDelta, Retrieved

    spans = {b.key: b.spans for b in built}
    at1 = at3 = facts = 0
    misses = []
    questions = [q for q in QUESTIONS if q.lecture in video_ids]
    for q in questions:
        start, end = spans[q.lecture][q.slide]
        hits, answer = [], ""
        async for item in app.query(q.text, library, top_k=3):
            if isinstance(item, Retrieved):
                hits.append(item.hit)
            elif isinstance(item, AnswerDelta):
                answer += item.text
        right = [h.video_id == video_ids[q.lecture] and h.start < end and h.end > start for h in hits]
        at1 += bool(right[:1] and right[0])
        at3 += any(right[:3])
        found = q.found_in(answer)
        facts += found
        if not (right[:1] and right[0]) or not found:
            misses.append(f"{q.text} -> top {'ok' if right[:1] and right[0] else 'wrong'}, "
                          f"fact {q.fact!r} {'in' if found else 'not in'}: {answer[:160]!r}")
    n = len(questions)
    return Figures(n, at1 / n, at3 / n, facts / n, misses)
