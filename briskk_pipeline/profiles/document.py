"""A brand profile as a document: the dict stored in `brand_profiles.body`, its YAML file,
and the differences between two of them in words an operator reviews.

The document (and the YAML file, `to_yaml` / `from_yaml`):

```yaml
tenant: BrandA
version: 3                     # the version exported; informational on import
header_aliases:                # brand header -> template column
  Selling Price: offer_price
ignore_columns: [Internal Notes]
value_maps:                    # column -> brand value -> value loaded
  color: {Navy Blue: Navy}
strict_columns: [fit]          # vocabulary enforced (vocab/)
review_limits:                 # null: the global BRISKK_REVIEW_* value
  disabled_share: null
  price_factor: 3
  values_cleared: null
```

YAML through PyYAML's safe loader and dumper (no Python objects, no tags).
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any, Final

import yaml

from briskk_pipeline.profiles.model import Profile, ProfileError, check

LIMIT_KEYS: Final = ("disabled_share", "price_factor", "values_cleared")
SECTIONS: Final = (
    "header_aliases",
    "ignore_columns",
    "value_maps",
    "strict_columns",
    "review_limits",
)
HEADER_COMMENT: Final = (
    "# Brand profile (briskk profile import TENANT FILE applies an edited copy; see README,\n"
    "# 'Brand profiles'). header_aliases: brand header -> template column; ignore_columns:\n"
    "# headers read as nothing; value_maps: column -> brand value -> value loaded;\n"
    "# strict_columns: columns whose vocabulary is enforced; review_limits: null = global.\n"
)


def empty_limits() -> dict[str, Any]:
    return dict.fromkeys(LIMIT_KEYS)


def body_of(profile: Profile, limits: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The stored form of `profile` plus the tenant's own review `limits` (JSON-safe: numbers
    as strings of their exact decimal, null for a global one)."""
    return {
        "header_aliases": dict(sorted(profile.header_aliases.items())),
        "ignore_columns": sorted(profile.ignore_columns),
        "value_maps": {
            column: dict(sorted(mapping.items()))
            for column, mapping in sorted(profile.value_maps.items())
        },
        "strict_columns": sorted(profile.strict_columns),
        "review_limits": {k: _limit_text((limits or {}).get(k)) for k in LIMIT_KEYS},
    }


def profile_of(body: Mapping[str, Any], version: int) -> Profile:
    """The `Profile` of stored `body` at `version`."""
    return Profile(
        version=version,
        header_aliases=dict(body.get("header_aliases") or {}),
        ignore_columns=frozenset(body.get("ignore_columns") or ()),
        value_maps={c: dict(m) for c, m in (body.get("value_maps") or {}).items()},
        strict_columns=frozenset(body.get("strict_columns") or ()),
    )


def _limit_text(value: object) -> str | None:
    if value is None:
        return None
    try:
        number = Decimal(str(value))
    except InvalidOperation as error:
        raise ProfileError(f"review limit {value!r} is not a number") from error
    if not number.is_finite() or number < 0:
        raise ProfileError(f"review limit {value!r} must be a number >= 0")
    return format(number.normalize(), "f")


def _yaml_number(text: str | None) -> int | float | None:
    if text is None:
        return None
    number = Decimal(text)
    return int(number) if number == number.to_integral_value() else float(text)


def to_yaml(tenant: str, version: int, body: Mapping[str, Any]) -> str:
    """The YAML file of `tenant`'s profile `body` at `version` (module docstring)."""
    document = {
        "tenant": tenant,
        "version": version,
        "header_aliases": dict(body["header_aliases"]),
        "ignore_columns": list(body["ignore_columns"]),
        "value_maps": {c: dict(m) for c, m in body["value_maps"].items()},
        "strict_columns": list(body["strict_columns"]),
        "review_limits": {k: _yaml_number(v) for k, v in body["review_limits"].items()},
    }
    text = yaml.safe_dump(document, sort_keys=False, allow_unicode=True, width=100)
    return HEADER_COMMENT + text


def from_yaml(text: str) -> tuple[dict[str, Any], int | None]:
    """The body and the exported version of a profile YAML file.

    Raises `ProfileError` for text that is not YAML, a section of the wrong shape, an unknown
    key, or an entry `model.check` refuses (the message says which).
    """
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as error:
        raise ProfileError(f"the file is not valid YAML: {error}") from error
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise ProfileError("the file must be a YAML mapping (tenant, header_aliases, ...)")
    unknown = set(raw) - {"tenant", "version", *SECTIONS}
    if unknown:
        raise ProfileError(f"unknown keys {sorted(map(str, unknown))}; expected {SECTIONS}")
    version = raw.get("version")
    if version is not None and (not isinstance(version, int) or isinstance(version, bool)):
        raise ProfileError(f"version must be a whole number, not {version!r}")
    aliases = _string_map(raw.get("header_aliases"), "header_aliases")
    maps_raw = raw.get("value_maps") or {}
    if not isinstance(maps_raw, dict):
        raise ProfileError("value_maps must map a column to {brand value: value}")
    value_maps = {str(c): _string_map(m, f"value_maps.{c}") for c, m in maps_raw.items()}
    limits_raw = raw.get("review_limits") or {}
    if not isinstance(limits_raw, dict) or set(limits_raw) - set(LIMIT_KEYS):
        raise ProfileError(f"review_limits takes {', '.join(LIMIT_KEYS)}")
    profile = Profile(
        header_aliases=aliases,
        ignore_columns=frozenset(_string_list(raw.get("ignore_columns"), "ignore_columns")),
        value_maps=value_maps,
        strict_columns=frozenset(_string_list(raw.get("strict_columns"), "strict_columns")),
    )
    check(profile)
    return body_of(profile, limits_raw), version


def _scalar_text(value: object, where: str) -> str:
    if isinstance(value, (dict, list)) or value is None:
        raise ProfileError(f"{where}: expected text, not {value!r}")
    if isinstance(value, bool):  # YAML reads `yes` as true: the brand meant the word
        raise ProfileError(f"{where}: quote {value!r} (YAML reads yes/no/true/false as booleans)")
    return str(value)


def _string_map(value: object, where: str) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise ProfileError(f"{where} must be a mapping")
    return {_scalar_text(k, where): _scalar_text(v, f"{where}.{k}") for k, v in value.items()}


def _string_list(value: object, where: str) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise ProfileError(f"{where} must be a list")
    return [_scalar_text(v, where) for v in value]


def diff(old: Mapping[str, Any], new: Mapping[str, Any]) -> list[str]:
    """One line per difference from body `old` to body `new`, in section order:
    `+ header alias 'Selling Price' -> offer_price`, `- ignored column 'Notes'`,
    `~ value map color: 'Navy Blue' -> 'Navy' (was 'Blue')`, `~ review limit price_factor:
    3 (was global)`. Empty when they are the same."""
    lines: list[str] = []
    lines += _map_diff("header alias", old["header_aliases"], new["header_aliases"])
    lines += _set_diff("ignored column", old["ignore_columns"], new["ignore_columns"])
    for column in sorted(set(old["value_maps"]) | set(new["value_maps"])):
        lines += _map_diff(
            f"value map {column}:",
            old["value_maps"].get(column, {}),
            new["value_maps"].get(column, {}),
        )
    lines += _set_diff("strict column", old["strict_columns"], new["strict_columns"])
    for key in LIMIT_KEYS:
        before, after = old["review_limits"].get(key), new["review_limits"].get(key)
        if before != after:
            lines.append(
                f"~ review limit {key}: {after if after is not None else 'global'} "
                f"(was {before if before is not None else 'global'})"
            )
    return lines


def _map_diff(label: str, old: Mapping[str, str], new: Mapping[str, str]) -> list[str]:
    lines = []
    for key in sorted(set(old) | set(new)):
        if key not in old:
            lines.append(f"+ {label} {key!r} -> {new[key]!r}")
        elif key not in new:
            lines.append(f"- {label} {key!r} -> {old[key]!r}")
        elif old[key] != new[key]:
            lines.append(f"~ {label} {key!r} -> {new[key]!r} (was {old[key]!r})")
    return lines


def _set_diff(label: str, old: list[str], new: list[str]) -> list[str]:
    return [f"+ {label} {v!r}" for v in sorted(set(new) - set(old))] + [
        f"- {label} {v!r}" for v in sorted(set(old) - set(new))
    ]
