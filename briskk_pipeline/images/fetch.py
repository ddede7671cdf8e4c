"""Downloading image bytes over HTTP(S), to the checked address only, within limits.

Each hop of a download (the URL, then every redirect, at most `max_redirects`) is parsed once,
checked by `guard.check_target`, and sent with httpcore through `PinnedBackend`, which connects
to the addresses the guard checked for that host and never resolves a name itself. The request
still carries the original `Host` header, and TLS uses the original host name for SNI and
certificate verification, so pinning changes where we connect and nothing else.

Limits, in time: each attempt has one wall-clock deadline covering connect, status line,
headers and body (`request_deadline`, enforced on every socket operation by `network.py`), on
top of the per-operation connect and read timeouts; all attempts, backoffs and redirects of one
URL end within `url_deadline`; and when the upload's `TimeBudget` is given, nothing waits past
it (`OutOfTime`). So one URL costs at most `url_deadline` seconds, never attempts × deadline.
In size: a cap enforced while the body streams in (the connection is dropped the moment the cap
is passed, nothing more is read). A few retries with exponential backoff on timeouts, dropped
connections, 429 and 5xx. A pool of connections is shared by the worker threads (kept alive
per host), and a semaphore per host keeps us from hammering one brand's server.
"""

from __future__ import annotations

import socket
import ssl
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http import HTTPStatus
from importlib.metadata import PackageNotFoundError, version
from types import TracebackType
from typing import Final

import httpcore
import httpx

from briskk_pipeline.images.guard import (
    Allowlist,
    BlockReason,
    Resolver,
    check_target,
    parse_url,
)
from briskk_pipeline.images.limits import TimeBudget
from briskk_pipeline.images.model import ImageBlocked, ImageFailed
from briskk_pipeline.images.network import PastDeadline, PinnedBackend

try:
    _VERSION = version("briskk-pipeline")
except PackageNotFoundError:  # running from a source tree that was never installed
    _VERSION = "0+unknown"

USER_AGENT: Final = f"briskk-pipeline/{_VERSION} (+https://github.com/briskk/briskk-pipeline)"
REDIRECT_STATUSES: Final = frozenset({301, 302, 303, 307, 308})
RETRY_STATUSES: Final = frozenset({429, 500, 502, 503, 504})
_CHUNK: Final = 64 * 1024


@dataclass(frozen=True)
class FetchPolicy:
    """How patiently and how widely images are fetched. The defaults suit production."""

    connect_timeout: float = 5.0
    read_timeout: float = 15.0
    # One attempt, connect to last byte of the body: stops servers trickling headers or body.
    request_deadline: float = 30.0
    # Everything for one URL: its attempts, backoffs and redirects.
    url_deadline: float = 60.0
    retries: int = 2  # extra attempts after the first, on timeouts, drops, 429 and 5xx
    backoff: float = 0.25  # seconds before the first retry; doubles each time
    max_redirects: int = 5
    workers: int = 32
    per_host: int = 16
    keepalive_seconds: float = 5.0
    resolver: Resolver = socket.getaddrinfo
    ssl_context: ssl.SSLContext | None = None  # None: the system's default trust store
    user_agent: str = USER_AGENT


@dataclass(frozen=True)
class Fetched:
    """A downloaded body. `claimed_type` is what the server said, kept for messages only."""

    url: str  # the final URL, after redirects
    data: bytes
    redirects: int
    claimed_type: str | None


@dataclass
class _Clock:
    """The time limits of one URL's download, and whether a request has gone out yet."""

    url_ends: float  # time.monotonic()
    budget: TimeBudget | None
    sent: bool = False

    def attempt_ends(self, request_deadline: float) -> tuple[float, str]:
        """When the next attempt must end, and which limit sets that: attempt, url or upload."""
        ends = [(time.monotonic() + request_deadline, "attempt"), (self.url_ends, "url")]
        if self.budget is not None:
            ends.append((self.budget.ends_at, "upload"))
        return min(ends)


@dataclass(frozen=True)
class _Answer:
    status: int
    location: str | None = None
    data: bytes = b""
    claimed_type: str | None = None


class _Retryable(Exception):
    """A transient problem with one attempt; retried while attempts remain."""


def _header(headers: list[tuple[bytes, bytes]], name: bytes) -> str | None:
    for key, value in headers:
        if key.lower() == name:
            return value.decode("latin-1").strip()
    return None


def _status_text(status: int) -> str:
    try:
        return f"HTTP {status} {HTTPStatus(status).phrase}"
    except ValueError:
        return f"HTTP {status}"


def _megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):g} MB"


class Fetcher:
    """Fetches image URLs for one run; thread-safe; close it (or use `with`) when done."""

    def __init__(self, *, allowed: Allowlist, max_bytes: int, policy: FetchPolicy) -> None:
        self.allowed = allowed
        self.max_bytes = max_bytes
        self.policy = policy
        self._backend = PinnedBackend()
        self._pool = httpcore.ConnectionPool(
            ssl_context=policy.ssl_context,
            max_connections=policy.workers,
            max_keepalive_connections=policy.workers,
            keepalive_expiry=policy.keepalive_seconds,
            http1=True,
            http2=False,
            retries=0,  # retries are ours, so each one is re-checked and backed off
            network_backend=self._backend,
        )
        self._host_limits: dict[str, threading.BoundedSemaphore] = {}
        self._limits_lock = threading.Lock()

    def __enter__(self) -> Fetcher:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        self._pool.close()

    @contextmanager
    def _host_slot(self, host: str, ends: float) -> Iterator[bool]:
        """Yields whether a slot for `host` was free before `ends` (time.monotonic())."""
        with self._limits_lock:
            limit = self._host_limits.setdefault(
                host, threading.BoundedSemaphore(self.policy.per_host)
            )
        if not limit.acquire(timeout=max(0.0, ends - time.monotonic())):
            yield False
            return
        if time.monotonic() >= ends:  # freed as time ran out (the budget ended the others)
            limit.release()
            yield False
            return
        try:
            yield True
        finally:
            limit.release()

    def fetch(self, url: str, budget: TimeBudget | None = None) -> Fetched:
        """Download `url`, following at most `max_redirects` redirects, each one re-checked.

        Raises `ImageBlocked` (nothing was sent to the refused address), `OutOfTime` (`budget`
        ran out first) or `ImageFailed`. Returns within `policy.url_deadline` seconds.
        """
        target = parse_url(url)
        if isinstance(target, BlockReason):
            raise ImageBlocked(target.message)
        clock = _Clock(time.monotonic() + self.policy.url_deadline, budget)
        for hop in range(self.policy.max_redirects + 1):
            checked = check_target(target, self.allowed, self.policy.resolver)
            if isinstance(checked, BlockReason):
                suffix = f" (reached by a redirect from {url})" if hop else ""
                raise ImageBlocked(checked.message + suffix)
            host = target.raw_host.decode("ascii")
            self._backend.pin(host, checked)
            answer = self._get_with_retries(target, host, clock)
            if answer.location is None:
                return Fetched(str(target), answer.data, hop, answer.claimed_type)
            try:
                target = target.join(answer.location)
            except (httpx.InvalidURL, ValueError) as error:
                raise ImageFailed(
                    f"invalid redirect location {answer.location!r} from {target}: {error}"
                ) from None
        raise ImageFailed(f"more than {self.policy.max_redirects} redirects from {url}")

    def _get_with_retries(self, target: httpx.URL, host: str, clock: _Clock) -> _Answer:
        problem = ""
        tried = 0
        for attempt in range(self.policy.retries + 1):
            if attempt:
                resume = time.monotonic() + self.policy.backoff * 2 ** (attempt - 1)
                if resume >= clock.url_ends:
                    break  # no time left for this URL: report the last problem
                if clock.budget is not None and resume >= clock.budget.ends_at:
                    raise clock.budget.out_of_time(attempted=clock.sent)
                time.sleep(resume - time.monotonic())
            try:
                tried += 1
                return self._attempt(target, host, clock)
            except _Retryable as error:
                problem = str(error)
        tries = f" (after {tried} attempts)" if tried > 1 else ""
        raise ImageFailed(f"{problem}{tries}")

    def _attempt(self, target: httpx.URL, host: str, clock: _Clock) -> _Answer:
        """One request, ended by the earliest of its own deadline, the URL's and the upload's."""
        ends, limit = clock.attempt_ends(self.policy.request_deadline)
        try:
            with self._host_slot(host, ends) as free:
                if not free:
                    raise PastDeadline(f"no free connection to {host} in time")
                with self._backend.deadline(ends):
                    clock.sent = True
                    return self._get(target, ends)
        except PastDeadline:
            if limit == "upload" and clock.budget is not None:
                raise clock.budget.out_of_time(attempted=clock.sent) from None
            if limit == "url":
                raise _Retryable(
                    f"too slow: {target.host} took more than {self.policy.url_deadline:g} s "
                    "in all for this image"
                ) from None
            raise _Retryable(
                f"too slow: {target.host} took more than {self.policy.request_deadline:g} s "
                "to answer (connecting, headers and body)"
            ) from None

    def _get(self, target: httpx.URL, ends: float) -> _Answer:
        policy = self.policy
        request = httpcore.Request(
            "GET",
            httpcore.URL(
                scheme=target.raw_scheme,
                host=target.raw_host,
                port=target.port,
                target=target.raw_path,
            ),
            headers=[
                (b"Host", target.netloc),
                (b"User-Agent", policy.user_agent.encode("ascii")),
                (b"Accept", b"image/jpeg, image/png, image/webp, image/gif, image/*;q=0.8"),
                (b"Accept-Encoding", b"identity"),
            ],
            extensions={
                "timeout": {
                    "connect": policy.connect_timeout,
                    "read": policy.read_timeout,
                    "write": policy.read_timeout,
                    "pool": max(0.001, ends - time.monotonic()),
                }
            },
        )
        try:
            response = self._pool.handle_request(request)
        except PastDeadline:
            raise
        except httpcore.ConnectTimeout:
            raise _Retryable(
                f"timed out connecting to {target.host} after {policy.connect_timeout:g} s"
            ) from None
        except httpcore.TimeoutException:
            raise _Retryable(
                f"timed out waiting for {target.host} (no data for {policy.read_timeout:g} s)"
            ) from None
        except (httpcore.NetworkError, httpcore.RemoteProtocolError) as error:
            raise _Retryable(f"could not download from {target.host}: {error}") from None
        except httpcore.ProtocolError as error:
            raise ImageFailed(f"could not download from {target.host}: {error}") from None
        try:
            return self._read(response, target)
        finally:
            # Closing before the body is fully read drops the connection instead of draining.
            response.close()

    def _read(self, response: httpcore.Response, target: httpx.URL) -> _Answer:
        status = response.status
        if status in REDIRECT_STATUSES:
            location = _header(response.headers, b"location")
            if not location:
                raise ImageFailed(f"{_status_text(status)} without a Location from {target}")
            return _Answer(status, location=location)
        if status in RETRY_STATUSES:
            raise _Retryable(f"{_status_text(status)} from {target.host}")
        if status != 200:
            raise ImageFailed(_status_text(status))
        declared = _header(response.headers, b"content-length")
        if declared and declared.isdigit() and int(declared) > self.max_bytes:
            raise ImageFailed(
                f"too large: {_megabytes(int(declared))} declared, the limit is "
                f"{_megabytes(self.max_bytes)}"
            )
        body = bytearray()
        try:
            for chunk in response.iter_stream():
                body += chunk
                if len(body) > self.max_bytes:
                    raise ImageFailed(
                        f"too large: more than {_megabytes(self.max_bytes)} (stopped reading)"
                    )
        except PastDeadline:
            raise
        except httpcore.TimeoutException:
            raise _Retryable(
                f"timed out reading from {target.host} (no data for {self.policy.read_timeout:g} s)"
            ) from None
        except (httpcore.NetworkError, httpcore.RemoteProtocolError) as error:
            raise _Retryable(f"download from {target.host} broke off: {error}") from None
        claimed = _header(response.headers, b"content-type")
        return _Answer(status, data=bytes(body), claimed_type=claimed)
