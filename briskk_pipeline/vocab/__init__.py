"""Column vocabularies: the values `fit`, `sleeve`, `pattern_type`, `neck_type`, `material`,
`color` and `size` may take, as data files with their public sources (`data/*.toml`).

`vocabulary.py` loads them and matches a brand's value (letter case, spaces and punctuation
ignored); `colors.py` reads a colour's family and `sizes.py` a size's system; `check.py` turns
values outside a vocabulary into warnings (problems for a tenant's strict columns); `store.py`
keeps `color_family`, `size_normalised` and `size_system` beside each SKU in the catalog.
"""
