"""VideoRAG at scale, on Milvus Lite in this process (no LLM).

1. Retrieval latency (the question embedded by all-MiniLM-L6-v2, then
   every route: dense, BM25, graph with one hop, fusion, the clips read
   back) at 1k, 10k and 100k chunks, p50 and p95 over --queries questions,
   and the process's memory at the largest size. The bulk rows are
   synthetic (sentences drawn from a word list, random unit vectors, and
   one entity mention and relation per chunk): latency depends on row
   counts, not on meaning. Goal: p95 under 100 ms at 100k.
2. Index time per minute of video and where it goes (transcribe: Whisper
   base; describe: scene detection + RapidOCR; embed; graph; write), on
   the lecture corpus (optivus_testing.lectures), built once into --work.

    .venv/bin/python bench/videorag_scale.py [--sizes 1000,10000,100000] [--queries 50] [--work /tmp/vr-bench]
"""

from __future__ import annotations

import argparse
import asyncio
import resource
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np

WORDS = ("cell energy river empire planet star valve pressure ocean crust printing press light sugar oxygen king "
         "revolution army mountain volcano heart blood artery galaxy gravity wave paper ink metal letter book "
         "city trade market law court tax bread harvest storm rain wind coast island bridge tower engine").split()


def rss_mb() -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def fill(app, library: str, start: int, count: int, rng: np.random.Generator) -> None:
    """Synthetic chunks (and their clips, entities, relations) up to start+count."""
    store, dim = app.store, app.models.embedder.dim
    batch = 2000
    for offset in range(start, start + count, batch):
        n = min(batch, start + count - offset)
        video_of = [f"{(offset + i) // 100:032x}" for i in range(n)]
        vectors = rng.standard_normal((n, dim)).astype(np.float32)
        vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
        texts = [" ".join(rng.choice(WORDS, 40)) + "." for _ in range(n)]
        ids = [f"{v}:{(offset + i) % 100}:0" for i, v in enumerate(video_of)]
        store.insert(library, "chunks", [{"id": cid, "video_id": v, "clip_index": (offset + i) % 100,
                                          "start": 30.0 * ((offset + i) % 100), "end": 30.0 * ((offset + i) % 100 + 1),
                                          "text": t, "vector": vec.tolist()}
                                         for i, (cid, v, t, vec) in enumerate(zip(ids, video_of, texts, vectors))])
        store.insert(library, "clips", [{"id": cid.rsplit(":", 1)[0], "video_id": v, "clip_index": (offset + i) % 100,
                                         "start": 0.0, "end": 30.0, "text": t, "vector": [0.0, 0.0]}
                                        for i, (cid, v, t) in enumerate(zip(ids, video_of, texts))])
        keys = [f"{rng.choice(WORDS)} {rng.choice(WORDS)}" for _ in range(n)]
        store.insert(library, "entities", [{"id": f"{v}:e{offset + i}", "video_id": v, "key": k, "name": k,
                                            "mentions": 1, "chunk_ids": cid, "vector": vec.tolist()}
                                           for i, (v, k, cid, vec) in enumerate(zip(video_of, keys, ids, vectors))])
        store.insert(library, "relations", [{"id": f"{v}:r{offset + i}", "video_id": v, "source": k,
                                             "target": keys[i - 1], "weight": 1.0, "description": "", "chunk_ids": cid,
                                             "vector": [0.0, 0.0]}
                                            for i, (v, k, cid) in enumerate(zip(video_of, keys, ids))])


async def latency(app, library: str, questions: list[str]) -> tuple[float, float]:
    times = []
    for q in questions:
        started = time.perf_counter()
        answer = app.query(q, library, top_k=5)
        await anext(answer)  # the clips come out together, once retrieval is done; the answer is not timed
        times.append((time.perf_counter() - started) * 1000)
        await answer.aclose()
    times.sort()
    return statistics.median(times), times[min(len(times) - 1, int(round(0.95 * (len(times) - 1))))]


async def scale(args) -> None:
    from optivus_testing.videorag import make_app
    from optivus_videorag.embedding import LocalEmbedder

    folder = Path(tempfile.mkdtemp(prefix="vr-scale-"))
    app = make_app(folder, embedder=LocalEmbedder("", "cpu"))
    app.store.create_library("scale")
    rng = np.random.default_rng(0)
    questions = [" ".join(rng.choice(WORDS, 8)) + "?" for _ in range(args.queries)]
    have = 0
    print(f"{'chunks':>8} {'routes':<18} {'p50 ms':>8} {'p95 ms':>8} {'RSS MB':>8}")
    for size in args.sizes:
        started = time.perf_counter()
        fill(app, "scale", have, size - have, rng)
        app.store.seal("scale")
        have = size
        load_s = time.perf_counter() - started
        for name, hybrid, graph in (("dense (default)", False, False), ("dense+bm25+graph", True, True)):
            app.settings.hybrid, app.settings.graph = hybrid, graph
            await latency(app, "scale", questions[:3])  # warm up
            p50, p95 = await latency(app, "scale", questions)
            print(f"{size:>8} {name:<18} {p50:>8.1f} {p95:>8.1f} {rss_mb():>8.0f}   (rows written and sealed in "
                  f"{load_s:.0f} s)", flush=True)
    app.store.close()


async def index_time(args) -> None:
    from optivus_common.media import MediaSource
    from optivus_testing.lecture_corpus import build_corpus, read_lectures
    from optivus_testing.videorag import make_app
    from optivus_videorag.app import IndexRequest
    from optivus_videorag.embedding import LocalEmbedder

    work = Path(args.work)
    built = build_corpus(work / "videos")
    contents, timings = read_lectures(built, work, work / "models", "base", cache=work / "contents-base.json")
    app = make_app(Path(tempfile.mkdtemp(prefix="vr-index-")), embedder=LocalEmbedder("", "cpu"), media_roots=[work])
    totals = {"embed_s": 0.0, "graph_s": 0.0, "write_s": 0.0}
    for b in built:
        await app.index_content(IndexRequest(contents[b.key], MediaSource(path=str(b.video)), "bench", "", b.title,
                                             30.0))
        for k in totals:
            totals[k] += app.last_timings[k]
    minutes = sum(b.duration for b in built) / 60
    parts = {"transcribe": timings.transcribe_s, "describe": timings.describe_s, "embed": totals["embed_s"],
             "graph": totals["graph_s"], "write": totals["write_s"]}
    total = sum(parts.values())
    print(f"\nindexing {minutes:.1f} min of video: {total / minutes:.1f} s per minute of video")
    for name, seconds in parts.items():
        print(f"  {name:<10} {seconds / minutes:6.2f} s/min  ({100 * seconds / total:4.1f} %)")
    app.store.close()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="1000,10000,100000", type=lambda v: [int(x) for x in v.split(",")])
    parser.add_argument("--queries", default=50, type=int)
    parser.add_argument("--work", default=str(Path(tempfile.gettempdir()) / "optivus-videorag-bench"))
    parser.add_argument("--skip-index", action="store_true")
    args = parser.parse_args()
    asyncio.run(scale(args))
    if not args.skip_index:
        asyncio.run(index_time(args))


if __name__ == "__main__":
    main()
