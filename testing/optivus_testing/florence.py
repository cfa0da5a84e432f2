"""Florence test and benchmark support: a tiny
Florence-2 built from scratch (config, a small locally trained tokenizer,
a processor with its post_processor_config, save_pretrained) and media
with known content (rendered text, videos with known scenes).

The tiny model starts from random weights and is then fitted for a few
hundred steps to a handful of (task, answer) pairs, so that a test can
check exact outputs through the production loading and post-processing
code, not only their shape."""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

from .media import ffmpeg

# What the fitted tiny model answers for TINY_IMAGE (200 x 100, red).
TINY_IMAGE_SIZE = (200, 100)
TINY_IMAGE_COLOUR = (200, 30, 30)
TINY_PHRASE = "a red car"
TINY_ANSWERS = {
    "<CAPTION>": "a red car",
    "<DETAILED_CAPTION>": "a red car on a road",
    "<MORE_DETAILED_CAPTION>": "The image shows a red car.",
    "<OCR>": "STOP",
    "<OCR_WITH_REGION>": "STOP<loc_10><loc_20><loc_300><loc_20><loc_300><loc_400><loc_10><loc_400>",
    "<OD>": "car<loc_100><loc_200><loc_500><loc_800>",
    "<DENSE_REGION_CAPTION>": "red car<loc_100><loc_200><loc_500><loc_800>",
    "<CAPTION_TO_PHRASE_GROUNDING>": "a red car<loc_0><loc_0><loc_999><loc_999>",
}
# Florence-2's own post_processor_config (processor_config.json).
POST_PROCESSOR_CONFIG = {
    "ocr": {"pattern": r"(.+?)<loc_(\d+)><loc_(\d+)><loc_(\d+)><loc_(\d+)><loc_(\d+)><loc_(\d+)><loc_(\d+)><loc_(\d+)>",
            "area_threshold": 0.0},
    "phrase_grounding": {"banned_grounding_tokens": ["the image"]},
    "pure_text": {}, "description_with_bboxes": {}, "description_with_polygons": {}, "polygons": {},
    "bboxes": {}, "description_with_bboxes_or_polygons": {},
}
_SPECIAL_TOKENS = ["<image>", "<od>", "</od>", "<ocr>", "</ocr>", "<poly>", "</poly>", "<sep>"]


def tiny_image() -> Image.Image:
    return Image.new("RGB", TINY_IMAGE_SIZE, TINY_IMAGE_COLOUR)


# Text the tiny tokenizer learns its merges from (any other word still
# tokenizes, byte by byte).
_CORPUS = [
    "What is the text in the image, with regions?", "What does the image describe?",
    "Describe in detail what is shown in the image.", "Describe with a paragraph what is shown in the image.",
    "Locate the objects with category name in the image.", "Locate the objects in the image, with their descriptions.",
    "Locate the phrases in the caption:",
]


def _tokenizer(answers: list[str]):
    from tokenizers import (
        Tokenizer,
        decoders,
        models,
        pre_tokenizers,
        processors,
        trainers,
    )
    from transformers import BartTokenizer

    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=400, special_tokens=["<s>", "<pad>", "</s>", "<unk>"],
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
    tok.train_from_iterator(_CORPUS + [a.split("<loc_")[0] for a in answers], trainer)
    tok.post_processor = processors.RobertaProcessing(("</s>", 2), ("<s>", 0))
    tok.add_special_tokens(["<mask>"])
    tok.add_tokens(_SPECIAL_TOKENS + [f"<loc_{i}>" for i in range(1000)])
    return BartTokenizer(tokenizer_object=tok, bos_token="<s>", eos_token="</s>", pad_token="<pad>",
                         unk_token="<unk>", mask_token="<mask>", cls_token="<s>", sep_token="</s>",
                         extra_special_tokens={"image_token": "<image>"})


def build_tiny_florence(folder: Path, steps: int = 300) -> Path:
    """Saves a tiny Florence-2 in `folder` (model, tokenizer, processor) and
    returns it. About 15 s on one CPU core."""
    import torch
    from transformers import (
        CLIPImageProcessorPil,
        Florence2Config,
        Florence2ForConditionalGeneration,
        Florence2Processor,
        GenerationConfig,
    )

    prompts = [task + (TINY_PHRASE if task == "<CAPTION_TO_PHRASE_GROUNDING>" else "") for task in TINY_ANSWERS]
    answers = list(TINY_ANSWERS.values())
    image_processor = CLIPImageProcessorPil(size={"height": 32, "width": 32}, do_center_crop=False,
                                            crop_size={"height": 32, "width": 32})
    # Two stages with strides 4 and 2 turn 32 x 32 pixels into 4 x 4 tokens, plus one.
    image_processor.image_seq_length = 17
    tokenizer = _tokenizer(answers)
    processor = Florence2Processor(image_processor=image_processor, tokenizer=tokenizer,
                                   post_processor_config=POST_PROCESSOR_CONFIG)
    config = Florence2Config(
        text_config={"model_type": "bart", "vocab_size": len(tokenizer), "max_position_embeddings": 128,
                     "encoder_layers": 1, "decoder_layers": 1, "encoder_ffn_dim": 32, "decoder_ffn_dim": 32,
                     "encoder_attention_heads": 2, "decoder_attention_heads": 2, "d_model": 16,
                     "bos_token_id": 0, "pad_token_id": 1, "eos_token_id": 2, "decoder_start_token_id": 2,
                     "forced_eos_token_id": 2, "dropout": 0.0},
        vision_config={"depths": [1, 1], "patch_size": [7, 3], "patch_stride": [4, 2], "patch_padding": [3, 1],
                       "patch_prenorm": [False, True], "embed_dim": [16, 16], "num_heads": [1, 1],
                       "num_groups": [1, 1], "window_size": 4, "projection_dim": 16, "drop_path_rate": 0.0},
        image_token_id=tokenizer.image_token_id,
    )
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # tiny tensors: more threads only contend
    try:
        torch.manual_seed(0)
        model = Florence2ForConditionalGeneration(config)
        model.generation_config = GenerationConfig(decoder_start_token_id=2, bos_token_id=0, eos_token_id=2,
                                                   pad_token_id=1, forced_eos_token_id=2)
        _fit(model, processor, prompts, answers, steps)
    finally:
        torch.set_num_threads(threads)
    folder.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(folder)
    processor.save_pretrained(folder)
    return folder


def _fit(model, processor, prompts: list[str], answers: list[str], steps: int) -> None:
    import torch

    inputs = processor(text=prompts, images=[tiny_image()] * len(prompts), return_tensors="pt", padding=True)
    labels = processor.tokenizer(answers, return_tensors="pt", padding=True).input_ids
    labels[labels == processor.tokenizer.pad_token_id] = -100
    optimizer = torch.optim.AdamW(model.parameters(), lr=3e-3)
    model.train()
    for _ in range(steps):
        model(**inputs, labels=labels).loss.backward()
        optimizer.step()
        optimizer.zero_grad()
    model.eval()


def font(size: int) -> ImageFont.FreeTypeFont:
    """Pillow's bundled FreeType font: no system fonts needed."""
    return ImageFont.load_default(size=size)


def render_text(lines: list[str], size: tuple[int, int] = (800, 240), background="white", colour="black",
                font_size: int = 44) -> Image.Image:
    image = Image.new("RGB", size, background)
    draw = ImageDraw.Draw(image)
    y = 30
    for line in lines:
        draw.text((30, y), line, fill=colour, font=font(font_size))
        y += int(font_size * 1.6)
    return image


def scene_video(path: Path, scenes: list[tuple[float, str, str]], size: tuple[int, int] = (640, 360),
                fps: int = 25, noise: int = 12) -> Path:
    """An H.264 MP4 of static scenes, each (seconds, background colour,
    text), with temporal noise so that no two frames are identical."""
    inputs, labels = [], []
    for i, (seconds, colour, text) in enumerate(scenes):
        still = path.with_name(f"{path.stem}.scene{i}.png")
        render_text([text], size=size, background=colour, colour="white" if colour != "white" else "black",
                    font_size=size[1] // 6).save(still)
        inputs += ["-loop", "1", "-framerate", str(fps), "-t", f"{seconds}", "-i", str(still)]
        labels.append(f"[{i}:v]")
    graph = "".join(labels) + f"concat=n={len(scenes)}:v=1:a=0,noise=alls={noise}:allf=t,format=yuv420p[v]"
    ffmpeg(*inputs, "-filter_complex", graph, "-map", "[v]", "-r", str(fps), "-c:v", "libx264",
           "-preset", "veryfast", str(path))
    for i in range(len(scenes)):
        path.with_name(f"{path.stem}.scene{i}.png").unlink()
    return path


def escaping_playlist(playlist: Path, outside: Path) -> Path:
    """An HLS playlist at `playlist` whose one segment is a real video in
    `outside`, named by an absolute file:// URL: FFmpeg's HLS demuxer
    would read it from anywhere. Returns the segment's path."""
    outside.mkdir(parents=True, exist_ok=True)
    segment = outside / "secret.ts"
    ffmpeg("-f", "lavfi", "-i", "testsrc=size=160x120:rate=10:duration=2", "-c:v", "libx264",
           "-pix_fmt", "yuv420p", "-f", "mpegts", str(segment))
    playlist.write_text("#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:3\n#EXTINF:3.0,\n"
                        f"file://{segment.resolve()}\n#EXT-X-ENDLIST\n")
    return segment


def colour_video(path: Path, scenes: list[tuple[str, float]], size: tuple[int, int] = (160, 90), fps: int = 10) -> Path:
    """A small H.264 MP4 of plain-colour scenes, each (colour, seconds):
    a scene change at every change of colour, cheap enough for fast tests."""
    inputs = []
    for colour, seconds in scenes:
        inputs += ["-f", "lavfi", "-i", f"color=c={colour}:s={size[0]}x{size[1]}:r={fps}:d={seconds}"]
    graph = "".join(f"[{i}:v]" for i in range(len(scenes))) + f"concat=n={len(scenes)}:v=1:a=0,format=yuv420p[v]"
    ffmpeg(*inputs, "-filter_complex", graph, "-map", "[v]", "-c:v", "libx264", "-preset", "ultrafast", str(path))
    return path


def fast_video(path: Path, fps: int, seconds: float = 1, size: tuple[int, int] = (16, 16)) -> Path:
    """A tiny video of `fps` frames a second: cheap to store, every frame decoded."""
    ffmpeg("-f", "lavfi", "-i", f"color=c=red:s={size[0]}x{size[1]}:r={fps}:d={seconds}", "-c:v", "libx264",
           "-preset", "ultrafast", "-pix_fmt", "yuv420p", str(path))
    return path


def flicker_video(path: Path, seconds: float = 6, fps: int = 30, size: tuple[int, int] = (64, 36)) -> Path:
    """Black and white frames in turn: every frame is a scene change."""
    ffmpeg("-f", "lavfi", "-i", f"color=c=black:s={size[0]}x{size[1]}:r={fps}:d={seconds}",
           "-vf", r"geq=lum='if(mod(N\,2)\,255\,0)':cb=128:cr=128,format=yuv420p",
           "-c:v", "libx264", "-preset", "ultrafast", str(path))
    return path


def animation(path: Path, frames: int, fmt: str, size: tuple[int, int] = (64, 64)) -> Path:
    """An animated GIF or PNG of `frames` distinct frames (a red dot that
    moves over white), palette images, so that saving them is quick."""
    images = []
    for i in range(frames):
        image = Image.new("P", size, 0)
        image.putpalette([255, 255, 255, 255, 0, 0])
        image.putpixel((i % size[0], (i // size[0]) % size[1]), 1)
        images.append(image)
    images[0].save(path, fmt, save_all=True, append_images=images[1:], duration=20, loop=0, optimize=False)
    return path


def icon_holding(picture: Image.Image, claimed: tuple[int, int] = (16, 16)) -> bytes:
    """An .ico whose directory claims a small icon but whose one entry is
    `picture` as a PNG: its header lies about its size."""
    import io
    import struct

    buf = io.BytesIO()
    picture.save(buf, "PNG")
    png = buf.getvalue()
    header = struct.pack("<HHH", 0, 1, 1)
    entry = struct.pack("<BBBBHHII", claimed[0] % 256, claimed[1] % 256, 0, 0, 1, 32, len(png), 6 + 16)
    return header + entry + png


class FakeVisionEngine:
    """Stands in for VisionEngine where a test is about the application
    layer or the servicer, not the model: no weights are loaded. It serves
    `tasks` (all of them on "florence2" by default), answers each image with
    its size and the colour of its centre pixel, and records each
    describe() call as (task, phrase, [image sizes]). `fail` makes
    describe() raise it; while `gate` is set but not open, describe() waits
    for it (`entered` tells that one is waiting)."""

    def __init__(self, tasks: dict | None = None, batch_size: int = 4, loaded: bool = True) -> None:
        import threading

        from optivus_florence.results import Engine, Task

        self._tasks = dict(tasks) if tasks is not None else {task: Engine.FLORENCE2 for task in Task}
        self.batch_size = batch_size
        self.loaded = loaded
        self.calls: list[tuple] = []
        self.fail: Exception | None = None
        self.gate: threading.Event | None = None
        self.entered = threading.Event()
        self.florence_model = "fake-florence" if Task.CAPTION in self._tasks else ""
        self.florence_reason = "" if self.florence_model else "no weights in this test"
        self.device = "cpu"

    def load(self) -> None:
        self.loaded = True

    def capabilities(self) -> dict:
        return dict(self._tasks)

    def default_task(self):
        from optivus_florence.results import DEFAULT_TASK, Task

        return DEFAULT_TASK if DEFAULT_TASK in self._tasks else Task.OCR

    def plan(self, task, phrase: str = ""):
        from optivus_common.errors import FailedPrecondition, InvalidArgument, still_loading
        from optivus_florence.engine import Plan
        from optivus_florence.results import Task

        if not self.loaded:
            raise still_loading("vision model")
        warning = ""
        if task is None:
            task = self.default_task()
            warning = "" if self.florence_model else "OCR text rather than a caption; set AI_FLORENCE_MODEL"
        if task not in self._tasks:
            raise FailedPrecondition(f"the {task.name} task needs Florence-2 (AI_FLORENCE_MODEL)",
                                     reason="FLORENCE_UNAVAILABLE", setting="AI_FLORENCE_MODEL")
        if task is Task.CAPTION_TO_PHRASE_GROUNDING and not phrase.strip():
            raise InvalidArgument("CAPTION_TO_PHRASE_GROUNDING needs a phrase to ground", reason="PHRASE_MISSING")
        return Plan(task, self._tasks[task], phrase.strip(), warning)

    def describe(self, images: list, plan) -> list:
        from optivus_florence.results import Description

        self.calls.append((plan.task, plan.phrase, [image.size for image in images]))
        self.entered.set()
        if self.gate is not None:
            self.gate.wait()
        if self.fail is not None:
            raise self.fail
        return [Description(plan.task, plan.engine, f"{image.width}x{image.height} "
                            f"{image.getpixel((image.width // 2, image.height // 2))}", image.width, image.height,
                            warning=plan.warning)
                for image in images]
