"""With OPTIVUS_NATS_URL set, a download also lands in the object store
(a real nats-server with JetStream), so other machines can read it."""

from __future__ import annotations

from pathlib import Path

import pytest
from dlp_fixtures import dlp_settings, site, site_root  # noqa: F401 - fixtures
from dlp_stub import media_stub

from optivus.media.v1 import media_service_pb2 as pb
from optivus_common.blobs import blob_store_from_settings

pytestmark = pytest.mark.integration


async def test_download_is_stored_as_a_blob(dlp_settings, site, nats_urls, tmp_path):
    settings = dlp_settings(nats_url=nats_urls[0], blob_bucket="dlp-test")
    async with blob_store_from_settings(settings) as blobs:
        async with media_stub(settings, blobs) as stub:
            replies = [r async for r in stub.Download(pb.DownloadRequest(urls=[site.url("clip.mp4")]))]
        done = replies[-1].file
        assert done.media.WhichOneof("source") == "blob_key"
        assert done.media.blob_key == Path(done.path).name
        fetched = await blobs.get_to_file(done.media.blob_key, tmp_path / "fetched.mp4")
    original = (site.root / "clip.mp4").read_bytes()
    assert fetched.read_bytes() == original
    assert Path(done.path).read_bytes() == original
