"""The dynamic batcher: items from many threads share a batch, batches
keep to one key and to the size limit, errors reach every caller of the
batch, cancelled items are dropped. No timing asserts: a batch is held
open by a gate the test controls."""

from __future__ import annotations

import threading

import pytest

from optivus_whisper.batcher import DynamicBatcher


class GatedRun:
    """A batch function that records each batch and waits at a gate, so
    that the test decides what is queued while a batch runs."""

    def __init__(self) -> None:
        self.batches: list[list] = []
        self.started = threading.Semaphore(0)
        self.gate = threading.Event()

    def __call__(self, items):
        self.batches.append(list(items))
        self.started.release()
        assert self.gate.wait(30)
        if "boom" in items:
            raise ValueError("boom")
        return [f"done {item}" for item in items]


@pytest.fixture
def run():
    return GatedRun()


@pytest.fixture
def batcher(run):
    batcher = DynamicBatcher(run, max_batch=4, max_wait_s=0.0)
    yield batcher
    run.gate.set()
    batcher.close()


def test_items_queued_while_a_batch_runs_share_the_next_batch(batcher, run):
    first = batcher.submit("a")
    assert run.started.acquire(timeout=30)
    futures = []
    threads = [threading.Thread(target=lambda n=n: futures.append(batcher.submit(f"t{n}"))) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    run.gate.set()
    assert first.result(30) == "done a"
    assert sorted(f.result(30) for f in futures) == sorted(f"done t{n}" for n in range(6))
    assert [len(b) for b in run.batches] == [1, 4, 2]
    assert batcher.stats.batches == 3 and batcher.stats.items == 7 and batcher.stats.largest == 4


def test_a_batch_keeps_to_one_key_in_arrival_order(batcher, run):
    batcher.submit("hold", key="x")
    assert run.started.acquire(timeout=30)
    futures = [batcher.submit(name, key=key) for name, key in
               [("x1", "x"), ("y1", "y"), ("x2", "x"), ("y2", "y"), ("x3", "x")]]
    run.gate.set()
    for future in futures:
        future.result(30)
    assert run.batches == [["hold"], ["x1", "x2", "x3"], ["y1", "y2"]]


def test_an_error_fails_every_item_of_its_batch_only(batcher, run):
    batcher.submit("hold")
    assert run.started.acquire(timeout=30)
    doomed = [batcher.submit("boom"), batcher.submit("with boom")]
    run.gate.set()
    for future in doomed:
        with pytest.raises(ValueError, match="boom"):
            future.result(30)
    assert batcher.submit("after").result(30) == "done after"


def test_cancelled_items_are_dropped(batcher, run):
    batcher.submit("hold")
    assert run.started.acquire(timeout=30)
    gone = batcher.submit("gone")
    kept = batcher.submit("kept")
    assert gone.cancel()
    run.gate.set()
    assert kept.result(30) == "done kept"
    assert run.batches == [["hold"], ["kept"]]


def test_a_lone_item_runs_once_the_wait_is_over(run):
    run.gate.set()
    batcher = DynamicBatcher(run, max_batch=8, max_wait_s=0.01)
    try:
        assert batcher.submit("alone").result(30) == "done alone"
    finally:
        batcher.close()
