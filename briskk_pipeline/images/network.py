"""The sockets under image downloads: pinned to checked addresses, and bounded by one deadline.

`PinnedBackend` is the httpcore network backend of a `Fetcher`. It connects only to addresses
the SSRF guard checked for a host and never resolves a name itself. Every stream it hands out
also obeys the calling thread's deadline (`PinnedBackend.deadline`): each connect, TLS
handshake, read and write gets at most the time left until then, so one wall-clock deadline
covers the whole request (connect, status line and headers, body). httpcore's own timeouts are
per operation: a server sending its headers one byte every 4 s never trips a 15 s read timeout,
and without this it could hold a request for minutes.

The deadline is per thread because sync httpcore does every read and write of a request on the
thread that sent it, while kept-alive connections move between worker threads.
"""

from __future__ import annotations

import ssl
import threading
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any

import httpcore

from briskk_pipeline.images.guard import IPAddress


class PastDeadline(httpcore.TimeoutException):
    """The request's deadline arrived during a connect, handshake, read or write."""


class _ThreadDeadline(threading.local):
    at: float | None = None  # time.monotonic() seconds; None: only httpcore's own timeouts

    def clamp(self, timeout: float | None) -> tuple[float | None, bool]:
        """`timeout` shortened to the time left (and whether it was); raises when none is left."""
        if self.at is None:
            return timeout, False
        left = self.at - time.monotonic()
        if left <= 0:
            raise PastDeadline("the deadline has passed")
        if timeout is None or left < timeout:
            return left, True
        return timeout, False


class DeadlineStream(httpcore.NetworkStream):
    """A network stream whose every operation ends by the calling thread's deadline."""

    def __init__(self, inner: httpcore.NetworkStream, deadline: _ThreadDeadline) -> None:
        self._inner = inner
        self._deadline = deadline

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        limit, clamped = self._deadline.clamp(timeout)
        try:
            return self._inner.read(max_bytes, limit)
        except httpcore.ReadTimeout:
            if clamped:
                raise PastDeadline("the deadline passed while reading") from None
            raise

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        limit, clamped = self._deadline.clamp(timeout)
        try:
            self._inner.write(buffer, limit)
        except httpcore.WriteTimeout:
            if clamped:
                raise PastDeadline("the deadline passed while writing") from None
            raise

    def close(self) -> None:
        self._inner.close()

    def start_tls(
        self,
        ssl_context: ssl.SSLContext,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> httpcore.NetworkStream:
        limit, clamped = self._deadline.clamp(timeout)
        try:
            inner = self._inner.start_tls(ssl_context, server_hostname, limit)
        except httpcore.ConnectTimeout:
            if clamped:
                raise PastDeadline("the deadline passed during the TLS handshake") from None
            raise
        return DeadlineStream(inner, self._deadline)

    def get_extra_info(self, info: str) -> Any:
        return self._inner.get_extra_info(info)


class PinnedBackend(httpcore.NetworkBackend):
    """Connects only to the addresses the guard checked for a host; never looks a name up.

    httpcore asks to connect to the URL's host; this backend swaps in the pinned addresses.
    A host nobody pinned cannot be connected to at all. Streams obey `deadline` (above).
    """

    def __init__(self) -> None:
        self._pins: dict[str, tuple[str, ...]] = {}
        self._lock = threading.Lock()
        self._inner = httpcore.SyncBackend()
        self._deadline = _ThreadDeadline()

    def pin(self, host: str, addresses: Iterable[IPAddress]) -> None:
        with self._lock:
            self._pins[host] = tuple(str(a) for a in addresses)

    @contextmanager
    def deadline(self, at: float) -> Iterator[None]:
        """Within the block, this thread's network operations end by `at` (time.monotonic()),
        raising `PastDeadline` then."""
        self._deadline.at = at
        try:
            yield
        finally:
            self._deadline.at = None

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.NetworkStream:
        with self._lock:
            addresses = self._pins.get(host, ())
        if not addresses:
            raise httpcore.ConnectError(f"no checked address for {host}")
        error: Exception | None = None
        for address in addresses:
            limit, clamped = self._deadline.clamp(timeout)
            try:
                stream = self._inner.connect_tcp(
                    address, port, limit, local_address, socket_options
                )
            except httpcore.ConnectTimeout as failure:
                if clamped:
                    raise PastDeadline("the deadline passed while connecting") from None
                error = failure
            except httpcore.ConnectError as failure:
                error = failure
            else:
                return DeadlineStream(stream, self._deadline)
        assert error is not None
        raise error

    def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.NetworkStream:
        raise httpcore.ConnectError("unix sockets are never used for images")

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds)
