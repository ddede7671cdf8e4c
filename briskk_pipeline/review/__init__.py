"""Review holds: an upload whose changes cross its tenant's limits waits for a person.

`limits.py` decides (inside the load, from its `changes` summary), `decide.py` approves or
declines a held upload, `cli.py`, `jobs.py` and `api.py` are the thin CLI, Dagster and HTTP
surfaces (SPEC §2 "Upsert", issue 19 item 5).
"""
