"""The Dagster webserver's GraphQL API, as the deployment and first-hour tests call it."""

from __future__ import annotations

from typing import Any

import httpx


class GraphQL:
    """POST a query with its variables to `url`; the `data` of an answer without errors."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.client = httpx.Client(timeout=30)

    def __call__(self, query: str, **variables: Any) -> dict[str, Any]:
        response = self.client.post(self.url, json={"query": query, "variables": variables})
        response.raise_for_status()
        body = response.json()
        assert "errors" not in body, body["errors"]
        return body["data"]
