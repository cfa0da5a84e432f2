from __future__ import annotations

import ipaddress
import urllib.parse
from pathlib import Path

from pydantic import Field, field_validator
from pydantic_settings import NoDecode
from typing_extensions import Annotated

from optivus_common.settings import CommonSettings

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
JS_RUNTIMES = ("deno", "node", "bun", "quickjs")


class DlpSettings(CommonSettings):
    service_name: str = "optivus-dlp"
    host: str = Field("127.0.0.1", validation_alias="OPTIVUS_DLP_HOST")
    port: int = Field(50055, validation_alias="OPTIVUS_DLP_PORT")
    # yt-dlp format selector. Sites with separate audio and video streams get
    # both, merged by ffmpeg; others fall back to the best single file.
    format: str = Field("bestvideo*+bestaudio/best", validation_alias="OPTIVUS_DLP_FORMAT")
    # Containers for merged streams, first compatible one wins.
    merge_format: str = Field("mp4/mkv", validation_alias="OPTIVUS_DLP_MERGE_FORMAT")
    # Downloads (and, separately, metadata look-ups) that run at once, over
    # all calls; further URLs wait for a slot.
    concurrency: int = Field(4, ge=1, validation_alias="OPTIVUS_DLP_CONCURRENCY")
    info_concurrency: int = Field(8, ge=1, validation_alias="OPTIVUS_DLP_INFO_CONCURRENCY")
    max_urls: int = Field(32, ge=1, validation_alias="OPTIVUS_DLP_MAX_URLS")
    # 0 means no limit. Enforced from the metadata before downloading, on the
    # bytes while downloading, and on the finished file.
    max_file_mb: float = Field(2048, ge=0, validation_alias="OPTIVUS_DLP_MAX_FILE_MB")
    max_duration_s: float = Field(4 * 3600, ge=0, validation_alias="OPTIVUS_DLP_MAX_DURATION_S")
    # The most yt-dlp reads of one page, playlist, key or error body (after
    # decompression): such bodies are read whole into memory. Media the
    # downloaders write to disk is bounded by max_file_mb instead.
    max_page_mb: float = Field(32, gt=0, validation_alias="OPTIVUS_DLP_MAX_PAGE_MB")
    # Networks that may be fetched although they are loopback, private,
    # link-local or otherwise not public, as CIDRs separated by ",".
    allowed_networks: Annotated[list[Network], NoDecode] = Field(
        default_factory=list, validation_alias="OPTIVUS_DLP_ALLOWED_NETWORKS")
    # A Netscape cookies file handed to yt-dlp (read only: never written
    # back); its values never reach the log or a reply.
    cookies_file: Path | None = Field(None, validation_alias="OPTIVUS_DLP_COOKIES_FILE")
    # Base URL of a bgutil-ytdlp-pot-provider HTTP server (the proof-of-origin
    # token provider; its yt-dlp plugin comes with the dlp-pot extra). Empty: none.
    pot_provider_url: str = Field("", validation_alias="OPTIVUS_DLP_POT_PROVIDER_URL")
    # JavaScript runtimes yt-dlp may use (YouTube needs one), comma-separated,
    # in order of preference: deno, node, bun, quickjs. deno comes with the
    # dlp extra; the others are looked up on PATH.
    js_runtimes: Annotated[list[str], NoDecode] = Field(
        default_factory=lambda: ["deno"], validation_alias="OPTIVUS_DLP_JS_RUNTIMES")
    # Fetches of one site (host) at once, look-ups and downloads together.
    site_concurrency: int = Field(2, ge=1, validation_alias="OPTIVUS_DLP_SITE_CONCURRENCY")
    # After a 429 without Retry-After or a bot check, a site's next fetches
    # wait this long, doubled for each such answer in a row, up to the max
    # (which also caps a site's Retry-After).
    site_backoff_s: float = Field(30.0, ge=0, validation_alias="OPTIVUS_DLP_SITE_BACKOFF_S")
    site_backoff_max_s: float = Field(600.0, ge=0, validation_alias="OPTIVUS_DLP_SITE_BACKOFF_MAX_S")
    # Proxy URL for every request (http://, https:// or socks5://); empty
    # uses the HTTP(S)_PROXY environment variables, as yt-dlp does.
    proxy: str = Field("", validation_alias="OPTIVUS_DLP_PROXY")
    socket_timeout_s: float = Field(20.0, gt=0, validation_alias="OPTIVUS_DLP_SOCKET_TIMEOUT_S")
    retries: int = Field(3, ge=0, validation_alias="OPTIVUS_DLP_RETRIES")
    # Finished downloads in PATH_VIDEO (only the service's own names,
    # dlp-<time>-<hex>.<ext>: no other file there is touched) are removed
    # once older than this (0: no age limit) ...
    retention_hours: float = Field(24.0, ge=0, validation_alias="OPTIVUS_DLP_RETENTION_HOURS")
    # ... and, oldest first, while together they take more than this (0: no
    # size limit). Checked at start, every few minutes and after each
    # download (the newest is kept).
    retention_mb: float = Field(4096.0, ge=0, validation_alias="OPTIVUS_DLP_RETENTION_MB")
    # Least time between two progress events of one URL.
    progress_interval_s: float = Field(0.5, ge=0, validation_alias="OPTIVUS_DLP_PROGRESS_INTERVAL_S")

    @field_validator("allowed_networks", mode="before")
    @classmethod
    def _split_networks(cls, value):
        if isinstance(value, str):
            value = [part.strip() for part in value.split(",") if part.strip()]
        return [ipaddress.ip_network(v, strict=False) if isinstance(v, str) else v for v in value]

    @field_validator("js_runtimes", mode="before")
    @classmethod
    def _split_runtimes(cls, value):
        if isinstance(value, str):
            value = [part.strip().lower() for part in value.split(",") if part.strip()]
        unknown = [v for v in value if v not in JS_RUNTIMES]
        if unknown:
            raise ValueError(f"unknown JavaScript runtime(s) {', '.join(unknown)}; known: {', '.join(JS_RUNTIMES)}")
        return value

    @field_validator("pot_provider_url")
    @classmethod
    def _provider_url(cls, value: str):
        value = value.strip().rstrip("/")
        if value:
            parts = urllib.parse.urlsplit(value)
            if parts.scheme not in ("http", "https") or not parts.hostname or parts.query or parts.fragment:
                raise ValueError("OPTIVUS_DLP_POT_PROVIDER_URL must be an http(s) base URL such as "
                                 "http://127.0.0.1:4416")
        return value

    @field_validator("cookies_file", mode="before")
    @classmethod
    def _empty_is_none(cls, value):
        return None if value == "" else value

    @property
    def max_file_bytes(self) -> int | None:
        return int(self.max_file_mb * 1024 * 1024) if self.max_file_mb else None

    @property
    def max_page_bytes(self) -> int:
        return max(1, int(self.max_page_mb * 1024 * 1024))

    @property
    def max_duration(self) -> float | None:
        return self.max_duration_s or None

    @property
    def partial_dir(self) -> Path:
        """Per-download working folders; same filesystem as PATH_VIDEO so that
        the finished file moves in with a rename."""
        return self.path_video / ".dlp-partial"
