"""VideoRAG test support: a word-hashing embedder (test only: vectors from
the words of a text, so that texts sharing words are close) for fast
tests of the real application layer on a real Milvus Lite folder, a
tiny random CLIP checkpoint for the visual code path, and contents whose
clips are known."""

from __future__ import annotations

import contextlib
import hashlib
import re
from pathlib import Path

import numpy as np

from optivus_videorag.clips import Scene, Segment, VideoContent, Word

_WORD = re.compile(r"[a-z0-9]+")


class HashEmbedder:
    """Bag of hashed words, normalised. Not a language model: a test
    double with the embedder's interface (name, dim, max_tokens,
    count_tokens, embed)."""

    name = "test-hash"

    def __init__(self, dim: int = 512) -> None:
        self.dim = dim
        self.max_tokens = 256

    def count_tokens(self, text: str) -> int:
        return len(text.split())

    def _bucket(self, word: str) -> int:
        return int.from_bytes(hashlib.blake2b(word.encode(), digest_size=4).digest(), "little") % self.dim

    def embed(self, texts) -> np.ndarray:
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for i, text in enumerate(texts):
            for word in _WORD.findall(text.lower()):
                if len(word) > 2:
                    out[i, self._bucket(word.rstrip("s"))] += 1.0
            norm = np.linalg.norm(out[i])
            out[i] = out[i] / norm if norm else out[i]
            if not norm:
                out[i, 0] = 1.0
        return out


def spoken(start: float, text: str, seconds_per_word: float = 0.4) -> Segment:
    """A segment with a word every `seconds_per_word` from `start`."""
    words = tuple(Word(start + i * seconds_per_word, start + (i + 0.8) * seconds_per_word, w)
                  for i, w in enumerate(text.split()))
    return Segment(start, start + len(words) * seconds_per_word, text, words)


def lecture(topic: str, facts: list[str], slide: str, clip: float = 30.0) -> VideoContent:
    """One fact said per clip (at its start), a slide over the whole video."""
    segments = [spoken(i * clip + 1, fact) for i, fact in enumerate(facts)]
    length = clip * len(facts)
    return VideoContent(segments=segments, scenes=[Scene(0.0, length, "", slide)], duration=length)


def tiny_clip(folder: Path, seed: int = 0) -> Path:
    """A CLIP with random weights (a few thousand parameters) and a small
    word-level tokenizer, saved with save_pretrained: the visual code path
    runs through the production loading code on it."""
    import torch
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import (CLIPConfig, CLIPImageProcessor, CLIPModel, CLIPProcessor, CLIPTextConfig,
                              CLIPTokenizerFast, CLIPVisionConfig)

    torch.manual_seed(seed)
    specials = ["<|startoftext|>", "<|endoftext|>"]
    tok = Tokenizer(models.BPE(unk_token="<|endoftext|>", end_of_word_suffix="</w>"))
    tok.pre_tokenizer = pre_tokenizers.Whitespace()
    tok.decoder = decoders.BPEDecoder(suffix="</w>")
    trainer = trainers.BpeTrainer(vocab_size=120, special_tokens=specials, end_of_word_suffix="</w>")
    tok.train_from_iterator(["a red square", "a blue circle", "what is shown on the slide", "green chart text"],
                            trainer)
    tokenizer = CLIPTokenizerFast(tokenizer_object=tok, bos_token=specials[0], eos_token=specials[1],
                                  unk_token=specials[1], pad_token=specials[1], model_max_length=16)
    words = tok.get_vocab()
    config = CLIPConfig(
        text_config=CLIPTextConfig(vocab_size=len(words), hidden_size=32, intermediate_size=64, num_hidden_layers=1,
                                   num_attention_heads=2, max_position_embeddings=16, eos_token_id=1,
                                   bos_token_id=0, pad_token_id=1).to_dict(),
        vision_config=CLIPVisionConfig(hidden_size=32, intermediate_size=64, num_hidden_layers=1,
                                       num_attention_heads=2, image_size=32, patch_size=8).to_dict(),
        projection_dim=16)
    model = CLIPModel(config)
    images = CLIPImageProcessor(size={"shortest_edge": 32}, crop_size={"height": 32, "width": 32})
    CLIPProcessor(image_processor=images, tokenizer=tokenizer).save_pretrained(folder)
    model.save_pretrained(folder)
    return folder


class FakeJobs:
    """The application layer's Jobs port without a pipeline: records what
    was submitted; `states` says what state() answers per job id."""

    def __init__(self) -> None:
        self.submitted: list[dict] = []
        self.cancelled: list[str] = []
        self.states: dict[str, tuple[str, str]] = {}

    async def submit_index(self, source, library, video_id, clip_length, title) -> str:
        job_id = f"{len(self.submitted):032x}"
        self.submitted.append({"source": source, "library": library, "video_id": video_id,
                               "clip_length": clip_length, "title": title, "job_id": job_id})
        self.states[job_id] = ("queued", "")
        return job_id

    async def state(self, job_id: str):
        return self.states.get(job_id)

    async def cancel(self, job_id: str) -> None:
        self.cancelled.append(job_id)
        self.states[job_id] = ("cancelled", "")


def make_app(data_dir: Path, embedder=None, jobs=None, **settings):
    """The real application layer on a Milvus Lite folder under data_dir,
    with `embedder` (default HashEmbedder), every retrieval route on
    (keyword and graph too) and no LLM or visual model, unless `settings`
    say otherwise."""
    from optivus_common.media import MediaResolver
    from optivus_videorag import entities
    from optivus_videorag.app import VideoRagApp
    from optivus_videorag.config import VideoRagSettings
    from optivus_videorag.models import NO_VISUAL_MODEL, Models
    from optivus_videorag.server import open_store

    settings = {"hybrid": True, "graph": True, **settings}
    config = VideoRagSettings(data_dir=data_dir, path_video=data_dir / "videos", fs_path=data_dir / "fs_audio",
                              **settings)
    visual = None
    if config.visual_model:
        from optivus_videorag.visual import VisualEmbedder

        visual = VisualEmbedder(config.visual_model, "cpu")
    models = Models(embedder or HashEmbedder(), entities.extract, "deterministic", visual,
                    "" if visual else NO_VISUAL_MODEL)
    return VideoRagApp(config, open_store(config, models), models, MediaResolver(config), jobs)


@contextlib.asynccontextmanager
async def videorag_stack(nats_url: str, data_dir: Path):
    """The videorag service in this process as it runs in production, but
    with the test embedder: its gRPC servicer on a free loopback port, its
    index stage worker, and fake transcribe/describe workers
    (optivus_testing.fake_stages), on a fresh pipeline in `nats_url`.
    Yields (address, app, nc)."""
    import asyncio

    import nats

    from optivus.videorag.v1 import videorag_service_pb2_grpc as pb_grpc
    from optivus_common.jobs import names
    from optivus_common.jobs.stage_worker import StageWorker
    from optivus_common.registry import VIDEORAG
    from optivus_common.server import Registration, start_server
    from optivus_videorag.pipeline import PipelineJobs, index_handler
    from optivus_videorag.servicer import VideoRagServicer

    from .fake_stages import FAST, FakeStages, stage_workers

    nc = await nats.connect(nats_url)
    js = nc.jetstream()
    for stream in (names.WORK_STREAM, names.EVENTS_STREAM, "KV_" + names.JOBS_BUCKET, "OBJ_" + names.RESULTS_BUCKET):
        with contextlib.suppress(Exception):
            await js.delete_stream(stream)
    jobs = PipelineJobs(nc)
    await jobs.start()
    app = make_app(data_dir, jobs=jobs)
    running = await start_server(app.settings, [Registration(pb_grpc.add_VideoRagServiceServicer_to_server,
                                                             VideoRagServicer(app), VIDEORAG.grpc_service)],
                                 domain=VIDEORAG.domain, address="127.0.0.1:0")
    await running.set_serving(True)
    stop = asyncio.Event()
    worker = StageWorker(nc, "index", index_handler(app, jobs), VIDEORAG.domain, FAST)
    task = asyncio.create_task(worker.run(stop))
    try:
        await asyncio.wait_for(worker.ready.wait(), 30)
        async with stage_workers(nc, FakeStages()):
            yield f"127.0.0.1:{running.port}", app, nc
    finally:
        stop.set()
        await task
        await running.stop(None)
        app.store.close()
        await nc.close()
