"""What yt-dlp runs with here: its version, the JavaScript runtimes it
finds in the service's own configuration (YouTube's extraction needs one to
solve its challenges), the challenge scripts (yt-dlp-ejs) and the
proof-of-origin token plugin."""

from __future__ import annotations

import importlib.metadata
import importlib.util
import os
from dataclasses import dataclass

from yt_dlp.version import __version__ as YT_DLP_VERSION

POT_PLUGIN_MODULE = "yt_dlp_plugins.extractor.getpot_bgutil_http"


@dataclass(frozen=True)
class JsRuntime:
    name: str
    version: str
    # False when the version found is older than yt-dlp supports.
    supported: bool


@dataclass(frozen=True)
class Capabilities:
    yt_dlp_version: str
    # The runtimes enabled (OPTIVUS_DLP_JS_RUNTIMES) and found.
    js_runtimes: tuple[JsRuntime, ...]
    # yt-dlp-ejs's version; empty when it is not installed.
    ejs_version: str
    cookies_file_set: bool
    pot_provider_set: bool
    pot_plugin_installed: bool


def js_runtime_params(names: list[str]) -> dict[str, dict]:
    """yt-dlp's js_runtimes parameter: deno from the deno package when it
    is installed (the dlp extra), the others looked up as yt-dlp does."""
    # deno would otherwise look for a new release of itself on the network
    # (yt-dlp hands it this process's environment).
    os.environ.setdefault("DENO_NO_UPDATE_CHECK", "1")
    params: dict[str, dict] = {}
    for name in names:
        params[name] = {}
        if name == "deno" and importlib.util.find_spec("deno") is not None:
            import deno

            params[name] = {"path": deno.find_deno_bin()}
    return params


def found_runtimes(ydl) -> tuple[JsRuntime, ...]:
    """The runtimes a YoutubeDL built with the service's parameters finds
    (runs each one's --version)."""
    found = []
    for runtime in ydl._js_runtimes.values():
        info = runtime.info if runtime is not None else None
        if info is not None:
            found.append(JsRuntime(info.name, info.version, bool(info.supported)))
    return tuple(found)


def ejs_version() -> str:
    try:
        return importlib.metadata.version("yt-dlp-ejs")
    except importlib.metadata.PackageNotFoundError:
        return ""


def pot_plugin_installed() -> bool:
    try:
        return importlib.util.find_spec(POT_PLUGIN_MODULE) is not None
    except ModuleNotFoundError:
        return False


__all__ = ["YT_DLP_VERSION", "Capabilities", "JsRuntime", "ejs_version", "found_runtimes", "js_runtime_params",
           "pot_plugin_installed"]
