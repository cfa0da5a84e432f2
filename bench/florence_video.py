"""What scene detection saves on a long video.

Builds a 10-minute synthetic video (1280 x 720, 25 fps, H.264: scenes of
random length, each a colour with a line of text, and a box moving across
every frame), then measures (a) decoding alone at the
service's sampling rate, with scene detection, and (b) the whole
DescribeVideo pipeline as the service runs it (the engine the service would
load: RapidOCR offline, or Florence-2 with --model). Prints decoded frames
per second, described frames per scene, and the ratio of described to
decoded (and to sampled) frames, which scene detection keeps small.

Run: .venv/bin/python bench/florence_video.py [--minutes 10] [--model PATH] [--keep DIR]
"""

from __future__ import annotations

import argparse
import random
import tempfile
import time
from pathlib import Path

from optivus_florence.config import FlorenceSettings
from optivus_florence.engine import VisionEngine
from optivus_florence.scenes import detect_scenes
from optivus_florence.video import Counters, frame_interval, open_video, sample_frames
from optivus_florence.video_pipeline import VideoConfig, VideoOptions, VideoSummary, describe_video
from optivus_testing.florence import ffmpeg, render_text

COLOURS = ["firebrick", "navy", "darkgreen", "purple", "darkorange", "teal", "saddlebrown", "black", "slategray",
           "olive", "indigo", "crimson"]
WORDS = ["HARBOUR", "MARKET", "STATION", "GARDEN", "LIBRARY", "BRIDGE", "MUSEUM", "CASTLE", "RIVER", "FOREST"]


def scene_plan(minutes: float, seed: int = 7) -> list[tuple[float, str, str]]:
    """(seconds, background, text) per scene, the same for the same arguments."""
    rng = random.Random(seed)
    total, scenes = minutes * 60, []
    while sum(d for d, _, _ in scenes) < total:
        colour = rng.choice([c for c in COLOURS if not scenes or c != scenes[-1][1]])
        scenes.append((round(rng.uniform(5, 40), 2), colour, f"{rng.choice(WORDS)} {len(scenes) + 1}"))
    scenes[-1] = (round(scenes[-1][0] - (sum(d for d, _, _ in scenes) - total), 2), *scenes[-1][1:])
    return scenes


def cut_times(scenes: list[tuple[float, str, str]]) -> list[float]:
    cuts, at = [], 0.0
    for seconds, _, _ in scenes[:-1]:
        at += seconds
        cuts.append(at)
    return cuts


def make_video(path: Path, scenes: list[tuple[float, str, str]]) -> None:
    list_file = path.with_suffix(".txt")
    lines = []
    for i, (seconds, colour, text) in enumerate(scenes):
        still = path.with_name(f"scene{i}.png")
        render_text([text], size=(1280, 720), background=colour, colour="white", font_size=96).save(still)
        lines.append(f"file '{still}'\nduration {seconds}\n")
    list_file.write_text("".join(lines) + f"file '{path.with_name(f'scene{len(scenes) - 1}.png')}'\n")
    ffmpeg("-f", "concat", "-safe", "0", "-i", str(list_file),
           "-vf", "fps=25,drawbox=x='mod(t*160,1100)':y=520:w=180:h=120:color=white@0.8:t=fill,format=yuv420p",
           "-t", str(sum(d for d, _, _ in scenes)), "-c:v", "libx264", "-preset", "veryfast", "-g", "250",
           str(path))


def decode_only(path: Path, config: VideoConfig) -> tuple[float, Counters, list]:
    """Decoding and scene detection under the service's own rules (VideoConfig)."""
    counters = Counters()
    started = time.perf_counter()
    with open_video(str(path), config.max_pixels, config.max_seconds) as (container, stream, info):
        frames = sample_frames(container, stream, info, config.sample_fps, config.max_pixels, config.max_seconds,
                               counters)
        scenes = [(s.start, s.end) for s in detect_scenes(
            frames, config.scene_threshold, config.max_scene_seconds,
            lambda last: max(info.duration or 0, last + frame_interval(info, config.sample_fps)),
            config.min_scene_for(info.duration), config.max_scenes)]
    return time.perf_counter() - started, counters, scenes


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--minutes", type=float, default=10)
    parser.add_argument("--model", default="", help="a Florence-2 folder (default: no weights, RapidOCR)")
    parser.add_argument("--keep", type=Path, help="folder to build the video in, kept for later runs")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="florence-bench-") as scratch:
        folder = args.keep or Path(scratch)
        folder.mkdir(parents=True, exist_ok=True)
        run(args, folder)


def run(args, folder: Path) -> None:
    video = folder / f"synthetic-{args.minutes:g}min.mp4"
    plan = scene_plan(args.minutes)
    cuts = cut_times(plan)
    started = time.perf_counter()
    if not video.is_file():  # --keep reuses the video of an earlier run
        make_video(video, plan)
    print(f"video: {args.minutes:g} min, 1280x720, 25 fps, {len(cuts) + 1} true scenes "
          f"(ready in {time.perf_counter() - started:.0f} s)")

    settings = FlorenceSettings(model=args.model or str(folder / "no-weights"), download=False)
    config = VideoConfig.from_settings(settings)
    wall, counters, scenes = decode_only(video, config)
    found = [end for _, end in scenes[:-1]]
    hits = sum(any(abs(f - c) <= 1.0 for f in found) for c in cuts)
    print(f"(a) decode + scene detection: {counters.decoded} frames in {wall:.1f} s = "
          f"{counters.decoded / wall:.0f} decoded frames/s; {counters.sampled} sampled at "
          f"{settings.sample_fps:g} fps; {len(scenes)} scenes found, {hits}/{len(cuts)} true cuts within 1 s, "
          f"{len(found) - hits} extra")

    engine = VisionEngine.from_settings(settings)
    engine.load()
    started = time.perf_counter()
    first_scene_s = None
    for item in describe_video(engine, str(video), VideoOptions(), config):
        if first_scene_s is None:
            first_scene_s = time.perf_counter() - started
        if isinstance(item, VideoSummary):
            summary = item
    wall = time.perf_counter() - started
    print(f"(b) DescribeVideo pipeline ({summary.engine.value}, task {summary.task.name}): {wall:.1f} s, "
          f"{summary.decoded_frames / wall:.0f} decoded frames/s, first scene after {first_scene_s:.1f} s")
    print(f"    scenes {summary.scene_count}, described frames {summary.described_frames} "
          f"({summary.described_frames / summary.scene_count:.2f} per scene)")
    print(f"    described / decoded = {summary.described_frames / summary.decoded_frames:.4f} "
          f"({summary.described_frames} / {summary.decoded_frames}); "
          f"described / sampled = {summary.described_frames / summary.sampled_frames:.3f} "
          f"({summary.described_frames} / {summary.sampled_frames})")


if __name__ == "__main__":
    main()
