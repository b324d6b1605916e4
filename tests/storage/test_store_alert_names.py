"""Contract: an alert keeps its feed's configured name and its entities' display names."""

from __future__ import annotations

from dataclasses import replace

from tests.storage.storecase import FEED_A, alerting, batch, item, polled_once, verdict
from wirewatch.storage import Store


async def test_feed_name_and_labels_reach_the_delivered_alert(store: Store) -> None:
    """The batch's feed name and the verdict's labels are in the alert each delivery sends,
    and in its source."""
    await polled_once(store)
    named = replace(verdict(), labels=(("homs", "Homs city"),))
    await store.ingest(replace(batch(alerting(item("a1"), named)), feed_name="Reuters World"))
    [row] = await store.list_deliveries()
    assert ("Reuters World", FEED_A) == (row.alert.feed_name, row.alert.item.feed)
    assert "Homs city" == row.alert.label_of("homs")
    assert ["Reuters World"] == [s.feed_name for s in row.alert.sources]
