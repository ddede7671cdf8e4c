"""The hand-off: `briskk ingest FILE` gives its upload to a running `briskk serve` (issue 24).

A fresh process spends most of an 800-row upload importing Dagster and pandas and setting up
a Dagster instance; a running `briskk serve` has done both. When one is up with the same
settings and the same code, `briskk ingest` sends it the file over a Unix socket in the state
folder and prints what it answers; otherwise it runs the upload in its own process as before.
Either way the upload is a partition of `ingest_job` with its run in the Dagster UI.

- `state`: the contract both sides share, importing nothing heavy: where the socket and
  `serve.json` are, the fingerprint of what decides a run, whether a process lives.
- `client`: the `briskk ingest` side (standard library only: `http.client` over AF_UNIX).
- `publication`: `briskk serve`'s Unix socket and `serve.json`; `server`: the `/local/…` routes.
"""
