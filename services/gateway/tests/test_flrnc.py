"""The seed's `flrnc` request through a real gateway process wired to real
florence service processes: one without Florence-2 weights (OCR on
RapidOCR, as offline), one with a tiny Florence-2 loaded from a folder."""

from __future__ import annotations

import json

import pytest

from optivus_testing.media import SCENES
from optivus_testing.processes import running_gateway, running_service
from optivus_testing.sockets import SocketClient

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def squash(text: str) -> str:
    return "".join(text.split()).upper()


@pytest.fixture(scope="module")
def ocr_gateway(service_env, log_dir):
    """No Florence-2 weights (hub offline, nothing cached)."""
    env = {**service_env, "HF_HUB_OFFLINE": "1"}
    with running_service("florence", env, log_dir, 120) as address:
        with running_gateway(service_env, {"florence": address}, log_dir) as url:
            yield url


@pytest.fixture(scope="module")
def florence_gateway(service_env, log_dir, tiny_florence, tmp_path_factory):
    logs = tmp_path_factory.mktemp("tiny-logs")
    env = {**service_env, "AI_FLORENCE_MODEL": str(tiny_florence), "OPTIVUS_FLORENCE_MAX_NEW_TOKENS": "40"}
    with running_service("florence", env, logs, 120) as address:
        with running_gateway(service_env, {"florence": address}, logs) as url:
            yield url


async def test_image_falls_back_to_ocr_and_says_so(ocr_gateway, vision_media):
    path = str(vision_media["text_png"])
    async with SocketClient(ocr_gateway) as client:
        reply = await client.ask({"type": "flrnc", "file": path, "id": "r1"})
    assert reply["status"] == "200"
    data = reply["data"]
    assert (data["type"], data["file"], data["id"]) == ("flrnc", path, "r1")
    assert squash(data["transcribe_img"]["text"]) == "INVOICE4721TOTAL98.50"
    assert data["transcribe_img"]["error"] is None
    assert data["task"] == "ocr" and "AI_FLORENCE_MODEL" in data["warning"]
    json.dumps(reply)


async def test_video_is_always_a_list_of_scenes(ocr_gateway, vision_media):
    async with SocketClient(ocr_gateway) as client:
        many = await client.ask({"type": "flrnc", "file": str(vision_media["scenes"])})
        one = await client.ask({"type": "flrnc", "file": str(vision_media["one_scene"]), "ocr": True})
    assert many["status"] == "200"
    scenes = many["data"]["transcribe_video"]
    assert [list(s) for s in scenes] == [["start", "end", "text"]] * 3
    assert [squash(s["text"]) for s in scenes] == [squash(text) for _, _, text in SCENES]
    assert scenes[0]["start"] == 0.0 and abs(scenes[0]["end"] - 4.4) <= 1 and abs(scenes[1]["end"] - 9.7) <= 1
    assert all(isinstance(s["start"], float) and isinstance(s["end"], float) for s in scenes)
    assert many["data"]["task"] == "ocr" and many["data"]["warning"]
    assert one["status"] == "200"
    [scene] = one["data"]["transcribe_video"]
    assert squash(scene["text"]) == squash(scene["ocr_text"]) == "ONLYSCENE"


async def test_explicit_ocr_task_has_no_warning_and_regions_on_request(ocr_gateway, vision_media):
    async with SocketClient(ocr_gateway) as client:
        plain = await client.ask({"type": "flrnc", "file": str(vision_media["text_jpg"]), "task": "ocr"})
        regions = await client.ask({"type": "flrnc", "file": str(vision_media["text_jpg"]), "task": "OCR_WITH_REGION"})
    assert plain["status"] == "200" and "warning" not in plain["data"]
    assert squash(plain["data"]["transcribe_img"]["text"]) == "OPENDAILY"
    [region] = regions["data"]["transcribe_img"]["regions"]
    assert squash(region["label"]) == "OPENDAILY" and len(region["quad"]) == 8 and 0 < region["score"] <= 1


async def test_caption_without_weights_is_a_clear_400(ocr_gateway, vision_media):
    async with SocketClient(ocr_gateway) as client:
        reply = await client.ask({"type": "flrnc", "file": str(vision_media["text_png"]), "task": "caption"})
    assert reply["status"] == "400"
    error = reply["data"]["transcribe_img"]["error"]
    assert "AI_FLORENCE_MODEL" in error and reply["data"]["error"] == error


async def test_batch_answers_each_item_in_order(ocr_gateway, vision_media):
    items = [{"file": str(vision_media["text_jpg"]), "n": 1}, {"file": "/etc/passwd", "n": 2},
             {"file": str(vision_media["one_scene"]), "n": 3}, "not an object"]
    async with SocketClient(ocr_gateway) as client:
        reply = await client.ask({"type": "flrnc", "id": 5, "task": "ocr", "data": items})
    assert reply["status"] == "200" and reply["data"]["id"] == 5
    results = reply["data"]["data"]
    assert [r.get("n") for r in results] == [1, 2, 3, None]
    assert squash(results[0]["transcribe_img"]["text"]) == "OPENDAILY"
    assert "outside the media folders" in results[1]["error"]
    assert squash(results[2]["transcribe_video"][0]["text"]) == "ONLYSCENE"
    assert "must be an object" in results[3]["error"]


def _bad_requests(media):
    return [
        ({"file": str(media["notes"])}, "400", "could not be decoded as an image or a video"),
        ({"file": str(media["fake_png"])}, "400", "could not be decoded as an image or a video"),
        ({"file": str(media["truncated"])}, "400", "could not be decoded as an image or a video"),
        ({"file": str(media["huge"])}, "400", "20000 x 20000"),
        ({"file": str(media["audio"])}, "400", "no video stream"),
        ({"file": str(media["text_png"]), "task": "paint"}, "400", "unknown task 'paint'"),
        ({"file": str(media["text_png"]), "task": 3}, "400", "`task` must be of type str"),
        ({"file": str(media["scenes"]), "sample_fps": 0}, "400", "sample_fps"),
        ({"file": str(media["scenes"]), "ocr": "yes"}, "400", "`ocr` must be of type bool"),
        ({"file": str(media["notes"].parent / "missing.png")}, "404", "not found"),
        ({"file": "/etc/passwd"}, "403", "outside the media folders"),
        ({"file": 7}, "400", "must be a string"),
        ({}, "400", "`file` is missing"),
    ]


async def test_bad_input_gets_a_clear_error_and_the_server_stays_up(ocr_gateway, vision_media):
    async with SocketClient(ocr_gateway) as client:
        for payload, status, message in _bad_requests(vision_media):
            reply = await client.ask({"type": "flrnc", **payload})
            assert reply["status"] == status, (payload, reply)
            assert message in reply["data"]["error"], (payload, reply)
        ok = await client.ask({"type": "flrnc", "file": str(vision_media["text_jpg"])})
    assert ok["status"] == "200" and squash(ok["data"]["transcribe_img"]["text"]) == "OPENDAILY"


async def test_florence_captions_images_and_videos(florence_gateway, vision_media):
    async with SocketClient(florence_gateway) as client:
        caption = await client.ask({"type": "flrnc", "file": str(vision_media["tiny"])})
        boxes = await client.ask({"type": "flrnc", "file": str(vision_media["tiny"]), "task": "od"})
        video = await client.ask({"type": "flrnc", "file": str(vision_media["scenes"]), "task": "caption"})
    assert caption["status"] == "200" and "warning" not in caption["data"]
    assert caption["data"]["transcribe_img"] == {"error": None, "text": "The image shows a red car."}
    assert caption["data"]["task"] == "more_detailed_caption"
    assert boxes["data"]["transcribe_img"]["regions"] == [{"label": "car", "box": [20.0, 20.0, 100.0, 80.0]}]
    assert video["status"] == "200" and len(video["data"]["transcribe_video"]) == 3
    assert all(scene["text"] for scene in video["data"]["transcribe_video"])
