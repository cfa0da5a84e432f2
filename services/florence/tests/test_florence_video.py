"""Video decoding and description on real ffmpeg-made files: scenes with
known boundaries and text, missing timestamps, streams that are not
there, files that are not video."""

from __future__ import annotations

import subprocess
import threading

import av
import pytest

from optivus_common.errors import InvalidArgument, ResourceExhausted
from optivus_florence import video_pipeline
from optivus_florence.config import FlorenceSettings
from optivus_florence.engine import VisionEngine
from optivus_florence.results import Engine, Task
from optivus_florence.video import Counters, open_video, sample_frames
from optivus_florence.video_pipeline import (
    SceneResult,
    VideoConfig,
    VideoOptions,
    VideoSummary,
    describe_video,
)
from optivus_testing.florence import escaping_playlist
from optivus_testing.media import SCENES

pytestmark = pytest.mark.slow


def squash(text: str) -> str:
    """RapidOCR may drop the spaces between words."""
    return "".join(text.split()).upper()


@pytest.fixture(scope="module")
def ocr_engine(media_dir, model_cache):
    """No Florence-2 weights: OCR tasks on RapidOCR."""
    engine = VisionEngine.from_settings(FlorenceSettings(data_dir=media_dir, model_cache=model_cache, download=False))
    engine.load()
    assert engine.florence_model == ""
    return engine


def run(engine, source, config: VideoConfig = VideoConfig(), **options) -> tuple[list[SceneResult], VideoSummary]:
    *scenes, summary = describe_video(engine, source, VideoOptions(**options), config)
    return scenes, summary


def test_three_scenes_with_boundaries_within_a_second(ocr_engine, vision_media):
    scenes, summary = run(ocr_engine, str(vision_media["scenes"]))
    assert [s.index for s in scenes] == [0, 1, 2]
    cuts = [SCENES[0][0], SCENES[0][0] + SCENES[1][0]]
    assert scenes[0].start == 0
    assert abs(scenes[0].end - cuts[0]) <= 1 and abs(scenes[1].end - cuts[1]) <= 1
    assert [s.start for s in scenes[1:]] == [s.end for s in scenes[:-1]]
    total = sum(seconds for seconds, _, _ in SCENES)
    assert abs(scenes[-1].end - total) <= 0.2 and abs(summary.duration - total) <= 0.2
    # No Florence-2 and no task asked: OCR of each scene's key frame, with a warning.
    assert [squash(s.text) for s in scenes] == [squash(text) for _, _, text in SCENES]
    assert all(s.start <= s.keyframe_time <= s.end for s in scenes)
    assert summary.task is Task.OCR and summary.engine is Engine.RAPIDOCR and "AI_FLORENCE_MODEL" in summary.warning
    assert summary.scene_count == 3 and summary.described_frames == 3
    assert summary.sampled_frames == 13  # 0, 1, ..., 12 s at 1 fps
    assert summary.decoded_frames == round(total * 25)


def test_sampling_rate_and_threshold_are_per_request(ocr_engine, vision_media):
    scenes, summary = run(ocr_engine, str(vision_media["scenes"]), sample_fps=4, scene_threshold=0.5)
    assert summary.sampled_frames == pytest.approx(4 * 12.7, abs=2)
    assert len(scenes) == 3
    cuts = [4.4, 9.7]
    assert all(abs(s.end - c) <= 0.25 for s, c in zip(scenes, cuts))


def test_one_scene_is_still_a_list_of_one(ocr_engine, vision_media):
    scenes, summary = run(ocr_engine, str(vision_media["one_scene"]), include_ocr=True)
    assert len(scenes) == 1 and squash(scenes[0].ocr_text) == "ONLYSCENE"


def test_video_given_as_bytes(ocr_engine, vision_media):
    scenes, _ = run(ocr_engine, vision_media["one_scene"].read_bytes())
    assert len(scenes) == 1


def test_raw_h264_without_timestamps_or_duration_ends(ocr_engine, vision_media, tmp_path):
    raw = tmp_path / "scenes.h264"
    subprocess.run(["ffmpeg", "-loglevel", "error", "-y", "-i", str(vision_media["scenes"]), "-c:v", "copy",
                    "-bsf:v", "h264_mp4toannexb", "-f", "h264", str(raw)], check=True)
    with open_video(str(raw), 10**8, 3600) as (_, stream, info):
        assert info.duration is None
    stop, outcome = threading.Event(), {}

    def describe():
        *outcome["scenes"], outcome["summary"] = describe_video(ocr_engine, str(raw), VideoOptions(), VideoConfig(),
                                                                stop)

    worker = threading.Thread(target=describe, daemon=True)
    worker.start()
    worker.join(timeout=600)  # a hang guard, not a speed goal: the video is 12.7 s long
    stop.set()  # ends a hung decode
    assert not worker.is_alive(), "hung: decoding a stream without timestamps never ended"
    scenes, summary = outcome["scenes"], outcome["summary"]
    assert len(scenes) == 3 and summary.decoded_frames == round(12.7 * 25)


def test_decoding_streams_without_holding_the_video(vision_media):
    counters = Counters()
    with open_video(str(vision_media["scenes"]), 10**8, 3600) as (container, stream, info):
        frames = sample_frames(container, stream, info, 1.0, 10**8, 3600, counters)
        first = next(frames)
        assert first.time == 0 and counters.decoded <= 8  # decoded on demand, not up front
        times = [first.time] + [f.time for f in frames]
    assert times == pytest.approx(list(range(13)), abs=0.05)


def test_stop_ends_a_video_early(ocr_engine, vision_media):
    stop = threading.Event()
    results = describe_video(ocr_engine, str(vision_media["scenes"]), VideoOptions(), VideoConfig(), stop)
    assert isinstance(next(results), SceneResult)
    stop.set()
    assert len(list(results)) <= 2  # at most the scenes already described


@pytest.mark.parametrize("name, reason", [("audio", "NO_VIDEO_STREAM"), ("notes", "MEDIA_UNDECODABLE"),
                                          ("truncated", "MEDIA_UNDECODABLE")])
def test_files_that_are_not_video(ocr_engine, vision_media, name, reason):
    with pytest.raises(InvalidArgument) as err:
        run(ocr_engine, str(vision_media[name]))
    assert err.value.reason == reason


def test_hls_playlist_naming_a_video_outside_the_media_root_is_refused(ocr_engine, media_dir, tmp_path,
                                                                        monkeypatch):
    playlist = media_dir / "playlists" / f"{tmp_path.name}.m3u8"
    playlist.parent.mkdir(exist_ok=True)
    secret = escaping_playlist(playlist, tmp_path / "outside")
    assert not secret.resolve().is_relative_to(media_dir.resolve())
    # A real escape: FFmpeg without limits decodes the outside video through the playlist.
    with av.open(str(playlist)) as unlimited:
        assert unlimited.format.name == "hls" and any(True for _ in unlimited.decode(video=0))

    decoders = []
    real_sample_frames = video_pipeline.sample_frames

    def spy(*args, **kwargs):
        decoders.append(args)
        return real_sample_frames(*args, **kwargs)

    monkeypatch.setattr(video_pipeline, "sample_frames", spy)
    for source in (str(playlist), playlist.read_bytes()):
        with pytest.raises(InvalidArgument) as err:
            run(ocr_engine, source)
        assert err.value.reason == "MEDIA_UNDECODABLE"
    assert decoders == []  # refused at open: not one frame of the outside file was decoded


def test_frame_size_and_length_limits(ocr_engine, vision_media):
    with pytest.raises(ResourceExhausted) as err:
        run(ocr_engine, str(vision_media["scenes"]), VideoConfig(max_pixels=320 * 180, max_seconds=5))
    assert err.value.reason == "IMAGE_TOO_LARGE"
    with pytest.raises(ResourceExhausted) as err:
        run(ocr_engine, str(vision_media["scenes"]), VideoConfig(max_pixels=10**8, max_seconds=5))
    assert err.value.reason == "VIDEO_TOO_LONG"
