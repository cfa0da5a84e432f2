"""The application layer on a real Milvus Lite folder, with the test
embedder: libraries, indexing, the registry, delete, queries with
citations, and the bad inputs of the issue."""

from __future__ import annotations

import pytest
import pytest_asyncio

from optivus_common import errors
from optivus_common.media import MediaSource
from optivus_testing.videorag import FakeJobs, lecture, make_app
from optivus_videorag.app import AnswerDelta, Citations, IndexRequest, Retrieved
from optivus_videorag.clips import Scene, VideoContent

# One Milvus Lite folder (a gRPC server on loopback, in this process) and one event loop for the module.
pytestmark = [pytest.mark.integration, pytest.mark.asyncio(loop_scope="module")]

BIOLOGY = lecture("biology", [
    "Mitochondria produce most of the energy a cell needs.",
    "Ribosomes assemble proteins from amino acids.",
    "The nucleus stores the genetic material of the cell.",
], "CELL BIOLOGY")
HISTORY = lecture("history", [
    "The Roman republic was governed by two consuls elected each year.",
    "Julius Caesar crossed the Rubicon river with his army.",
    "Augustus became the first Roman emperor.",
], "ANCIENT ROME")


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    made = make_app(tmp_path_factory.mktemp("videorag"), jobs=FakeJobs())
    yield made
    made.store.close()


def request(content, library, video_id, title="", media=MediaSource(path="/nowhere.mp4")):
    return IndexRequest(content=content, media=media, library=library, video_id=video_id, title=title,
                        clip_length=30)


async def ask(app, question, library="lectures", **kw):
    items = [item async for item in app.query(question, library, **kw)]
    retrieved = [i.hit for i in items if isinstance(i, Retrieved)]
    answer = "".join(i.text for i in items if isinstance(i, AnswerDelta))
    citations = [i for i in items if isinstance(i, Citations)]
    kinds = [type(i).__name__ for i in items]
    assert kinds == sorted(kinds, key=["Retrieved", "AnswerDelta", "Citations"].index) and len(citations) == 1
    return retrieved, answer, citations[0].hits


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def indexed(app):
    bio = await app.index_content(request(BIOLOGY, "lectures", "b" * 32, "Cell biology"))
    rome = await app.index_content(request(HISTORY, "lectures", "c" * 32, "Ancient Rome"))
    return bio, rome


async def test_indexed_videos_are_ready_with_their_counts(app, indexed):
    bio, _ = indexed
    assert bio.clip_count == 3
    row = await app.get_video("b" * 32)
    assert (row.state, row.title, row.library, row.clip_count, row.duration) == ("ready", "Cell biology",
                                                                                 "lectures", 3, 90.0)
    assert row.chunk_count == 3 and row.entity_count > 5 and row.relation_count > 3
    videos, token = await app.list_videos("lectures")
    assert {v.video_id for v in videos} == {"b" * 32, "c" * 32} and token == ""
    first, token = await app.list_videos("lectures", page_size=1)
    second, last = await app.list_videos("lectures", page_size=1, page_token=token)
    assert len(first) == len(second) == 1 and first[0].video_id != second[0].video_id and last == ""
    assert ("lectures", 2) in await app.list_libraries()


async def test_a_question_finds_its_clip_and_the_answer_cites_it(app, indexed):
    retrieved, answer, citations = await ask(app, "Who crossed the Rubicon?")
    top = retrieved[0]
    assert (top.video_id, top.clip_index, top.start, top.end) == ("c" * 32, 1, 30.0, 60.0)
    assert top.title == "Ancient Rome" and "dense" in top.sources and "keyword" in top.sources
    assert answer.startswith("Julius Caesar crossed the Rubicon river with his army. [1]")
    number, hit = citations[0]
    assert number == 1 and (hit.video_id, hit.clip_index) == ("c" * 32, 1)


async def test_the_graph_route_reaches_clips_through_entities(app, indexed):
    retrieved, _, _ = await ask(app, "mitochondria")
    assert (retrieved[0].video_id, retrieved[0].clip_index) == ("b" * 32, 0) and "graph" in retrieved[0].sources


async def test_video_ids_restrict_the_search(app, indexed):
    retrieved, _, _ = await ask(app, "Who crossed the Rubicon?", video_ids=["b" * 32], top_k=2)
    assert retrieved and {h.video_id for h in retrieved} == {"b" * 32} and len(retrieved) <= 2


async def test_same_content_again_is_a_no_op_and_two_libraries_are_independent(app, tmp_path):
    video = tmp_path / "talk.mp4"
    video.write_bytes(b"not really a video, but content to hash")
    jobs = app.jobs
    app.media._roots.append(tmp_path.resolve())
    first = await app.start_indexing(MediaSource(path=str(video)), "alpha", title="Talk")
    again = await app.start_indexing(MediaSource(path=str(video)), "alpha")
    other = await app.start_indexing(MediaSource(path=str(video)), "beta")
    assert not first.existing and again.existing and again.video_id == first.video_id
    assert again.job_id == first.job_id and other.video_id != first.video_id and not other.existing
    assert [s["library"] for s in jobs.submitted[-2:]] == ["alpha", "beta"]
    assert jobs.submitted[-2]["title"] == "Talk" and jobs.submitted[-1]["title"] == "talk.mp4"
    assert (await app.get_video(first.video_id)).state == "queued"
    # The pipeline runs the index stage for each; deleting from one library leaves the other.
    for started, library in ((first, "alpha"), (other, "beta")):
        await app.index_content(request(BIOLOGY, library, started.video_id))
    await app.delete_video(first.video_id)
    _, answer, citations = await ask(app, "What do ribosomes assemble?", "beta")
    assert "Ribosomes" in answer and citations[0][1].video_id == other.video_id
    retrieved, answer, citations = await ask(app, "What do ribosomes assemble?", "alpha")
    assert retrieved == [] and citations == [] and answer == "Nothing in this library answers that question."


async def test_deleting_twice_is_not_found_and_removes_every_row(app):
    await app.index_content(request(HISTORY, "gamma", "d" * 32))
    assert await app.delete_video("d" * 32) > 3
    with pytest.raises(errors.NotFound) as err:
        await app.delete_video("d" * 32)
    assert err.value.reason == "VIDEO_NOT_FOUND"
    assert app.store.get(
        "gamma", "chunks", ["d" * 32 + ":0:0"], ()) == []


async def test_deleting_a_queued_video_cancels_its_job(app, tmp_path):
    video = tmp_path / "queued.mp4"
    video.write_bytes(b"queued video bytes")
    app.media._roots.append(tmp_path.resolve())
    started = await app.start_indexing(MediaSource(path=str(video)), "delta")
    await app.delete_video(started.video_id)
    assert app.jobs.cancelled[-1] == started.job_id


async def test_a_job_that_ended_without_indexing_leaves_the_video_failed(app, tmp_path):
    video = tmp_path / "mute_black.mp4"
    video.write_bytes(b"neither sound nor picture")
    app.media._roots.append(tmp_path.resolve())
    started = await app.start_indexing(MediaSource(path=str(video)), "delta")
    app.jobs.states[started.job_id] = ("failed", "the media has no audio stream")
    row = await app.get_video(started.video_id)
    assert (row.state, row.error) == ("failed", "the media has no audio stream")


async def test_a_video_with_nothing_said_or_seen_fails_clearly(app):
    black = VideoContent(scenes=[Scene(0, 20, "", "")], duration=20)
    with pytest.raises(errors.InvalidArgument) as err:
        await app.index_content(request(black, "lectures", "e" * 32))
    assert err.value.reason == "NOTHING_TO_INDEX"
    row = await app.get_video("e" * 32)
    assert row.state == "failed" and "nothing" in row.error


async def test_a_video_with_no_speech_is_indexed_from_its_screen_text(app):
    slides = VideoContent(scenes=[Scene(0, 40, "", "Photosynthesis happens in chloroplasts")], duration=40)
    result = await app.index_content(request(slides, "silent", "f" * 32))
    assert result.clip_count == 2
    _, answer, _ = await ask(app, "Where does photosynthesis happen?", "silent")
    assert "chloroplasts" in answer


@pytest.mark.parametrize("call, reason", [
    (lambda app: ask(app, "   "), "EMPTY_QUESTION"),
    (lambda app: ask(app, "x" * 5000), "QUESTION_TOO_LONG"),
    (lambda app: ask(app, "why?", "no_such_library"), "COLLECTION_NOT_FOUND"),
    (lambda app: ask(app, "why?", "bad name!"), "INVALID_COLLECTION"),
    (lambda app: ask(app, "why?", top_k=99), "INVALID_TOP_K"),
    (lambda app: ask(app, "why?", video_ids=["../../etc"]), "INVALID_VIDEO_ID"),
    (lambda app: app.get_video('x" or id != "'), "INVALID_VIDEO_ID"),
    (lambda app: app.get_video("0" * 32), "VIDEO_NOT_FOUND"),
    (lambda app: app.list_videos("nothing_here"), "COLLECTION_NOT_FOUND"),
    (lambda app: app.list_videos("lectures", page_token="zz"), "INVALID_PAGE_TOKEN"),
    (lambda app: app.list_videos("lectures", page_size=5000), "INVALID_PAGE_SIZE"),
    (lambda app: app.start_indexing(MediaSource(path="/etc/passwd"), "x"), "PATH_OUTSIDE_MEDIA_ROOTS"),
    (lambda app: app.start_indexing(MediaSource(content=b"abc"), "x"), "INLINE_MEDIA_NOT_SUPPORTED"),
    (lambda app: app.start_indexing(MediaSource(url="ftp://x"), "x"), "INVALID_URL"),
    (lambda app: app.start_indexing(MediaSource(url="https://e.example/v"), "x", clip_length=1), "INVALID_CLIP_LENGTH"),
    (lambda app: app.start_indexing(MediaSource(), "x"), "MEDIA_MISSING"),
])
async def test_bad_inputs_get_clear_errors(app, indexed, call, reason):
    with pytest.raises(errors.OptivusError) as err:
        await call(app)
    assert err.value.reason == reason, err.value.message

