"""Ids and names from a request that no catalog row can hold (issue 20, item 4).

PostgreSQL refuses text with NUL (psycopg2: `ValueError: A string literal cannot contain NUL`),
so looking up `/uploads/%00` failed inside the server (`500`) where any other unknown id is
`404`. An id that cannot exist is answered as unknown without asking the database, with the
same status and body as every other unknown id.
"""

from __future__ import annotations

from briskk_pipeline.safe_text import for_database


def can_exist(text: str) -> bool:
    """False for text the catalog cannot store (NUL, lone surrogates: `safe_text`)."""
    return for_database(text) == text
