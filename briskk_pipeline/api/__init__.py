"""The HTTP API (`briskk serve`): the old service's `/ingest` and `/products`, per-tenant tokens,
the brand upload page at `/`, OpenAPI docs at `/docs`. See README, "HTTP API"."""
