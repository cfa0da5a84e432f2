"""The visual retrieval code path on a tiny CLIP with random weights
(built by the test support, loaded through the production code): frames
of each clip are read from the video at index time and embedded, the
question's text embedding searches them, and the route shows in the
clips' sources. Random weights rank nothing meaningfully: this checks the
path, not its quality."""

from __future__ import annotations

import pytest

from optivus_common.media import MediaSource
from optivus_testing.media import ffmpeg
from optivus_testing.videorag import lecture, make_app, tiny_clip
from optivus_videorag.app import IndexRequest, Retrieved

pytestmark = [pytest.mark.integration, pytest.mark.slow]


@pytest.fixture(scope="module")
def clip_model(tmp_path_factory):
    return tiny_clip(tmp_path_factory.mktemp("tiny-clip"))


async def test_frames_are_embedded_at_index_time_and_searched_by_the_question(tmp_path, clip_model):
    video = tmp_path / "colours.mp4"
    ffmpeg("-f", "lavfi", "-i", "color=c=red:size=64x64:rate=2:duration=30", "-f", "lavfi",
           "-i", "color=c=blue:size=64x64:rate=2:duration=30", "-filter_complex", "[0:v][1:v]concat=n=2:v=1[v]",
           "-map", "[v]", "-c:v", "libx264", "-pix_fmt", "yuv420p", str(video))
    app = make_app(tmp_path, visual_model=str(clip_model), visual_frames_per_clip=2)
    try:
        caps = app.capabilities()
        assert caps.visual_search and caps.visual_model == clip_model.name and not caps.visual_unavailable_reason
        content = lecture("colours", ["First a red square fills the screen.", "Then a blue circle appears."],
                          "COLOURS")
        await app.index_content(IndexRequest(content, MediaSource(path=str(video)), "visual", "a" * 32, "Colours",
                                             30))
        frames = app.store.get("visual", "frames", [f"{'a' * 32}:{c}:{n}" for c in (0, 1) for n in range(4)],
                               ("clip_index", "start", "end"))
        assert sorted((f["clip_index"], f["start"], f["end"]) for f in frames) == [
            (0, 0.0, 30.0), (0, 0.0, 30.0), (1, 30.0, 60.0), (1, 30.0, 60.0)]
        hits = [item.hit async for item in app.query("a blue circle", "visual", top_k=2)
                if isinstance(item, Retrieved)]
        assert len(hits) == 2 and all("visual" in h.sources for h in hits)
        await app.delete_video("a" * 32)
        assert app.store.get("visual", "frames", [f"{'a' * 32}:0:0"], ()) == []
    finally:
        app.store.close()
