"""Attributes of the stand-in: every one is a callable that records the
attempt and raises, so nothing can use torchaudio silently."""

from __future__ import annotations

# Every name that was called, in order; a test asserts this stays empty
# through real inference.
attempts: list[str] = []


class TorchaudioNotAvailable(RuntimeError):
    pass


class Missing:
    def __init__(self, name: str) -> None:
        self._name = name

    def __call__(self, *args, **kwargs):
        attempts.append(self._name)
        raise TorchaudioNotAvailable(
            f"{self._name}() was called, but the Optivus fish service runs with an import-only "
            "torchaudio stand-in (PyPI's torchaudio does not load beside this torch)")

    def __getattr__(self, item: str):
        if item.startswith("__"):
            raise AttributeError(item)
        return Missing(f"{self._name}.{item}")

    def __repr__(self) -> str:
        return f"<missing {self._name}>"


def module_getattr(prefix: str):
    def __getattr__(name: str):
        if name.startswith("__"):
            raise AttributeError(name)
        return Missing(f"{prefix}.{name}")
    return __getattr__
