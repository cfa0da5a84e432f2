"""With OPTIVUS_NATS_URL set, a download also lands in the object store
(a real nats-server with JetStream), so other machines can read it; when
the store refuses it, the download stands, with a warning."""

from __future__ import annotations

from pathlib import Path

import pytest
from dlp_stub import media_stub, url_refs

from optivus.media.v1 import media_service_pb2 as pb
from optivus_common.blobs import blob_store_from_settings
from optivus_testing.dlp_site import files_under

pytestmark = pytest.mark.integration


async def test_download_is_stored_as_a_blob(dlp_settings, site, nats_urls, tmp_path):
    settings = dlp_settings(nats_url=nats_urls[0], blob_bucket="dlp-test")
    async with media_stub(settings) as stub:
        replies = [r async for r in stub.Download(pb.DownloadRequest(sources=url_refs([site.url("clip.mp4")])))]
    done = replies[-1].file
    async with blob_store_from_settings(settings) as blobs:
        assert done.media.WhichOneof("source") == "blob_key" and done.warning == ""
        assert done.media.blob_key == Path(done.path).name
        fetched = await blobs.get_to_file(done.media.blob_key, tmp_path / "fetched.mp4")
    original = (site.root / "clip.mp4").read_bytes()
    assert fetched.read_bytes() == original
    assert Path(done.path).read_bytes() == original


async def test_a_failed_upload_keeps_the_file_and_warns(dlp_settings, site, nats_urls):
    """The bucket is too small for the file (OPTIVUS_BLOB_MAX_MB), so the store refuses it."""
    settings = dlp_settings(nats_url=nats_urls[0], blob_bucket="dlp-full", blob_max_mb=0.004)
    async with media_stub(settings) as stub:
        replies = [r async for r in stub.Download(pb.DownloadRequest(sources=url_refs([site.url("clip.mp4")])))]
    assert replies[-1].WhichOneof("response") == "file"
    done = replies[-1].file
    assert done.media.WhichOneof("source") == "path" and done.media.path == done.path
    assert "could not be stored in the object store" in done.warning
    assert files_under(settings.path_video) == [Path(done.path)]
    assert Path(done.path).read_bytes() == (site.root / "clip.mp4").read_bytes()
