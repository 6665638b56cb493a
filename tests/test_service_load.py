"""A bounded load test on loopback (the tiny model): 16 concurrent clients, then one at a time;
nothing lost, and the concurrent requests shared detector batches. Prints the table that
`python -m tools.load_service` prints (with 500 requests) for the README."""

from __future__ import annotations

from stream.io import format_table
from stream.service.core import TaggingService
from stream.service.settings import ServiceConfig
from tools.load_service import measure
from tools.make_checkpoint import make_checkpoint


def test_sixteen_clients_lose_nothing_and_share_batches(tmp_path):
    checkpoint = make_checkpoint(tmp_path / "yolos", favour={"shirt, blouse": 6.0, "pants": 6.0})
    config = ServiceConfig.model_validate({"detector": {"model": str(checkpoint)}, "attributes": None,
                                           "server": {"workers": 16, "batch_size": 8}})
    rows, batches, _ = measure(lambda: TaggingService(config), requests=160, clients=16, size=(240, 320))
    print(format_table(["run", "clients", "sent", "answered", "lost", "req/s", "p50 ms", "p95 ms"], rows), batches)
    concurrent, sequential = rows
    assert concurrent[3] == concurrent[2] == 160 and concurrent[4] == 0, "every request answered"
    assert sequential[4] == 0
    calls = sum(batches.values())
    assert sum(size * n for size, n in batches.items()) == 160
    assert calls <= 160 / 2, f"concurrent requests share detector calls: {batches}"
