"""Builds a tiny, randomly initialised OpenAudio S1 checkpoint (the DualAR
text-to-semantic model and the modded DAC codec) for tests and the
benchmark: the real fish_speech code runs on it on CPU in seconds. Its
speech is noise; its shapes are the real model's.

python -m optivus_testing.fish FOLDER"""

from __future__ import annotations

import base64
import json
import sys
from pathlib import Path

from optivus_fish import torchaudio_shim
from optivus_fish.checkpoint import CODEC_CONFIG, codec_config

# The codec's semantic codebook: the text-to-semantic model must know as
# many semantic tokens.
SEMANTIC_CODEBOOK = 4096
RESIDUAL_CODEBOOKS = 9
RESIDUAL_CODEBOOK_SIZE = 1024


def _special_tokens(n_ranks: int) -> dict[str, int]:
    from fish_speech.tokenizer import ALL_SPECIAL_TOKENS, SEMANTIC_TOKEN_TEMPLATE

    named = [t for t in ALL_SPECIAL_TOKENS if not t.startswith("<|semantic:")]
    semantic = [SEMANTIC_TOKEN_TEMPLATE.format(i=i) for i in range(SEMANTIC_CODEBOOK)]
    return {token: n_ranks + i for i, token in enumerate(named + semantic)}


def _write_tokenizer(folder: Path) -> int:
    """A byte-level tiktoken (256 ranks) plus the special tokens; returns the vocabulary size."""
    ranks = "".join(f"{base64.b64encode(bytes([i])).decode()} {i}\n" for i in range(256))
    (folder / "tokenizer.tiktoken").write_text(ranks)
    special = _special_tokens(256)
    (folder / "special_tokens.json").write_text(json.dumps(special, indent=1))
    return 256 + len(special)


def _write_text_model(folder: Path, vocab_size: int, seed: int) -> None:
    import torch
    from fish_speech.models.text2semantic.llama import (
        DualARModelArgs,
        DualARTransformer,
    )
    from fish_speech.tokenizer import FishTokenizer

    config = DualARModelArgs(
        vocab_size=vocab_size, n_layer=2, n_head=4, dim=64, intermediate_size=128, head_dim=16,
        # generate_long refuses a prompt longer than max_seq_len - 2048.
        max_seq_len=4096, codebook_size=SEMANTIC_CODEBOOK, num_codebooks=1 + RESIDUAL_CODEBOOKS,
        n_fast_layer=1, fast_dim=64, fast_n_head=4, fast_head_dim=16, fast_intermediate_size=128,
        use_gradient_checkpointing=False,
    )
    config.save(folder / "config.json")
    torch.manual_seed(seed)
    model = DualARTransformer(config, tokenizer=FishTokenizer.from_pretrained(str(folder)))
    torch.save(model.state_dict(), folder / "model.pth")


def _shrink_codec_config(folder: Path):
    cfg = codec_config(folder.parent / "__packaged__")  # the packaged OpenAudio S1 config
    cfg.encoder_dim = 8
    cfg.decoder_dim = 32
    cfg.encoder_transformer_layers = [0, 0, 0, 0]
    cfg.decoder_transformer_layers = [0, 0, 0, 0]
    latent = cfg.encoder_dim * 2 ** len(cfg.encoder_rates)
    q = cfg.quantizer
    q.input_dim = latent
    q.semantic_codebook_size = SEMANTIC_CODEBOOK
    q.n_codebooks = RESIDUAL_CODEBOOKS
    q.codebook_size = RESIDUAL_CODEBOOK_SIZE
    # The YAML anchors become two independent copies in OmegaConf: shrink both.
    for module in (q.pre_module, q.post_module):
        module.input_dim = latent
        module.config.update({"n_layer": 1, "n_head": 2, "dim": 32, "head_dim": 16, "intermediate_size": 64,
                              "block_size": 1024})
    return cfg


def _write_codec(folder: Path, seed: int) -> None:
    import torch
    from hydra.utils import instantiate
    from omegaconf import OmegaConf

    cfg = _shrink_codec_config(folder)
    OmegaConf.save(cfg, folder / CODEC_CONFIG)
    torch.manual_seed(seed)
    codec = instantiate(cfg)
    torch.save(codec.state_dict(), folder / "codec.pth")


def build(folder: Path, seed: int = 0) -> Path:
    torchaudio_shim.install()
    folder.mkdir(parents=True, exist_ok=True)
    vocab = _write_tokenizer(folder)
    _write_text_model(folder, vocab, seed)
    _write_codec(folder, seed)
    return folder



# The tiny model rarely emits its end token: every sentence runs to this
# many semantic frames (2048 samples at 44.1 kHz each, about 1.4 s).
TINY_TOKENS = 30
_engines: dict[str, object] = {}


def settings_for(media_dir: Path, model_cache: Path, model: str, **overrides):
    """FishSettings for tests: media under media_dir, no downloads, short generations."""
    from optivus_fish.config import FishSettings

    values = dict(data_dir=media_dir, path_video=media_dir / "videos", fs_path=media_dir / "fs_audio",
                  model_cache=model_cache, model=model, max_new_tokens=TINY_TOKENS, download=False,
                  max_text_chars=2000)
    values.update(overrides)
    return FishSettings(**values)


def loaded_engines(settings):
    """Fish (tiny checkpoint) and Piper, loaded once per process: importing
    fish_speech and loading take seconds."""
    from optivus_fish.engine_choice import Engines

    key = f"{settings.model}:{settings.engine}"
    if key not in _engines:
        engines = Engines(settings)
        engines.load()
        _engines[key] = engines
    return _engines[key]


if __name__ == "__main__":
    print(build(Path(sys.argv[1])))
