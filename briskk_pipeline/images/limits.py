"""What one upload's images may cost: wall-clock time (`TimeBudget`) and decoded memory
(`PixelBudget`).

Time: an upload's images get `BRISKK_IMAGE_BUDGET_SECONDS` in all. Every fetch, and every
wait for memory to decode in, ends when the budget does; URLs not done by then are `failed`
with `TimeBudget.reason` and fetched again by `retry_failed_images_job`. The product loads.

Memory: decoding an image holds about 4 bytes per pixel (Pillow keeps RGB as 32-bit pixels),
so 32 workers decoding 49-megapixel photos at once would hold 6 GB. Workers instead take
`width × height` from one shared budget of decoded pixels (`BRISKK_IMAGE_PIXEL_BUDGET`, 100
megapixels ≈ 400 MB) before decoding and give it back after; an image larger than the whole
budget is refused without decoding. The header gives the size before any pixel is decoded.
"""

from __future__ import annotations

import functools
import threading
import time
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from briskk_pipeline.images.model import NotAnImage, OutOfTime


@dataclass(frozen=True)
class TimeBudget:
    """The images of one upload end by `ends_at` (time.monotonic() seconds)."""

    seconds: float
    ends_at: float

    @classmethod
    def start(cls, seconds: float) -> TimeBudget:
        """A budget of `seconds` starting now."""
        return cls(seconds, time.monotonic() + seconds)

    def left(self) -> float:
        """Seconds left, never below 0."""
        return max(0.0, self.ends_at - time.monotonic())

    @property
    def reason(self) -> str:
        """What a URL not done in time says (its slot is `failed` and retried later)."""
        return (
            f"not fetched in time: the upload's image time budget ({self.seconds:g} s) ran out; "
            "retried later by retry_failed_images_job"
        )

    def out_of_time(self, *, attempted: bool) -> OutOfTime:
        return OutOfTime(self.reason, attempted=attempted)


class PixelBudget:
    """Decoded pixels that the workers of this process may hold at once, handed out in order.

    `hold(pixels)` waits until that many are free, first come first served (a large image is
    not starved by a stream of small ones), and gives them back when the block ends.
    """

    def __init__(self, capacity: int) -> None:
        if capacity <= 0:
            raise ValueError(f"a pixel budget must be positive, got {capacity}")
        self.capacity = capacity
        self._in_use = 0
        self._queue: deque[object] = deque()
        self._changed = threading.Condition()

    @property
    def in_use(self) -> int:
        with self._changed:
            return self._in_use

    @contextmanager
    def hold(self, pixels: int, budget: TimeBudget | None = None) -> Iterator[None]:
        """Hold `pixels` during the block.

        Raises `NotAnImage` when `pixels` is more than the whole budget (it could never be
        decoded), and `OutOfTime` when `budget` runs out while waiting.
        """
        if pixels > self.capacity:
            raise NotAnImage(
                f"refused: {pixels:,} pixels is more than may be decoded at once "
                f"({self.capacity:,} pixels, BRISKK_IMAGE_PIXEL_BUDGET)"
            )
        turn = object()
        with self._changed:
            self._queue.append(turn)
            try:
                while self._queue[0] is not turn or self._in_use + pixels > self.capacity:
                    if budget is None:
                        self._changed.wait()
                        continue
                    left = budget.left()
                    if left == 0 or not self._changed.wait(left):
                        raise budget.out_of_time(attempted=True)
            finally:
                self._queue.remove(turn)
                self._changed.notify_all()  # the next in line may fit now
            self._in_use += pixels
        try:
            yield
        finally:
            with self._changed:
                self._in_use -= pixels
                self._changed.notify_all()


@functools.cache
def shared_pixel_budget(capacity: int) -> PixelBudget:
    """The process-wide budget of this capacity: every run in the process draws from it."""
    return PixelBudget(capacity)
