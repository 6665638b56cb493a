"""Prometheus metrics of a run (prometheus_client, a registry of its own): counters and states read
from the pipeline at each scrape, stage latencies as histograms observed as they happen."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from prometheus_client import CollectorRegistry, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector

from stream.sources.runner import SourceState

PREFIX = "fashion_stream"
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


class RunCollector(Collector):
    """Reads the run's counters and states when Prometheus scrapes (nothing to keep in step)."""

    def __init__(self, status: Callable[[], dict[str, Any]]) -> None:
        self.status = status

    def collect(self) -> Iterator[Any]:
        status = self.status()
        sources = status["sources"]
        counters = {"frames_read": "frames read from the source", "frames_processed": "frames through every stage",
                    "frames_dropped": "frames dropped (queue full on a live source, or capture overflow)",
                    "outages": "times the source was lost", "reconnects": "reconnect attempts"}
        for key, text in counters.items():
            family = CounterMetricFamily(f"{PREFIX}_{key}", text, labels=["source"])
            for source, values in sources.items():
                family.add_metric([source], values[key])
            yield family
        state = GaugeMetricFamily(f"{PREFIX}_source_state", "1 for the state the source is in", labels=["source", "state"])
        for source, values in sources.items():
            for name in (s.value for s in SourceState):
                state.add_metric([source, name], 1.0 if values["state"] == name else 0.0)
        yield state
        for key, text in (("people", "people in view"), ("garments", "garments in view")):
            gauge = GaugeMetricFamily(f"{PREFIX}_{key}_active", text, labels=["source"])
            for source, values in sources.items():
                gauge.add_metric([source], values[key])
            yield gauge
        yield GaugeMetricFamily(f"{PREFIX}_queue_depth", "frames waiting for the detector", value=status["queue_depth"])
        failed = GaugeMetricFamily(f"{PREFIX}_sink_failed", "1 when the sink has failed", labels=["sink"])
        for sink, error in status["sinks"].items():
            failed.add_metric([sink], 1.0 if error else 0.0)
        yield failed


class RunMetrics:
    """The registry `/metrics` serves."""

    def __init__(self, status: Callable[[], dict[str, Any]]) -> None:
        self.registry = CollectorRegistry()
        self.registry.register(RunCollector(status))
        self.latency = Histogram(f"{PREFIX}_stage_latency_seconds", "latency of a pipeline stage", ["stage"],
                                 buckets=LATENCY_BUCKETS, registry=self.registry)

    def observe(self, stage: str, seconds: float) -> None:
        """One latency sample (`RunStats` observer)."""
        self.latency.labels(stage).observe(seconds)

    def exposition(self) -> bytes:
        """The text format Prometheus scrapes."""
        return generate_latest(self.registry)
