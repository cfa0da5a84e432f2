"""VideoRAG answer quality on the lecture corpus (optivus_testing.lectures:
six narrated slide lectures, 37 paraphrased questions).

The videos are built once into --work (Piper narration, rendered slides),
read once with the real engines (Whisper with word times, scene detection
with RapidOCR; cached there), then indexed with the packaged
all-MiniLM-L6-v2 into Milvus Lite. Prints recall@1 and recall@3 of the
right clip and how often the answer contains the expected fact, for each
retrieval configuration (dense only, + BM25, + graph), extractive; and
with --llm (e.g. smollm2) the fact rate of the LLM's answers too.

    .venv/bin/python bench/videorag_eval.py [--work DIR] [--whisper base] [--llm smollm2] [--misses]
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from pathlib import Path

# (name, settings): the defaults last.
CONFIGS = (("dense", {"hybrid": False, "graph": False}),
           ("dense+bm25 (0.5)", {"hybrid": True, "graph": False, "keyword_weight": 0.5}),
           ("dense+graph (0.5)", {"hybrid": False, "graph": True, "graph_weight": 0.5}),
           ("dense+bm25+graph", {"hybrid": True, "graph": True, "keyword_weight": 0.2, "graph_weight": 0.05}),
           ("defaults", {"hybrid": False, "graph": False}))


async def run(args) -> None:
    from optivus_common.media import MediaSource
    from optivus_testing.lecture_corpus import build_corpus, evaluate, read_lectures
    from optivus_testing.videorag import make_app
    from optivus_videorag.app import IndexRequest
    from optivus_videorag.embedding import LocalEmbedder

    work = Path(args.work)
    built = build_corpus(work / "videos")
    contents, _ = read_lectures(built, work, work / "models", args.whisper,
                                cache=work / f"contents-{args.whisper}.json")
    minutes = sum(b.duration for b in built) / 60
    print(f"{len(built)} lectures, {minutes:.1f} min ({', '.join(f'{b.duration / 60:.1f}' for b in built)}), "
          f"transcripts by whisper {args.whisper}")
    embedder = LocalEmbedder(args.embedding, "cpu")
    app = make_app(Path(tempfile.mkdtemp(prefix="vr-eval-")), embedder=embedder, media_roots=[work])
    ids = {}
    for b in built:
        done = await app.index_content(IndexRequest(contents[b.key], MediaSource(path=str(b.video)), "lectures",
                                                    "", b.title, 30.0))
        ids[b.key] = done.video_id
    print(f"{'retrieval':<18} {'recall@1':>8} {'recall@3':>8} {'fact':>6}")
    for name, flags in CONFIGS if not args.llm_only else CONFIGS[-1:]:
        for key, value in flags.items():
            setattr(app.settings, key, value)
        figures = await evaluate(app, "lectures", ids, built)
        print(f"{name:<18} {figures.recall_at_1:>8.3f} {figures.recall_at_3:>8.3f} {figures.fact_rate:>6.3f}")
        if args.misses:
            for miss in figures.misses:
                print("   ", miss)
    if args.llm:
        from optivus_videorag.llm import LocalLlm

        app.models.llm = LocalLlm(args.llm, "cpu", 96)
        started = time.monotonic()
        figures = await evaluate(app, "lectures", ids, built)
        per = (time.monotonic() - started) / figures.questions
        print(f"with LLM {app.models.llm.name}: fact rate {figures.fact_rate:.3f} "
              f"(recall@3 {figures.recall_at_3:.3f}; {per:.1f} s per answer on CPU)")
        if args.misses:
            for miss in figures.misses:
                print("   ", miss)
    app.store.close()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--work", default=str(Path(tempfile.gettempdir()) / "optivus-videorag-bench"))
    parser.add_argument("--whisper", default="base")
    parser.add_argument("--embedding", default="", help="a sentence-transformers folder (default: packaged MiniLM)")
    parser.add_argument("--llm", default="", help='"smollm2" or a GGUF file / transformers folder')
    parser.add_argument("--llm-only", action="store_true", help="with --llm: the default retrieval only")
    parser.add_argument("--misses", action="store_true")
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
