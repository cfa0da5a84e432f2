"""The blob store against a real nats-server of its own (the test freezes it)."""

from __future__ import annotations

import asyncio
import os
import signal

import nats
import pytest

from optivus_common.blobs import BlobStore
from optivus_common.errors import NotFound, Unavailable
from optivus_testing.stack import Nats

pytestmark = pytest.mark.integration


@pytest.fixture
async def server(tmp_path):
    server = Nats(tmp_path / "nats")
    server.start()
    yield server
    server.proc.send_signal(signal.SIGCONT)
    server.stop()


async def test_a_download_that_stops_coming_is_given_up_and_the_file_removed(server, tmp_path):
    nc = await nats.connect(server.url)
    try:
        blobs = BlobStore(nc.jetstream(), "stall", stall_s=1.0)
        data = os.urandom(64 * 1024 * 1024)
        key = await blobs.put_bytes(data, "big.bin")
        assert (await blobs.get_to_file(key, tmp_path / "whole")).read_bytes() == data

        dest = tmp_path / "stalled"
        download = asyncio.create_task(blobs.get_to_file(key, dest))
        while not dest.exists() or dest.stat().st_size == 0:  # the transfer has begun
            await asyncio.sleep(0.001)
        server.proc.send_signal(signal.SIGSTOP)  # the server sends nothing more, the connection stays open
        with pytest.raises(Unavailable) as raised:
            await download
        assert raised.value.reason == "BLOB_STALLED" and raised.value.retryable
        assert not dest.exists()
        server.proc.send_signal(signal.SIGCONT)
        with pytest.raises(NotFound):
            await blobs.get_to_file("missing.bin", tmp_path / "missing")
    finally:
        await nc.close()
