"""Catalog history and rollback (History issue): what each upload changed, row by row, and
putting it back.

- `record`: the row images a load (or a rollback) writes to `catalog_history`, in its own
  transaction (hooked into `catalog/load.py`).
- `read`: `briskk history` and `GET /products/{id}/history`.
- `rollback`: undoing one change set under the tenant's lock; `jobs`: `rollback_upload_job`.
- `cli`: the `briskk history` and `briskk rollback` commands.
"""
