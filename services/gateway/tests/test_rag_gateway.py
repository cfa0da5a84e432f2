"""VideoRAG libraries over socket.io (rag_index, rag_query, rag_list,
rag_delete) against a fake VideoRagService (optivus_testing.fake_backends):
reply shapes, streamed answers, citations, errors and their statuses."""

from __future__ import annotations

import pytest

from optivus_testing.fake_backends import fake_backends
from optivus_testing.gateway_harness import gateway_in_process
from optivus_testing.sockets import SocketClient


@pytest.fixture
async def stack():
    async with fake_backends(["videorag"]) as fakes:
        async with gateway_in_process(fakes.addresses) as (url, gateway):
            async with SocketClient(url) as client:
                yield client, fakes


async def test_index_list_query_delete(stack):
    client, fakes = stack
    events, reply = await client.ask_with_progress({"type": "rag_index", "id": 1, "library": "trips",
                                                    "files": ["/data/harbour_boats.mp4", "/data/old_town.mp4"],
                                                    "clip_length": 20})
    assert events[0]["status"] == "202" and len(events[0]["data"]["videos"]) == 2
    assert reply["status"] == "200" and reply["data"]["id"] == 1
    harbour, town = reply["data"]["videos"]
    assert (harbour["state"], harbour["library"], harbour["clip_count"], harbour["file"]) == (
        "ready", "trips", 2, "/data/harbour_boats.mp4")
    assert harbour["existing"] is False and harbour["error"] is None and len(harbour["video_id"]) == 32
    request = fakes.servicers["videorag"].recorder.requests[0]
    assert (request.collection, request.clip_length.seconds, request.video.path) == ("trips", 20,
                                                                                      "/data/harbour_boats.mp4")

    listed = await client.ask({"type": "rag_list", "library": "trips"})
    assert {v["video_id"] for v in listed["data"]["videos"]} == {harbour["video_id"], town["video_id"]}
    libraries = await client.ask({"type": "rag_list"})
    assert libraries["data"]["libraries"] == [{"library": "trips", "videos": 2}]

    events, answer = await client.ask_with_progress({"type": "rag_query", "id": 2, "library": "trips",
                                                     "question": "Where are the boats?", "stream": True})
    assert [e["data"]["answer_delta"] for e in events] == ["boats", " [1]"]
    data = answer["data"]
    assert answer["status"] == "200" and data["answer"] == "boats [1]" and data["question"] == "Where are the boats?"
    (cited,) = data["citations"]
    assert cited == {"n": 1, "video_id": harbour["video_id"], "title": "harbour_boats.mp4", "start": 10.0,
                     "end": 20.0, "label": "[1] harbour_boats.mp4, 00:10-00:20", "text": "boats", "score": 1.0,
                     "sources": ["dense"]}
    assert data["retrieved"][0]["video_id"] == harbour["video_id"] and "n" not in data["retrieved"][0]

    deleted = await client.ask({"type": "rag_delete", "video_id": harbour["video_id"]})
    assert deleted["status"] == "200" and deleted["data"]["deleted"] is True
    again = await client.ask({"type": "rag_delete", "video_id": harbour["video_id"]})
    assert again["status"] == "404" and "no video" in again["data"]["error"]


@pytest.mark.parametrize("payload, status, message", [
    ({"type": "rag_query", "library": "nowhere", "question": "why?"}, "404", "no library"),
    ({"type": "rag_query", "question": ""}, "400", "`question` must be a non-empty string"),
    ({"type": "rag_query", "question": "why?", "video_ids": "abc"}, "400", "`video_ids` must be a list"),
    ({"type": "rag_query", "question": "loading"}, "503", "still loading"),
    ({"type": "rag_index"}, "400", "needs `urls`, `file` or `files`"),
    ({"type": "rag_index", "file": "/data/a.mp4", "clip_length": 1}, "400", "`clip_length`"),
    ({"type": "rag_index", "file": "/data/secret.mp4"}, "403", "outside the media folders"),
    ({"type": "rag_index", "files": ["/data/a.mp4"] * 33}, "400", "at most 32"),
    ({"type": "rag_index", "file": "/data/a.mp4", "library": 7}, "400", "`library` must be a library name"),
    ({"type": "rag_delete"}, "400", "`video_id` must be"),
    ({"type": "rag_list", "library": "nowhere"}, "404", "no library"),
])
async def test_bad_requests(stack, payload, status, message):
    client, _ = stack
    reply = await client.ask(payload)
    assert reply["status"] == status and message in reply["data"]["error"], reply


async def test_without_videorag_the_types_answer_503():
    async with gateway_in_process({}) as (url, _):
        async with SocketClient(url) as client:
            reply = await client.ask({"type": "rag_query", "question": "why?"})
    assert reply["status"] == "503" and "videorag service is not deployed" in reply["data"]["error"]
