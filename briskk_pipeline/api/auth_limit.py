"""Failed token checks, limited per client address (issue 20, item 4).

A token is 256 random bits, so guessing one is hopeless; the limit keeps a client that keeps
presenting wrong or revoked tokens from costing a catalog lookup per request and from
filling the log. Each request that presents a token which is not valid counts once against its
address (a request with no token at all checks nothing and is not counted). Once an address
has `BRISKK_API_AUTH_FAILURES` failures inside the moving window (default `30/minute`, the
`limits` library's notation: `N/second|minute|hour|day`, or `N per 5 minutes`), every request
from it that presents a token is answered `429` with `Retry-After` (whole seconds until the
oldest failure leaves the window) without checking the token, valid or not, so nothing is
learnt while blocked.

The address is the one uvicorn reports: the peer, or `X-Forwarded-For` when the peer is in
uvicorn's `FORWARDED_ALLOW_IPS` (default 127.0.0.1). The counts live in this process
(`limits`' moving window in memory): they start again when the server restarts.
"""

from __future__ import annotations

import math
import os
import time
from typing import Final

from limits import RateLimitItem, parse
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter

AUTH_FAILURES_ENV: Final = "BRISKK_API_AUTH_FAILURES"
DEFAULT_AUTH_FAILURES: Final = "30/minute"


class FailedTokenChecks:
    """Failed token checks per address in a moving window of `rule` (e.g. `30/minute`).

    `retry_after(address)` is None while the address may present tokens, else whole seconds
    (≥ 1) to wait; `failed(address)` counts one failure."""

    def __init__(self, rule: str = DEFAULT_AUTH_FAILURES) -> None:
        self.rule: RateLimitItem = parse_rule(rule)
        self._limiter = MovingWindowRateLimiter(MemoryStorage())

    @classmethod
    def from_env(cls) -> FailedTokenChecks:
        """The limit `BRISKK_API_AUTH_FAILURES` sets (default `30/minute`); `ValueError`
        with a sentence for a value `limits` cannot read."""
        return cls(os.environ.get(AUTH_FAILURES_ENV, "").strip() or DEFAULT_AUTH_FAILURES)

    def retry_after(self, address: str) -> int | None:
        if self._limiter.test(self.rule, address):
            return None
        reset = self._limiter.get_window_stats(self.rule, address).reset_time
        return max(1, math.ceil(reset - time.time()))

    def failed(self, address: str) -> None:
        self._limiter.hit(self.rule, address)


def parse_rule(rule: str) -> RateLimitItem:
    """`30/minute` -> the `limits` item; `ValueError` naming the variable otherwise."""
    try:
        item = parse(rule)
    except ValueError as error:
        raise ValueError(
            f"{AUTH_FAILURES_ENV} must be a rate such as '30/minute' or '100 per hour', "
            f"got {rule!r}"
        ) from error
    if item.amount < 1:
        raise ValueError(f"{AUTH_FAILURES_ENV} must allow at least 1 failure, got {rule!r}")
    return item
