"""The real Florence-2 code path end to end on a tiny Florence-2 (built,
saved, then loaded by the production code), and RapidOCR on rendered
text where Florence-2 weights are absent."""

from __future__ import annotations

import shutil

import pytest

from optivus_common.errors import FailedPrecondition, InvalidArgument
from optivus_florence.config import FlorenceSettings
from optivus_florence.engine import VisionEngine
from optivus_florence.results import Engine, Region, Task
from optivus_florence.images import open_image
from optivus_florence.video_pipeline import VideoConfig, VideoOptions, describe_video
from optivus_testing.florence import TINY_PHRASE, tiny_image

pytestmark = pytest.mark.slow

# The fitted answers (optivus_florence.testing.TINY_ANSWERS) after the
# processor's post-processing, for the 200 x 100 tiny image: location bins
# are thousandths of the width and height.
EXPECTED = {
    Task.CAPTION: ("a red car", []),
    Task.DETAILED_CAPTION: ("a red car on a road", []),
    Task.MORE_DETAILED_CAPTION: ("The image shows a red car.", []),
    Task.OCR: ("STOP", []),
    Task.OCR_WITH_REGION: ("STOP", [Region("STOP", quad=(2.0, 2.0, 60.0, 2.0, 60.0, 40.0, 2.0, 40.0))]),
    Task.OD: ("car", [Region("car", box=(20.0, 20.0, 100.0, 80.0))]),
    Task.DENSE_REGION_CAPTION: ("red car", [Region("red car", box=(20.0, 20.0, 100.0, 80.0))]),
    Task.CAPTION_TO_PHRASE_GROUNDING: ("a red car", [Region("a red car", box=(0.0, 0.0, 199.0, 99.0))]),
}


def describe_one(engine, source, plan):
    return engine.describe([open_image(source, 10**8)], plan)[0]


def squash(text: str) -> str:
    return "".join(text.split()).upper()


def settings(media_dir, model_cache, **more) -> FlorenceSettings:
    return FlorenceSettings(data_dir=media_dir, model_cache=model_cache, max_new_tokens=40, **more)


@pytest.fixture(scope="module")
def florence(tiny_florence, media_dir, model_cache):
    engine = VisionEngine.from_settings(settings(media_dir, model_cache, model=str(tiny_florence), batch_size=3))
    engine.load()
    return engine


@pytest.fixture(scope="module")
def ocr_only(media_dir, model_cache):
    engine = VisionEngine.from_settings(settings(media_dir, model_cache, model=str(media_dir / "no-such-model")))
    engine.load()
    return engine


def test_florence_serves_every_task(florence, tiny_florence):
    assert florence.florence_model == str(tiny_florence) and florence.florence_reason == ""
    assert florence.capabilities() == {task: Engine.FLORENCE2 for task in Task}
    assert florence.default_task() is Task.MORE_DETAILED_CAPTION and florence.device == "cpu"


@pytest.mark.parametrize("task", list(Task), ids=lambda t: t.name)
def test_every_task_generates_and_post_processes(florence, task):
    result = florence.describe([tiny_image()], florence.plan(task, TINY_PHRASE))[0]
    assert (result.text, result.regions) == EXPECTED[task]
    assert (result.task, result.engine, result.width, result.height, result.warning) == \
        (task, Engine.FLORENCE2, 200, 100, "")


def test_batches_give_the_same_answers_as_single_images(florence):
    images = [tiny_image() for _ in range(5)]  # batch_size 3: two generate() calls
    results = florence.describe(images, florence.plan(Task.OD))
    assert [(r.text, r.regions) for r in results] == [EXPECTED[Task.OD]] * 5


def test_default_task_is_the_detailed_caption(florence, vision_media):
    result = describe_one(florence, str(vision_media["tiny"]), florence.plan(None))
    assert result.task is Task.MORE_DETAILED_CAPTION and result.text == "The image shows a red car."


def test_grounding_needs_a_phrase(florence):
    with pytest.raises(InvalidArgument) as err:
        florence.plan(Task.CAPTION_TO_PHRASE_GROUNDING, "  ")
    assert err.value.reason == "PHRASE_MISSING"


def test_video_key_frames_go_through_florence(florence, vision_media):
    *scenes, summary = describe_video(florence, str(vision_media["scenes"]), VideoOptions(task=Task.CAPTION),
                                      VideoConfig())
    assert len(scenes) == 3 and all(s.result.engine is Engine.FLORENCE2 for s in scenes)
    assert all(isinstance(s.text, str) and s.text for s in scenes)
    assert summary.task is Task.CAPTION and summary.warning == ""


def test_hub_id_found_in_the_model_cache_loads_offline(tiny_florence, media_dir, tmp_path, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    revision = "a" * 40
    repo = tmp_path / "hub" / "models--optivus--tiny-florence2"
    shutil.copytree(tiny_florence, repo / "snapshots" / revision)
    (repo / "refs").mkdir()
    (repo / "refs" / "main").write_text(revision)
    engine = VisionEngine.from_settings(FlorenceSettings(data_dir=media_dir, model_cache=tmp_path,
                                                         model="optivus/tiny-florence2", max_new_tokens=40))
    engine.load()
    assert engine.florence_reason == ""
    assert engine.describe([tiny_image()], engine.plan(Task.CAPTION))[0].text == "a red car"


def test_rapidocr_can_serve_ocr_beside_florence(tiny_florence, media_dir, model_cache, vision_media):
    engine = VisionEngine.from_settings(settings(media_dir, model_cache, model=str(tiny_florence),
                                                 ocr_engine="rapidocr"))
    engine.load()
    assert engine.capabilities()[Task.OCR] is Engine.RAPIDOCR
    assert engine.capabilities()[Task.CAPTION] is Engine.FLORENCE2
    result = describe_one(engine, str(vision_media["text_jpg"]), engine.plan(Task.OCR))
    assert squash(result.text) == "OPENDAILY"


def test_without_weights_only_ocr_is_served(ocr_only):
    assert "does not exist" in ocr_only.florence_reason or "neither" in ocr_only.florence_reason
    assert ocr_only.capabilities() == {Task.OCR: Engine.RAPIDOCR, Task.OCR_WITH_REGION: Engine.RAPIDOCR}
    assert ocr_only.default_task() is Task.OCR


@pytest.mark.parametrize("task", [t for t in Task if not t.is_ocr], ids=lambda t: t.name)
def test_caption_tasks_without_weights_name_the_setting(ocr_only, task):
    with pytest.raises(FailedPrecondition) as err:
        ocr_only.plan(task, "x")
    assert err.value.reason == "FLORENCE_UNAVAILABLE" and "AI_FLORENCE_MODEL" in err.value.message
    assert err.value.metadata["setting"] == "AI_FLORENCE_MODEL"


def test_real_ocr_reads_rendered_text(ocr_only, vision_media):
    result = describe_one(ocr_only, str(vision_media["text_png"]), ocr_only.plan(Task.OCR))
    assert squash(result.text) == "INVOICE4721TOTAL98.50"
    assert result.engine is Engine.RAPIDOCR and result.regions == []


def test_ocr_with_regions_places_each_line(ocr_only, vision_media):
    result = describe_one(ocr_only, str(vision_media["text_png"]), ocr_only.plan(Task.OCR_WITH_REGION))
    assert [squash(r.label) for r in result.regions] == ["INVOICE4721", "TOTAL98.50"]
    first, second = result.regions
    assert len(first.quad) == 8 and 0 < first.score <= 1
    # Line one is drawn at y = 30, line two at y = 100, both from x = 30.
    assert 15 <= min(first.quad[1::2]) <= 45 and 85 <= min(second.quad[1::2]) <= 115
    assert 15 <= min(first.quad[0::2]) <= 45


def test_no_task_without_weights_falls_back_to_ocr_with_a_warning(ocr_only, vision_media):
    result = describe_one(ocr_only, vision_media["text_jpg"].read_bytes(), ocr_only.plan(None))
    assert result.task is Task.OCR and squash(result.text) == "OPENDAILY"
    assert "AI_FLORENCE_MODEL" in result.warning


def test_weights_that_do_not_fit_fall_back_with_the_reason(tiny_florence, media_dir, model_cache, tmp_path):
    """A checkpoint in another layout (Microsoft's remote-code one, say)
    would load with fresh random weights; it must be refused instead."""
    from safetensors.torch import load_file, save_file

    folder = tmp_path / "other-layout"
    shutil.copytree(tiny_florence, folder)
    weights = load_file(folder / "model.safetensors")
    save_file({k.replace("model.language_model.", "language_model.model."): v for k, v in weights.items()},
              folder / "model.safetensors", metadata={"format": "pt"})
    engine = VisionEngine.from_settings(settings(media_dir, model_cache, model=str(folder)))
    engine.load()
    assert "do not fit" in engine.florence_reason
    assert set(engine.capabilities()) == {Task.OCR, Task.OCR_WITH_REGION}
