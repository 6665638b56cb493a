import threading
import time

import numpy as np

from stream.frame_queue import FrameQueue
from stream.frames import Frame


def _frame(source, index):
    return Frame(source, index, index / 10, time.time(), np.zeros((2, 2, 3), np.uint8), time.monotonic())


def test_block_policy_waits_and_loses_nothing():
    queue = FrameQueue(maxsize=2)
    received = []

    def produce():
        for i in range(20):
            assert queue.put(_frame("file", i), "block")

    producer = threading.Thread(target=produce)
    producer.start()
    while len(received) < 20:
        received += [f.index for f in queue.get_batch(3, 0.01)]
        time.sleep(0.005)  # a slow consumer
    producer.join(2)
    assert received == list(range(20))
    assert queue.dropped["file"] == 0


def test_drop_oldest_keeps_newest_frames_and_counts_drops():
    queue = FrameQueue(maxsize=3)
    for i in range(10):
        assert queue.put(_frame("cam", i), "drop_oldest")
    assert [f.index for f in queue.get_batch(10, 0)] == [7, 8, 9]
    assert queue.dropped["cam"] == 7


def test_drop_oldest_only_drops_its_own_source():
    queue = FrameQueue(maxsize=2)
    queue.put(_frame("file", 0), "block")
    queue.put(_frame("file", 1), "block")
    queue.put(_frame("cam", 0), "drop_oldest")  # queue full of another source's frames: the new one goes
    assert queue.dropped == {"cam": 1}
    assert [(f.source_id, f.index) for f in queue.get_batch(5, 0)] == [("file", 0), ("file", 1)]


def test_close_wakes_a_blocked_producer_and_drains():
    queue = FrameQueue(maxsize=1)
    queue.put(_frame("file", 0))
    result = {}
    producer = threading.Thread(target=lambda: result.setdefault("ok", queue.put(_frame("file", 1))))
    producer.start()
    time.sleep(0.1)
    queue.close()
    producer.join(2)
    assert not producer.is_alive() and result["ok"] is False
    assert [f.index for f in queue.get_batch(5, 0)] == [0]
    assert queue.get_batch(5, 0) == []
