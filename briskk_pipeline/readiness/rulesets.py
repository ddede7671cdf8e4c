"""The channel rule sets: one YAML file per channel in `channels/`, read into `ChannelRules`.

Each rule has an `id`, a `kind` (below), its parameters, `says` (the rule in a brand's words),
`source` (the document or quote it comes from), optionally `url`, and `version_date` (when
the source was read). A file that breaks this shape fails loudly at first use
(`RuleSetError`): a rule without a source is not a rule we may enforce.

Kinds and their parameters:
- `image_format`: `formats` (Pillow names: JPEG, PNG, WEBP, GIF, TIFF).
- `image_aspect`: `ratio` ("3:4" = width:height), `tolerance` (relative, 0.01 = 1 %).
- `image_min_size`: `min_width`/`min_height`, or `min_long_side` (pixels).
- `image_max_size`: `max_long_side` (pixels).
- `image_bytes`: `min_bytes`, `max_bytes`.
- `image_background`: `want` (`white` or `not_white`), `white_share` (the share of near-white
  border pixels from which a background counts as white; image_facts.py).
- `image_duplicates`: `near_duplicate_bits` (perceptual hashes at most this many bits apart
  are one picture; 0: identical hashes; same bytes always count).
- `image_count`: `min`, `max` (stored images of the product).
- `image_stored`: every image URL of the product (or its main image) was fetched and stored.
- `required_attributes`: `columns` (template columns that must not be blank).
- `gtin`: `required` (every SKU needs a barcode); a barcode given must be a valid GTIN.

Image rules take `applies_to`: `all` (default) or `main` (the main_image slot only); any rule
may take `when_hsn_chapters` (applies only to products whose hsn_code starts with one of them).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from functools import cache
from importlib.resources import files
from typing import Any, Final

import yaml

from briskk_pipeline.template import BY_NAME

KINDS: Final[dict[str, tuple[str, ...]]] = {  # kind -> its required parameters
    "image_format": ("formats",),
    "image_aspect": ("ratio", "tolerance"),
    "image_min_size": (),
    "image_max_size": ("max_long_side",),
    "image_bytes": (),
    "image_background": ("want", "white_share"),
    "image_duplicates": ("near_duplicate_bits",),
    "image_count": (),
    "image_stored": (),
    "required_attributes": ("columns",),
    "gtin": ("required",),
}
_COMMON: Final = {"id", "kind", "says", "source", "url", "version_date", "applies_to"}
_COMMON_OPTIONAL: Final = {"when_hsn_chapters"}


class RuleSetError(ValueError):
    """A channel file that is not a valid rule set; the message names the file and rule."""


@dataclass(frozen=True)
class Rule:
    """One rule of a channel; `params` holds the kind's parameters."""

    id: str
    kind: str
    says: str
    source: str
    version_date: date
    params: Mapping[str, Any] = field(default_factory=dict)
    url: str | None = None
    applies_to: str = "all"  # all | main (image rules)
    when_hsn_chapters: tuple[str, ...] = ()

    def applies(self, hsn_code: str | None) -> bool:
        """Whether the rule applies to a product with this `hsn_code` (it depends only on the
        code's chapter, `hsn_chapter`)."""
        if not self.when_hsn_chapters:
            return True
        chapter = hsn_chapter(hsn_code)
        return chapter is not None and chapter in self.when_hsn_chapters


def hsn_chapter(hsn_code: str | None) -> str | None:
    """The chapter of an HSN code: its first two digits (None for no code)."""
    return hsn_code[:2] if hsn_code is not None else None


@dataclass(frozen=True)
class ChannelRules:
    """A channel's rule set, as its file says."""

    channel: str
    name: str
    rules: tuple[Rule, ...]


def _rule(raw: Mapping[str, Any], where: str) -> Rule:
    missing = [k for k in ("id", "kind", "says", "source", "version_date") if not raw.get(k)]
    if missing:
        raise RuleSetError(f"{where}: a rule lacks {', '.join(missing)}")
    kind = str(raw["kind"])
    if kind not in KINDS:
        raise RuleSetError(f"{where}: rule {raw['id']} has unknown kind {kind!r}")
    params = {k: v for k, v in raw.items() if k not in _COMMON | _COMMON_OPTIONAL}
    absent = [p for p in KINDS[kind] if p not in params]
    if absent:
        raise RuleSetError(f"{where}: rule {raw['id']} ({kind}) lacks {', '.join(absent)}")
    if kind == "required_attributes":
        unknown = [c for c in params["columns"] if c not in BY_NAME]
        if unknown:
            raise RuleSetError(f"{where}: rule {raw['id']} names unknown columns {unknown}")
    applies_to = str(raw.get("applies_to", "all"))
    if applies_to not in ("all", "main"):
        raise RuleSetError(f"{where}: rule {raw['id']} applies_to must be all or main")
    version = raw["version_date"]
    return Rule(
        id=str(raw["id"]),
        kind=kind,
        says=str(raw["says"]),
        source=str(raw["source"]),
        url=str(raw["url"]) if raw.get("url") else None,
        version_date=version if isinstance(version, date) else date.fromisoformat(str(version)),
        params=params,
        applies_to=applies_to,
        when_hsn_chapters=tuple(str(c) for c in raw.get("when_hsn_chapters", ())),
    )


def parse_rule_set(text: str, where: str) -> ChannelRules:
    """A rule set from its YAML `text`; `where` names the file in errors."""
    data = yaml.safe_load(text)
    if not isinstance(data, dict) or not data.get("channel") or not data.get("rules"):
        raise RuleSetError(f"{where}: needs `channel`, `name` and a list of `rules`")
    rules = tuple(_rule(raw, where) for raw in data["rules"])
    ids = [r.id for r in rules]
    if len(set(ids)) != len(ids):
        raise RuleSetError(f"{where}: rule ids repeat")
    return ChannelRules(str(data["channel"]), str(data.get("name", data["channel"])), rules)


@cache
def rule_sets() -> dict[str, ChannelRules]:
    """Every shipped channel's rule set, by channel name (the file's stem), sorted by name."""
    folder = files("briskk_pipeline.readiness").joinpath("channels")
    found: dict[str, ChannelRules] = {}
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if not entry.name.endswith(".yaml"):
            continue
        rules = parse_rule_set(entry.read_text(encoding="utf-8"), f"channels/{entry.name}")
        if rules.channel != entry.name.removesuffix(".yaml"):
            raise RuleSetError(f"channels/{entry.name}: `channel` must be the file's name")
        found[rules.channel] = rules
    return found


def channel_names() -> tuple[str, ...]:
    """The known channels, sorted: amazon_in, ajio, briskk, flipkart, myntra, nykaa."""
    return tuple(rule_sets())
