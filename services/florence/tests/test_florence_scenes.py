"""Scene detection on frames with known content, and the bounded key-frame
buffer."""

from __future__ import annotations

from PIL import Image

from optivus_florence.scenes import (
    BUFFER,
    SceneFrames,
    detect_scenes,
    distance,
    signature,
)
from optivus_florence.video import Frame
from optivus_testing.florence import render_text


def frame(t: float, colour: str, text: str = "") -> Frame:
    return Frame(t, render_text([text], size=(320, 180), background=colour, colour="white", font_size=30))


def test_distance_is_zero_for_equal_and_one_for_disjoint_colours():
    red, blue = Image.new("RGB", (64, 36), "red"), Image.new("RGB", (64, 36), "blue")
    assert distance(signature(red), signature(red)) == 0
    assert distance(signature(red), signature(blue)) == 1


def test_motion_within_a_shot_is_not_a_cut():
    base = Image.effect_noise((400, 200), 60).convert("RGB")
    moved = base.transform(base.size, Image.Transform.AFFINE, (1, 0, 40, 0, 1, 10))
    assert distance(signature(base), signature(moved)) < 0.35


def test_cuts_lie_midway_between_samples():
    frames = [frame(t, "firebrick", "ONE") for t in range(5)] + [frame(t, "navy", "TWO") for t in range(5, 8)]
    scenes = list(detect_scenes(frames, threshold=0.35, max_scene_seconds=0, end_of_video=lambda last: 8.0))
    assert [(s.index, s.start, s.end) for s in scenes] == [(0, 0.0, 4.5), (1, 4.5, 8.0)]
    assert [len(s.frames) for s in scenes] == [5, 3]


def test_long_scenes_are_cut_at_the_maximum():
    frames = [frame(t, "darkgreen") for t in range(10)]
    scenes = list(detect_scenes(frames, threshold=0.35, max_scene_seconds=4, end_of_video=lambda last: 10.0))
    assert [(s.start, s.end) for s in scenes] == [(0.0, 4.0), (4.0, 8.0), (8.0, 10.0)]


def test_no_frames_no_scenes():
    assert list(detect_scenes([], 0.35, 0, lambda last: 0.0)) == []


def test_keyframe_buffer_stays_bounded_and_spread():
    scene = SceneFrames(index=0, start=0.0)
    for t in range(3600):  # an hour at one frame a second
        scene.add(Frame(float(t), None))
    assert len(scene.frames) <= BUFFER + 1
    times = [f.time for f in scene.frames]
    assert times[0] == 0 and times[-1] > 3000
    middle = scene.keyframes(1)[0].time
    assert 1200 < middle < 2400
    three = [f.time for f in scene.keyframes(3)]
    assert three == sorted(three) and len(set(three)) == 3


def flicker(seconds: float, step: float) -> list[Frame]:
    return [frame(i * step, "black" if i % 2 else "white") for i in range(round(seconds / step))]


def test_changes_closer_than_the_minimum_are_merged():
    frames = flicker(5, 0.25)  # a scene change at every sample
    assert len(list(detect_scenes(frames, 0.35, 0, lambda last: 5.0))) == 20
    scenes = list(detect_scenes(frames, 0.35, 0, lambda last: 5.0, min_scene_seconds=1.0))
    assert [s.start for s in scenes] == [0.0, 1.125, 2.125, 3.125, 4.125]
    assert all(s.end - s.start >= 1.0 for s in scenes[:-1])  # the last is the video's tail
    assert sum(s.merged for s in scenes) == 19 - 4


def test_past_the_cap_nothing_is_cut():
    frames = flicker(5, 0.5) + [frame(t, "darkgreen") for t in range(5, 20)]
    scenes = list(detect_scenes(frames, 0.35, 4, lambda last: 20.0, max_scenes=3))
    assert [s.index for s in scenes] == [0, 1, 2]
    assert scenes[-1].end == 20.0 and scenes[-1].merged > 0
