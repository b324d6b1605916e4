"""Prometheus metrics: a registry of their own, every series present from the start."""

from __future__ import annotations

from prometheus_client import REGISTRY

from wirewatch import __version__
from wirewatch.delivery.destinations import Destination
from wirewatch.observability.metrics import Metrics

NAMES = [
    "wirewatch_polls_total",
    "wirewatch_fetch_duration_seconds_bucket",
    "wirewatch_items_parsed_total",
    "wirewatch_matches_total",
    "wirewatch_alerts_created_total",
    "wirewatch_stories_merged_total",
    "wirewatch_deliveries_total",
    "wirewatch_delivery_duration_seconds_bucket",
    "wirewatch_outbox_depth",
    "wirewatch_outbox_oldest_pending_seconds",
    "wirewatch_notifier_up",
    "wirewatch_feeds_failing",
    "wirewatch_feeds_silent",
    "wirewatch_config_reloads_total",
    "wirewatch_build_info",
    "process_cpu_seconds_total",
    "process_resident_memory_bytes",
    "python_info",
    "python_gc_collections_total",
]


def _text(metrics: Metrics) -> str:
    return metrics.render()[0].decode()


def test_render_contains_every_metric() -> None:
    """A fresh Metrics renders each metric the issue lists."""
    text = _text(Metrics(notifiers=["hook"]))

    assert [] == [name for name in NAMES if name not in text]


def test_render_gives_the_prometheus_content_type() -> None:
    """The content type is Prometheus text."""
    assert Metrics().render()[1].startswith("text/plain; version=")


def test_label_values_exist_at_zero() -> None:
    """Every outcome, kind and result is a series at 0 before anything happens."""
    text = _text(Metrics(notifiers=["hook"]))

    for line in [
        'wirewatch_polls_total{outcome="not_modified"} 0.0',
        'wirewatch_matches_total{kind="actor"} 0.0',
        'wirewatch_deliveries_total{notifier="hook",outcome="dead"} 0.0',
        'wirewatch_outbox_depth{notifier="hook",state="failed"} 0.0',
        'wirewatch_notifier_up{notifier="hook"} 1.0',
        'wirewatch_config_reloads_total{result="failed"} 0.0',
    ]:
        assert line in text


def test_helpers_count_and_observe() -> None:
    """poll() and delivery() count by outcome and feed their latency histograms."""
    metrics = Metrics()

    metrics.poll("failed")
    metrics.poll("ok", 0.3)
    metrics.delivery("hook", "delivered", 0.2)
    metrics.match("place", 3)
    metrics.reload("ok")
    text = _text(metrics)

    for line in [
        'wirewatch_polls_total{outcome="failed"} 1.0',
        "wirewatch_fetch_duration_seconds_count 1.0",
        'wirewatch_deliveries_total{notifier="hook",outcome="delivered"} 1.0',
        'wirewatch_delivery_duration_seconds_sum{notifier="hook"} 0.2',
        'wirewatch_matches_total{kind="place"} 3.0',
        'wirewatch_config_reloads_total{result="ok"} 1.0',
    ]:
        assert line in text


def test_each_instance_has_its_own_registry() -> None:
    """Two Metrics never share counts, and the global registry stays untouched."""
    first, second = Metrics(), Metrics()

    first.alerts_created.inc()

    assert "wirewatch_alerts_created_total 1.0" in _text(first)
    assert "wirewatch_alerts_created_total 0.0" in _text(second)
    assert None is REGISTRY.get_sample_value("wirewatch_alerts_created_total")


def test_build_info_carries_the_version() -> None:
    """wirewatch_build_info has the package version as a label."""
    assert f'version="{__version__}"' in _text(Metrics())


def test_no_created_series() -> None:
    """The *_created timestamp series are switched off."""
    assert "_created_created" not in _text(Metrics())
    assert "wirewatch_polls_created" not in _text(Metrics())


def test_destinations_set_depth_age_and_up_by_notifier() -> None:
    """One reading of destination health sets each notifier's depth by state, age and up."""
    metrics = Metrics()
    failing = Destination("down", "failing", pending=3, failed=1, oldest_pending_seconds=42.5)
    healthy = Destination("fine", "ok", dead=2)

    metrics.destinations({"down": failing, "fine": healthy})
    text = _text(metrics)

    for line in [
        'wirewatch_outbox_depth{notifier="down",state="pending"} 3.0',
        'wirewatch_outbox_depth{notifier="down",state="failed"} 1.0',
        'wirewatch_outbox_depth{notifier="fine",state="dead"} 2.0',
        'wirewatch_outbox_oldest_pending_seconds{notifier="down"} 42.5',
        'wirewatch_outbox_oldest_pending_seconds{notifier="fine"} 0.0',
        'wirewatch_notifier_up{notifier="down"} 0.0',
        'wirewatch_notifier_up{notifier="fine"} 1.0',
    ]:
        assert line in text


def test_operations_doc_lists_exactly_the_metrics_that_exist() -> None:
    """docs/operations.md's metrics table names every wirewatch_* metric exported, and no
    other."""
    import re
    from pathlib import Path

    doc = (Path(__file__).resolve().parents[2] / "docs" / "operations.md").read_text("utf-8")
    table = doc.split("### Metrics", 1)[1].split("Example queries", 1)[0]
    documented = set(re.findall(r"^\| `(wirewatch_[a-z_]+)`", table, re.MULTILINE))
    exported = {
        family.name + ("_total" if family.type == "counter" else "")
        for family in Metrics(notifiers=["hook"]).registry.collect()
        if family.name.startswith("wirewatch_")
    }
    exported = {"wirewatch_build_info" if n == "wirewatch_build" else n for n in exported}
    assert exported == documented
