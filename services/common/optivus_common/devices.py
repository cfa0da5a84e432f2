"""Which device a model runs on: the setting ("auto", "cpu", "cuda"), with
"auto" meaning CUDA when the model's own runtime sees a GPU."""

from __future__ import annotations

from collections.abc import Callable


def torch_has_cuda() -> bool:
    import torch

    return torch.cuda.is_available()


def pick_device(setting: str, cuda_available: Callable[[], bool] = torch_has_cuda) -> str:
    if setting == "auto":
        return "cuda" if cuda_available() else "cpu"
    return setting
