"""The pure pieces: clips from transcript and scenes, token chunks,
entities and relations, reciprocal-rank fusion, citations."""

from __future__ import annotations

import pytest

from optivus_testing.videorag import HashEmbedder, spoken
from optivus_videorag.app import video_id_for
from optivus_videorag.answer import cited, extractive, label, mmss
from optivus_videorag.chunks import chunk_clip
from optivus_videorag.clips import Clip, Scene, Segment, VideoContent, cut, spans
from optivus_videorag.entities import entity_key, extract, phrases
from optivus_videorag.graph import build, parse_graph
from optivus_videorag.retrieve import ClipHit, clip_of, fuse


def test_spans_cover_the_video_and_a_short_tail_joins_the_last_clip():
    assert spans(94, 30) == [(0, 30), (30, 60), (60, 94)]
    assert spans(96, 30) == [(0, 30), (30, 60), (60, 90), (90, 96)]
    assert spans(4, 30) == [(0, 4)]
    assert spans(0, 30) == []


def test_clips_merge_words_scenes_and_screen_text_by_time():
    content = VideoContent(
        segments=[spoken(1, "first we talk about cells"), spoken(31, "then about atoms")],
        scenes=[Scene(0, 20, "a man at a board", "CELLS"), Scene(20, 60, "", "ATOMS AND MOLECULES")],
        duration=60)
    first, second = cut(content, 30)
    assert (first.start, first.end, second.start, second.end) == (0, 30, 30, 60)
    assert first.speech == "first we talk about cells"
    assert first.seen == ["a man at a board"] and first.on_screen == ["CELLS", "ATOMS AND MOLECULES"]
    assert second.speech == "then about atoms" and second.on_screen == ["ATOMS AND MOLECULES"]
    assert first.text.splitlines() == ["first we talk about cells", "Seen: a man at a board.",
                                       "On screen: CELLS. ATOMS AND MOLECULES."]


def test_a_segment_without_word_times_goes_to_the_clip_of_its_middle_and_silence_makes_no_clip():
    content = VideoContent(segments=[Segment(25, 40, "spoken across the cut")], duration=120)
    (clip,) = cut(content, 30)
    assert clip.index == 1 and clip.speech == "spoken across the cut"
    assert cut(VideoContent(duration=60, scenes=[Scene(0, 60, "", "")]), 30) == []


def test_chunks_stay_inside_their_clip_and_under_the_token_limit():
    clip = Clip(3, 90, 120, " ".join(f"Sentence number {i} is here." for i in range(40)), [], [])
    chunks = chunk_clip("v" * 32, clip, 50, lambda t: len(t.split()))
    assert len(chunks) > 1 and all(len(c.text.split()) <= 50 for c in chunks)
    assert all((c.clip_index, c.start, c.end) == (3, 90, 120) for c in chunks)
    assert [c.chunk_id for c in chunks][:2] == ["v" * 32 + ":3:0", "v" * 32 + ":3:1"]
    assert " ".join(c.text for c in chunks) == clip.text


def test_noun_phrases_and_keys():
    assert phrases("Napoleon crowned himself emperor in 1804.") == ["Napoleon", "emperor", "1804"]
    assert phrases("Chloroplasts hold chemical energy in the cell.") == ["Chloroplasts", "chemical energy",
                                                                         "energy", "cell"]
    assert entity_key("Mitochondria's Membranes") == "mitochondria membrane"
    assert entity_key("The Cities") == "the city"


def test_entities_and_relations_of_a_chunk():
    entities, relations = extract("Napoleon crowned himself emperor in 1804. Napoleon lost at Waterloo.")
    keys = [e.key for e in entities]
    assert keys[0] == "napoleon" and {"emperor", "1804", "waterloo"} <= set(keys)
    pairs = {(r.source, r.target) for r in relations}
    assert ("emperor", "napoleon") in pairs and ("napoleon", "waterloo") in pairs
    assert ("emperor", "waterloo") not in pairs  # never in one sentence


def test_entities_merge_across_chunks_of_a_video():
    from optivus_videorag.chunks import Chunk

    chunks = [Chunk(f"v:{i}:0", "v", i, 0, 1, text) for i, text in
              enumerate(["Volcanoes erupt magma.", "Magma cools into basalt.", "Basalt is dark."])]
    entities, relations = build(chunks, extract)
    magma = next(e for e in entities if e.key == "magma")
    assert magma.mentions == 2 and magma.chunk_ids == ["v:0:0", "v:1:0"]
    assert any((r.source, r.target) == ("basalt", "magma") for r in relations)


def test_llm_graph_answers_are_parsed_or_refused():
    ents, rels = parse_graph('Sure! {"entities": [{"name": "Marie Curie"}, "radium"], '
                             '"relations": [{"source": "Marie Curie", "target": "Radium", "description": "found"}]}')
    assert [e.key for e in ents] == ["marie curie", "radium"]
    assert [(r.source, r.target) for r in rels] == [("marie curie", "radium")]
    assert parse_graph("no json here") is None and parse_graph("{not json}") is None


def test_fusion_adds_the_other_routes_scaled_to_the_dense_cosine():
    routes = {"dense": {("a", 1): 0.60, ("a", 2): 0.58, ("c", 0): 0.30},
              "keyword": {("a", 2): 12.0, ("c", 0): 6.0}, "graph": {("b", 0): 3.0}}
    weights = {"dense": 1.0, "keyword": 0.1, "graph": 0.1}
    hits = fuse(routes, 4, weights)
    assert [(h.video_id, h.clip_index) for h in hits] == [("a", 2), ("a", 1), ("c", 0), ("b", 0)]
    assert hits[0].sources == ["dense", "keyword"] and abs(hits[0].score - 0.68) < 1e-6
    assert abs(hits[2].score - 0.35) < 1e-6 and abs(hits[3].score - 0.1) < 1e-6
    assert [(h.video_id, h.clip_index) for h in fuse(routes, 2, {"dense": 1.0, "keyword": 0.0, "graph": 0.0})] == [
        ("a", 1), ("a", 2)]
    assert clip_of("abc:12:3") == ("abc", 12)


def test_times_labels_and_citations():
    assert mmss(75.4) == "01:15" and mmss(3725) == "1:02:05"
    hit = ClipHit("v", 2, 0.1, start=60, end=90, title="Talk")
    assert label(1, hit) == "[1] Talk, 01:00-01:30"
    assert cited("A [2]. B [1] and [2] again, [9] is not a clip.", 3) == [1, 0]


def test_extractive_answer_picks_the_closest_sentence_and_cites_its_clip():
    embedder = HashEmbedder()
    hits = [ClipHit("v", 0, 0.2, text="Cells divide by mitosis every day. The weather was fine."),
            ClipHit("v", 1, 0.1, text="Ribosomes build proteins from amino acids.")]
    question = "Which organelles build proteins?"
    answer, order = extractive(question, embedder.embed([question])[0], hits, embedder.embed)
    assert answer.startswith("Ribosomes build proteins from amino acids. [1]")
    assert order[0] == 1


@pytest.mark.parametrize("empty", [[], [ClipHit("v", 0, 0.1, text="Hi.")]])
def test_extractive_answer_without_sentences(empty):
    embedder = HashEmbedder()
    answer, order = extractive("why?", embedder.embed(["why?"])[0], empty, embedder.embed)
    assert answer and (order == [] if not empty else order == [0])


def test_video_ids_are_per_library_and_content():
    assert video_id_for("a", "sha256:1") != video_id_for("b", "sha256:1")
    assert len(video_id_for("a", "url:https://x")) == 32
