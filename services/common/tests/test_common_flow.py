"""The order of a job's stages, decided from the record alone."""

from __future__ import annotations

from optivus_common.jobs import flow
from optivus_common.jobs.records import DONE, FAILED, RUNNING


def item(source: dict, index: bool = True):
    (made,) = flow.plan([source], transcribe=True, describe=True, index=index)
    return made


def test_a_url_is_downloaded_first_then_the_rest_in_parallel_and_the_index_last():
    it = item({"url": "https://a/v"})
    assert list(it.stages) == ["download", "transcribe", "describe", "index"] and it.media is None
    assert flow.ready(it) == ["download"]
    it.stages["download"].state = RUNNING
    assert flow.ready(it) == []
    it.stages["download"].state, it.media = DONE, {"path": "/data/v.mp4"}
    assert flow.ready(it) == ["transcribe", "describe"]
    it.stages["transcribe"].state = DONE
    assert flow.ready(it) == ["describe"]  # the index waits for every stage before it
    it.stages["describe"].state = FAILED
    assert flow.ready(it) == ["index"]
    it.stages["index"].state = DONE
    assert flow.settle(it) and it.state == DONE


def test_a_failed_download_fails_the_item_and_nothing_else_starts():
    it = item({"url": "https://a/v"})
    it.stages["download"].state, it.stages["download"].error = FAILED, {"code": 5, "message": "404"}
    assert flow.settle(it) and it.state == FAILED and it.error["message"] == "404"
    assert flow.ready(it) == [] and all(s.state == FAILED for s in it.stages.values())


def test_nothing_to_index_when_both_stages_failed():
    it = item({"path": "/data/v.mp4"})
    for name in ("transcribe", "describe"):
        it.stages[name].state, it.stages[name].error = FAILED, {"code": 3, "message": f"{name} failed"}
    assert flow.ready(it) == []
    assert flow.settle(it) and it.state == FAILED and it.stages["index"].state == FAILED


def test_one_failed_stage_of_two_leaves_the_item_done():
    it = item({"path": "/data/v.mp4"}, index=False)
    it.stages["transcribe"].state, it.stages["transcribe"].error = FAILED, {"code": 3, "message": "mute"}
    assert not flow.settle(it)
    it.stages["describe"].state = DONE
    assert flow.settle(it) and it.state == DONE and not flow.settle(it)
