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


def test_each_source_has_its_own_lane_and_drops_only_its_own_frames():
    queue = FrameQueue(maxsize=2)
    queue.put(_frame("file", 0), "block")
    queue.put(_frame("file", 1), "block")
    for i in range(3):
        queue.put(_frame("cam", i), "drop_oldest")  # the file's full lane does not push the camera out
    assert queue.dropped == {"cam": 1}
    assert sorted((f.source_id, f.index) for f in queue.get_batch(5, 0)) == [("cam", 1), ("cam", 2), ("file", 0), ("file", 1)]


def test_a_lossless_file_cannot_starve_a_camera():
    """Regression: with one shared FIFO a blocking file source kept it full, and a camera in the
    same run got 50 of 291 processed frames (500 of its 551 dropped)."""
    queue = FrameQueue(maxsize=4)
    stop = threading.Event()

    def file_reader():
        i = 0
        while not stop.is_set():
            if queue.put(_frame("file", i), "block", timeout=0.05):
                i += 1

    def camera():
        i = 0
        while not stop.is_set():
            queue.put(_frame("cam", i), "drop_oldest")
            i += 1
            time.sleep(0.002)

    threads = [threading.Thread(target=file_reader), threading.Thread(target=camera)]
    for thread in threads:
        thread.start()
    processed = []
    deadline = time.monotonic() + 1.0
    while time.monotonic() < deadline:
        processed += [f.source_id for f in queue.get_batch(1, 0.0)]
        time.sleep(0.004)  # a detector slower than both sources
    stop.set()
    queue.close()
    for thread in threads:
        thread.join(2)
    share = processed.count("cam") / len(processed)
    assert 0.4 <= share <= 0.6, f"camera got {share:.0%} of the detector"


def test_a_batch_larger_than_the_queue_does_not_wait_for_frames_that_cannot_come():
    """Regression: batch_size above the queue size made every batch wait out max_wait."""
    queue = FrameQueue(maxsize=2)
    queue.put(_frame("cam", 0), "drop_oldest")
    queue.put(_frame("cam", 1), "drop_oldest")
    started = time.monotonic()
    assert len(queue.get_batch(8, max_wait_s=2.0)) == 2
    assert time.monotonic() - started < 0.5


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
