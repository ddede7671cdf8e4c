"""What an HTTP client is told when a system behind the API fails (issue 20, item 4).

`faults.describe_fault` writes one line for operators: it names the object store's folder or
key, the database's host and the driver's words. That line goes to the server's log; a client
(a brand's browser) is told only which system failed and that the log has the rest, so no
error body holds a file system path, a host name or a traceback.
"""

from __future__ import annotations

from briskk_pipeline.faults import EmbeddedDatabaseError, ObjectStoreError, describe_fault

_LATER = "try again in a few minutes; the server's log has the details"


def public_fault(error: BaseException) -> str | None:
    """One sentence naming the failed system for `error`, or None when `error` is not a fault
    of a system outside the pipeline (`describe_fault` is None: a bug, answered `500`)."""
    if describe_fault(error) is None:
        return None
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, ObjectStoreError):
            return f"the object store failed: {_LATER}"
        module = type(current).__module__
        if isinstance(current, EmbeddedDatabaseError) or module.startswith(
            ("sqlalchemy", "psycopg")
        ):
            return f"the catalog database is not reachable or failed: {_LATER}"
        current = current.__cause__ or current.__context__
    return f"the server's storage failed: {_LATER}"
