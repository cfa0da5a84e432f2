"""Headless Chromium for the gateway page's tests: Debian's `chromium`
(scripts/bootstrap.sh installs it) driven by playwright, whose own
browser download is never used."""

from __future__ import annotations

import contextlib
import shutil
from collections.abc import AsyncIterator

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--no-first-run", "--autoplay-policy=no-user-gesture-required"]


def chromium_path() -> str | None:
    return CHROMIUM if shutil.which(CHROMIUM) else None


@contextlib.asynccontextmanager
async def chromium() -> AsyncIterator[object]:
    """A playwright Browser."""
    from playwright.async_api import async_playwright

    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        try:
            yield browser
        finally:
            await browser.close()
