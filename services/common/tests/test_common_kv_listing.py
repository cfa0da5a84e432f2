"""kv_listing.entries against a real nats-server: live entries only, by
key filter, in the order they were written, and every one of many."""

from __future__ import annotations

import secrets

import nats
import pytest

from optivus_common import kv_listing

pytestmark = pytest.mark.integration


async def test_live_entries_by_filter_in_write_order(nats_urls):
    nc = await nats.connect(nats_urls[0])
    try:
        js = nc.jetstream()
        bucket = "list" + secrets.token_hex(4)
        kv = await js.create_key_value(bucket=bucket, history=1)
        await kv.put("id.b", b"first")
        await kv.put("id.a", b"second")
        await kv.put("name.x", b"other kind")
        await kv.put("id.c", b"gone")
        await kv.delete("id.c")
        await kv.put("id.b", b"rewritten")
        found = await kv_listing.entries(js, bucket, "id.>")
        assert [(e.key, e.value) for e in found] == [("id.a", b"second"), ("id.b", b"rewritten")]
        assert found[0].revision < found[1].revision
        assert {e.key for e in await kv_listing.entries(js, bucket)} == {"id.a", "id.b", "name.x"}

        for i in range(600):  # more than one fetch's worth
            await kv.put(f"many.{i:04d}", b"x")
        assert len(await kv_listing.entries(js, bucket, "many.>")) == 600
        assert await kv_listing.entries(js, bucket, "none.>") == []
        assert (await js.consumers_info(f"KV_{bucket}")) == []  # its reader is gone
        await js.delete_key_value(bucket)
    finally:
        await nc.close()
