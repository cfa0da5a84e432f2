"""Florence-2 through transformers' native Florence2ForConditionalGeneration
and Florence2Processor: prompts from task tokens, batched generate(), and
the processor's own post-processing into text, boxes and quads."""

from __future__ import annotations

import logging
import threading
from pathlib import Path

from PIL import Image

from .model_files import ModelUnavailable
from .results import Description, Engine, Region, Task

log = logging.getLogger(__name__)


def _labels_text(labels: list[str], sep: str) -> str:
    return sep.join(label.strip() for label in labels if label and label.strip())


def parse(task: Task, answer, width: int, height: int) -> Description:
    """Turns post_process_generation's answer for `task` into a Description."""
    if isinstance(answer, str):
        return Description(task, Engine.FLORENCE2, answer.strip(), width, height)
    labels = [str(label) for label in answer.get("labels", [])]
    if "quad_boxes" in answer:
        regions = [Region(label.strip(), quad=tuple(float(v) for v in quad))
                   for quad, label in zip(answer["quad_boxes"], labels)]
        return Description(task, Engine.FLORENCE2, _labels_text(labels, "\n"), width, height, regions)
    scores = answer.get("scores") or [None] * len(labels)
    regions = [Region(label.strip(), box=tuple(float(v) for v in box), score=None if s is None else float(s))
               for box, label, s in zip(answer.get("bboxes", []), labels, scores)]
    return Description(task, Engine.FLORENCE2, _labels_text(labels, ", "), width, height, regions)


class Florence2:
    def __init__(self, model, processor, device: str, dtype, name: str, num_beams: int, max_new_tokens: int) -> None:
        self._model = model
        self._processor = processor
        self.device = device
        self._dtype = dtype
        self.name = name
        self._num_beams = num_beams
        self._max_new_tokens = max_new_tokens
        self._lock = threading.Lock()

    @classmethod
    def load(cls, path: Path, name: str, device: str, num_beams: int, max_new_tokens: int) -> Florence2:
        import torch
        from transformers import Florence2ForConditionalGeneration, Florence2Processor
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()  # progress bars would garble the JSON logs
        dtype = torch.float16 if device == "cuda" else torch.float32
        processor = Florence2Processor.from_pretrained(path)
        if not processor.post_processor_config:
            raise ModelUnavailable(f"{name} has no post_processor_config in its processor config: "
                                   "not a transformers-native Florence-2 checkpoint")
        model, info = Florence2ForConditionalGeneration.from_pretrained(path, dtype=dtype, output_loading_info=True)
        missing = [k for k in info.get("missing_keys", ()) if k != "lm_head.weight"]
        if missing or info.get("mismatched_keys"):
            raise ModelUnavailable(f"{name}: its weights do not fit Florence2ForConditionalGeneration "
                                   f"({len(missing)} missing, e.g. {missing[:1]}); is it a remote-code checkpoint?")
        model.to(device).eval()
        log.info("florence-2 loaded", extra={"model": name, "device": device, "dtype": str(dtype),
                                             "parameters": sum(p.numel() for p in model.parameters())})
        return cls(model, processor, device, dtype, name, num_beams, max_new_tokens)

    def describe(self, images: list[Image.Image], task: Task, phrase: str = "") -> list[Description]:
        """One generate() call for all `images`; the caller sizes the batch."""
        import torch

        prompt = task.value + (phrase.strip() if task is Task.CAPTION_TO_PHRASE_GROUNDING else "")
        processor = self._processor
        with self._lock, torch.inference_mode():
            inputs = processor(text=[prompt] * len(images), images=images, return_tensors="pt")
            generated = self._model.generate(
                input_ids=inputs["input_ids"].to(self.device),
                attention_mask=inputs["attention_mask"].to(self.device),
                pixel_values=inputs["pixel_values"].to(self.device, self._dtype),
                max_new_tokens=self._max_new_tokens, num_beams=self._num_beams, do_sample=False,
            )
        texts = processor.batch_decode(generated, skip_special_tokens=False)
        results = []
        for text, image in zip(texts, images):
            answer = processor.post_process_generation(text.replace("<pad>", ""), task=task.value,
                                                       image_size=(image.width, image.height))[task.value]
            results.append(parse(task, answer, image.width, image.height))
        return results
