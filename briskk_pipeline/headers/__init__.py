"""Headers a brand's sheet has that the template does not: what each one probably is.

`suggest` (pure) pairs the template columns a header row lacks with the unrecognised headers
that look like them, by a small synonym table (`synonyms.toml`, sources named there) and by
spelling (rapidfuzz). `report` turns a header row into the problems of a rejected file and the
warnings of a loaded one. Nothing here renames a column: a suggestion is only shown to the
brand (a later "brand profiles" issue may map headers per brand on top of this table).
"""

from briskk_pipeline.headers.suggest import Suggestion, normalized, suggest, synonyms

__all__ = ["Suggestion", "normalized", "suggest", "synonyms"]
