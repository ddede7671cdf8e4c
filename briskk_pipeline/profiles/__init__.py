"""Brand profiles (issue 22): each tenant's own headers and words, mapped once and remembered.

A profile is plain, versioned configuration kept in the catalog database (`store.py`), read
and written as a small YAML file (`document.py`): header aliases (brand header -> template
column), columns to ignore, value maps per column (`Navy Blue` -> `Navy`), strict columns
(whose vocabulary is enforced) and the tenant's review limits (kept in `review_limits`, the one
source of truth: the profile reads and writes them there). `model.Profile` is what the
pipeline uses; `proposals.py` says what an unmatched header row would map where, `values.py`
applies value maps in validation; `cli.py` and `api.py` are the CLI and HTTP surfaces.
"""
