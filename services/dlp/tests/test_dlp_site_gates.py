"""Per-site concurrency and backoff: a site that answers 429 (or a bot
check) waits, honouring its Retry-After, while other sites go on. The
backoff's clock is the test's own, so the tests look at the order and
number of requests the sites saw, never at how long anything took."""

from __future__ import annotations

import asyncio
import contextlib

import pytest
from fake_engine import FakeEngine

from optivus_common.errors import FailedPrecondition, Unavailable
from optivus_dlp.app import DlpApp, Downloaded, Failed
from optivus_dlp.engine import DlpEngine
from optivus_dlp.site_gates import SiteGates, site_of
from optivus_testing.dlp_site import MediaSite, wait_until


class TestClock:
    """Time stands still until the test advances it."""

    __test__ = False

    def __init__(self) -> None:
        self.t = 1000.0
        self.sleeps: list[float] = []
        self._moved = asyncio.Event()

    def now(self) -> float:
        return self.t

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        target = self.t + seconds
        while self.t < target:
            self._moved.clear()
            await self._moved.wait()

    def advance(self, seconds: float) -> None:
        self.t += seconds
        self._moved.set()


@pytest.mark.parametrize("url, site", [
    ("https://www.Example.com/watch?v=1", "example.com"), ("https://example.com:443/a", "example.com"),
    ("http://example.com:8080/a", "example.com:8080"), ("http://127.0.0.1:5000/x", "127.0.0.1:5000"),
    ("http://[::1]:81/x", "[::1]:81"), ("https://m.youtube.com/x", "m.youtube.com"),
])
def test_a_site_is_a_host_and_its_port(url, site):
    assert site_of(url) == site


async def test_a_rate_limited_site_waits_its_retry_after_while_another_is_served(dlp_settings, site_root):
    with MediaSite(site_root) as limited, MediaSite(site_root) as other:
        limited.limit_next, limited.retry_after = 1, "120"
        clock = TestClock()
        settings = dlp_settings(concurrency=1, site_concurrency=1)
        engine = DlpEngine(settings)
        engine.prepare()
        app = DlpApp(engine, settings, clock=clock)
        urls = [limited.url("limited/clip.mp4"), limited.url("limited/hls/index.m3u8"),
                other.url("clip.mp4"), other.url("hls/index.m3u8"), other.url("page.html")]
        done: dict[int, object] = {}
        waiting = True
        async with contextlib.aclosing(app.download(urls)) as events:
            async for event in events:
                if isinstance(event, (Downloaded, Failed)):
                    done[event.index] = event
                if waiting and sorted(done) == [0, 2, 3, 4]:
                    # Every other URL is served; the limited site's second is still waiting.
                    assert clock.sleeps == [120.0]
                    assert [h.path for h in limited.hits] == ["/limited/clip.mp4"]
                    clock.advance(120)
                    waiting = False
        assert isinstance(done[0], Failed) and done[0].error.reason == "RATE_LIMITED"
        assert all(isinstance(done[i], Downloaded) for i in (1, 2, 3, 4))
        # The limited site saw its second URL only after the other site had served everything.
        second = next(h for h in limited.hits if h.path == "/limited/hls/index.m3u8")
        assert second.started > max(h.ended for h in other.hits)
        assert limited.hits[0].path == "/limited/clip.mp4" and len(limited.hits_for("/limited/clip.mp4")) == 1


async def test_a_bot_check_backs_the_site_off_with_doubling_waits():
    clock = TestClock()
    gates = SiteGates(concurrency=2, backoff_s=30, max_backoff_s=100, clock=clock)
    bot = FailedPrecondition("prove it", reason="BOT_CHECK")
    for expected in (30, 60, 100, 100):  # doubles, up to the max
        gates.failed("a.example", bot)
        assert gates.backed_off() == {"a.example": expected}
        clock.advance(expected)
    gates.failed("a.example", Unavailable("slow down", reason="RATE_LIMITED", retry_after_s="7"))
    assert gates.backed_off() == {"a.example": 7}  # the site's own Retry-After wins
    clock.advance(7)
    gates.failed("a.example", Unavailable("server error", reason="REMOTE_UNAVAILABLE"))
    gates.failed("a.example", ValueError("a bug"))
    assert gates.backed_off() == {}  # other failures do not back a site off
    gates.succeeded("a.example")
    gates.failed("a.example", bot)
    assert gates.backed_off() == {"a.example": 30}  # a success ends the doubling


async def test_one_site_gets_at_most_its_share_of_fetches(dlp_settings):
    """Four held downloads from one site and one from another, with room
    for four at once: the first site runs two at a time, the other is not
    held up by it."""
    settings = dlp_settings(concurrency=4, site_concurrency=2)
    settings.path_video.mkdir(parents=True)
    engine = FakeEngine(settings.path_video)
    app = DlpApp(engine, settings)
    urls = [f"http://busy.example/held-{i}.mp4" for i in range(4)] + ["http://quiet.example/a.mp4"]
    async with contextlib.aclosing(app.download(urls)) as events:
        quiet = None
        async for event in events:
            if isinstance(event, Downloaded) and event.index == 4:
                quiet = event
                assert await asyncio.to_thread(wait_until, lambda: engine.running == 2)
                engine.gate.set()
    assert quiet is not None  # served while the busy site's downloads were held
    assert engine.peak_by_site == {"busy.example": 2, "quiet.example": 1}
