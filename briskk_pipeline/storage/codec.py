"""Asset outputs as bytes: pandas frames as Parquet, everything around them as JSON.

An output (`RawUpload`, `ValidatedRows`, `ProductImages`, a dict of counts...) is a tree of
dataclasses, lists, dicts and plain values with pandas frames at the leaves. `encode` turns it
into a JSON manifest in which every frame is a placeholder `{"__frame__": i}`, plus the list of
frames, each written as Parquet by pyarrow (`DataFrame.to_parquet`, index kept): pandas'
metadata in the file brings back the `str`, `Int64` and `bool` dtypes and the index (the
Excel row numbers, named `row`) on read. `decode` rebuilds the tree.

JSON rather than pickle for the non-frame parts: a pickle ties the stored output to the exact
classes of the process that wrote it and runs code when read; the manifest names each
dataclass by module and qualified name, and only classes of `briskk_pipeline` are rebuilt.
A value of any other type raises `TypeError` when stored (the round-trip tests cover every
output type), rather than being stored in a form the next process cannot read.
"""

from __future__ import annotations

import dataclasses
import importlib
import io
import json
from typing import Any

import pandas as pd

FORMAT = 1  # bump when the manifest's shape changes
_PACKAGE = "briskk_pipeline."


def frame_to_parquet(frame: pd.DataFrame) -> bytes:
    """`frame` as Parquet bytes (pyarrow), index and dtypes kept (pandas metadata)."""
    buffer = io.BytesIO()
    # index=None: a RangeIndex stays a RangeIndex (metadata), any other index is a column
    frame.to_parquet(buffer, engine="pyarrow", index=None, compression="zstd")
    return buffer.getvalue()


def frame_from_parquet(data: bytes) -> pd.DataFrame:
    """The frame `frame_to_parquet` wrote, with its index, column order and dtypes."""
    return pd.read_parquet(io.BytesIO(data), engine="pyarrow")


def encode(value: Any) -> tuple[bytes, list[pd.DataFrame]]:
    """`value` as a JSON manifest (UTF-8 bytes) and the frames it refers to, in order.

    Raises `TypeError` naming the path of a value that is not a frame, dataclass, list,
    tuple, dict or JSON scalar.
    """
    document, frames = encode_document(value)
    return dump(document), frames


def encode_document(
    value: Any, shared: dict[int, list[Any]] | None = None
) -> tuple[dict[str, Any], list[pd.DataFrame]]:
    """`encode` before JSON: the manifest's document (plain lists, dicts and scalars, sharing
    nothing with `value`) and the frames. Raises `TypeError` as `encode` does.

    `shared`, when given, collects the long lists of frozen dataclasses stored by column, by
    the id of their node in the document: `rebuild` reuses their (immutable) elements.
    """
    frames: list[pd.DataFrame] = []
    tree = _encode(value, frames, "value", shared)
    return {"format": FORMAT, "value": tree, "frames": len(frames)}, frames


def dump(document: dict[str, Any]) -> bytes:
    """A manifest document as the UTF-8 JSON bytes that are stored."""
    return json.dumps(document, ensure_ascii=False).encode()


def decode(manifest: bytes, frames: list[pd.DataFrame]) -> Any:
    """The value `encode` was given, from its manifest and frames (same order)."""
    return decode_document(parse(manifest), frames)


def parse(manifest: bytes) -> dict[str, Any]:
    """A manifest's document (`format`, `value` tree, `frames` count), its format checked.

    Raises `ValueError` when the manifest was written in another format.
    """
    document: dict[str, Any] = json.loads(manifest)
    if document.get("format") != FORMAT:
        raise ValueError(f"stored output has format {document.get('format')!r}, not {FORMAT}")
    return document


def decode_document(document: dict[str, Any], frames: list[pd.DataFrame]) -> Any:
    """The value of a parsed manifest (`parse`), with its frames in order."""
    return _decode(document["value"], frames)


def rebuild(
    document: dict[str, Any],
    frames: list[pd.DataFrame],
    shared: dict[int, list[Any]] | None = None,
) -> Any:
    """A fresh copy of the value `encode_document` turned into `document` and `frames`.

    What decoding the stored bytes gives, without JSON or Parquet, for a process that still
    holds them: new dataclasses, lists and dicts, and each frame as a shallow copy (pandas
    copy-on-write keeps changes to it from reaching the original). `document` is only read.
    The IO manager uses it to hand an output to a later step of the same run. `shared` (from
    `encode_document`): lists of frozen dataclasses come back as new lists of the same
    elements instead of new elements.
    """
    copies = [f.copy(deep=False) for f in frames]
    return _decode(document["value"], copies, in_memory=True, shared=shared or {})


# The path of a value inside the output, for the one error message: built as nested tuples
# `(parent, kind, item)` and written out only when a value cannot be stored (formatting a
# path string for every element cost more than encoding it).
_Path = str | tuple[Any, str, Any]
_PLAIN = frozenset({str, int, float, bool, type(None)})  # exact types: JSON as they are


def _where(path: _Path) -> str:
    parts: list[str] = []
    while isinstance(path, tuple):
        path, kind, item = path
        parts.append(
            {"i": f"[{item}]", "f": f".{item}", "k": f"[{item!r}]", "K": " key", "s": "[]"}[kind]
        )
    return path + "".join(reversed(parts))


def _encode(
    value: Any, frames: list[pd.DataFrame], path: _Path, shared: dict[int, list[Any]] | None = None
) -> Any:
    if value is None or isinstance(value, str | bool | int | float):
        return value
    if isinstance(value, pd.DataFrame):
        frames.append(value)
        # Parquet has no seconds unit: datetime64[s] comes back [ms] unless put back
        units = {
            str(c): str(t)
            for c, t in value.dtypes.items()
            if isinstance(t, pd.DatetimeTZDtype) or pd.api.types.is_datetime64_dtype(t)
        }
        return {"__frame__": len(frames) - 1, "datetimes": units}
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        cls = type(value)
        if not cls.__module__.startswith(_PACKAGE):
            raise TypeError(f"{_where(path)}: cannot store a {cls.__module__}.{cls.__qualname__}")
        return {
            "__dataclass__": f"{cls.__module__}:{cls.__qualname__}",
            "fields": {
                f.name: _encode(getattr(value, f.name), frames, (path, "f", f.name), shared)
                for f in dataclasses.fields(value)
                if f.init
            },
        }
    if isinstance(value, list):
        if all(type(v) in _PLAIN for v in value):
            return list(value)
        records = _records(value)
        if records is not None:
            if shared is not None and type(value[0]).__dataclass_params__.frozen:
                shared[id(records)] = value  # immutable elements: a copy may reuse them
            return records
        return [_encode(v, frames, (path, "i", i), shared) for i, v in enumerate(value)]
    if isinstance(value, frozenset):  # sorted: the same set always stores the same bytes
        items = sorted(value, key=repr)
        return {"__frozenset__": [_encode(v, frames, (path, "s", None), shared) for v in items]}
    if isinstance(value, tuple):
        if all(type(v) in _PLAIN for v in value):
            return {"__tuple__": list(value)}
        return {
            "__tuple__": [_encode(v, frames, (path, "i", i), shared) for i, v in enumerate(value)]
        }
    if isinstance(value, dict):  # pairs: keeps non-string keys (and their types) as they were
        if all(type(k) in _PLAIN and type(v) in _PLAIN for k, v in value.items()):
            return {"__dict__": [[k, v] for k, v in value.items()]}
        return {
            "__dict__": [
                [
                    _encode(k, frames, (path, "K", None), shared),
                    _encode(v, frames, (path, "k", k), shared),
                ]
                for k, v in value.items()
            ]
        }
    raise TypeError(f"{_where(path)}: cannot store a value of type {type(value).__name__}")


_SCALARS = (str, int, float, bool, type(None))


def _records(values: list[Any]) -> dict[str, Any] | None:
    """A long list of one dataclass with plain fields (`Problem`, `ImageFailure`) by column:
    125k image failures cost 1.1 s as one JSON object each, 0.1 s as columns."""
    if len(values) < 32 or not dataclasses.is_dataclass(values[0]):
        return None
    cls: Any = type(values[0])
    if not cls.__module__.startswith(_PACKAGE) or any(type(v) is not cls for v in values):
        return None
    names = [f.name for f in dataclasses.fields(cls) if f.init]
    columns = {n: [getattr(v, n) for v in values] for n in names}
    if not all(isinstance(x, _SCALARS) for column in columns.values() for x in column):
        return None
    return {"__records__": f"{cls.__module__}:{cls.__qualname__}", "columns": columns}


def _decode(
    tree: Any,
    frames: list[pd.DataFrame],
    in_memory: bool = False,
    shared: dict[int, list[Any]] | None = None,
) -> Any:
    if isinstance(tree, list):
        return [_decode(v, frames, in_memory, shared) for v in tree]
    if not isinstance(tree, dict):
        return tree
    if "__frame__" in tree:
        frame = frames[tree["__frame__"]]
        units = tree.get("datetimes") or {}  # in memory, the units were never lost
        return frame.astype(units) if units and not in_memory else frame
    if "__tuple__" in tree:
        return tuple(_decode(v, frames, in_memory, shared) for v in tree["__tuple__"])
    if "__frozenset__" in tree:
        return frozenset(_decode(v, frames, in_memory, shared) for v in tree["__frozenset__"])
    if "__dict__" in tree:
        return {
            _decode(k, frames, in_memory, shared): _decode(v, frames, in_memory, shared)
            for k, v in tree["__dict__"]
        }
    if "__records__" in tree:
        if shared and id(tree) in shared:
            return list(shared[id(tree)])
        cls = _dataclass(tree["__records__"])
        names = list(tree["columns"])
        rows = zip(*tree["columns"].values(), strict=True)
        return [cls(**dict(zip(names, row, strict=True))) for row in rows]
    if "__dataclass__" in tree:
        cls = _dataclass(tree["__dataclass__"])
        return cls(**{k: _decode(v, frames, in_memory, shared) for k, v in tree["fields"].items()})
    raise ValueError(f"stored output has an unknown node: {sorted(tree)}")


def _dataclass(name: str) -> Any:
    module_name, _, qualname = name.partition(":")
    if not module_name.startswith(_PACKAGE):
        raise ValueError(f"stored output names a class outside briskk_pipeline: {name}")
    found: Any = importlib.import_module(module_name)
    for part in qualname.split("."):
        found = getattr(found, part)
    if not dataclasses.is_dataclass(found):
        raise ValueError(f"stored output names {name}, which is not a dataclass")
    return found
