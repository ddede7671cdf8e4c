"""`ObjectStoreIOManager`: every asset output in the object store, so any process can load it.

Dagster's default IO manager pickles outputs under `$DAGSTER_HOME/storage` on the machine that
ran the step: a run launched in a new container (Docker, Kubernetes run launchers), or a
re-materialization of `products`/`skus` alone from the UI, could not load `validated_rows` and
`product_images` from there. This one writes them to the `object_store` resource (S3 when
`S3_BUCKET` is set, `$BRISKK_HOME/objects` otherwise):

    outputs/<asset key>/<partition key>/value.json        the manifest (storage/codec.py)
    outputs/<asset key>/<partition key>/frame-<i>.parquet  each pandas frame of the output

(an unpartitioned asset has no partition part; an op's output goes to
`outputs/runs/<run id>/<step>/<output>/`). The frames are written first and the manifest last,
so a reader finds either the previous complete output or the new one's frames with it.
`ingest/retention.py` deletes an upload's folders (`upload_output_prefixes`).
"""

from typing import Any

import pandas as pd
from dagster import (
    ConfigurableIOManager,
    InitResourceContext,
    InputContext,
    OutputContext,
    ResourceDependency,
)
from pydantic import PrivateAttr

from briskk_pipeline.resources import ObjectStore
from briskk_pipeline.storage import codec

ROOT = "outputs"
MANIFEST = "value.json"


def output_prefix(identifier: list[str]) -> str:
    """`outputs/<part>/.../` for an asset identifier (asset key path, then partition key)."""
    for part in identifier:
        if not part or "/" in part or part in (".", ".."):
            raise ValueError(f"cannot store an output under the name part {part!r}")
    return "/".join([ROOT, *identifier]) + "/"


def frame_key(prefix: str, index: int) -> str:
    return f"{prefix}frame-{index}.parquet"


# An output this IO manager stored during the current run: its manifest document and frames.
_Held = tuple[dict[str, Any], list[pd.DataFrame], dict[int, list[Any]]]


def store_output(store: ObjectStore, prefix: str, value: Any) -> tuple[str, int]:
    """Write `value` under `prefix` (frames, then the manifest); its URI and bytes written."""
    uri, written, _ = _store(store, prefix, value)
    return uri, written


def _store(store: ObjectStore, prefix: str, value: Any) -> tuple[str, int, _Held]:
    shared: dict[int, list[Any]] = {}
    document, frames = codec.encode_document(value, shared)
    manifest = codec.dump(document)
    written = len(manifest)
    for index, frame in enumerate(frames):
        data = codec.frame_to_parquet(frame)
        store.put(frame_key(prefix, index), data, "application/vnd.apache.parquet")
        written += len(data)
    uri = store.put(prefix + MANIFEST, manifest, "application/json")
    return uri, written, (document, frames, shared)


def load_output(store: ObjectStore, prefix: str, what: str) -> Any:
    """The value `store_output` wrote under `prefix`.

    Raises `FileNotFoundError` naming `what` when nothing is stored there (never
    materialized, or pruned by the retention schedule: `briskk rerun UPLOAD_ID` makes it again).
    """
    key = prefix + MANIFEST
    if not store.exists(key):
        raise FileNotFoundError(
            f"no stored output of {what} at {store.uri(key)}: it was never materialized, or "
            "the retention schedule pruned it (`briskk rerun UPLOAD_ID` runs the upload again)"
        )
    document = codec.parse(store.get(key))
    frames = [
        codec.frame_from_parquet(store.get(frame_key(prefix, i)))
        for i in range(int(document["frames"]))
    ]
    return codec.decode_document(document, frames)


class ObjectStoreIOManager(ConfigurableIOManager):
    """Stores each output in `object_store`: frames as Parquet, the rest as JSON (module doc).

    Within one run executed in one process (`execute_in_process`, the in-process executor of
    `briskk ingest`, the API and the tests), a step's input that an earlier step of the same
    run stored is handed over from memory: a fresh copy rebuilt from what was stored
    (`codec.rebuild`), equal to what loading it would give, without reading the Parquet back.
    Dagster builds the IO manager anew for each run (resource initialisation), so what is held
    lives as long as the run's resources. Steps in other processes (the multiprocess executor,
    a re-materialization) load from the object store as before.
    """

    object_store: ResourceDependency[ObjectStore]
    _held: dict[str, _Held] = PrivateAttr(default_factory=dict)

    def teardown_after_execution(self, context: InitResourceContext) -> None:
        """The run is over: what it held for its later steps is let go. Dagster keeps the
        run's step contexts, and with them this IO manager, referenced after
        `execute_in_process` returns: a 100k-row upload's outputs stayed in memory while
        `briskk ingest` read and printed its summary."""
        self._held.clear()

    def _prefix(self, context: OutputContext) -> str:
        if context.has_asset_key:
            return output_prefix(list(context.get_asset_identifier()))
        return output_prefix(["runs", *context.get_identifier()])

    def handle_output(self, context: OutputContext, obj: Any) -> None:
        prefix = self._prefix(context)
        uri, written, held = _store(self.object_store, prefix, obj)
        self._held[prefix] = held
        context.add_output_metadata({"stored_at": uri, "stored_bytes": written})

    def load_input(self, context: InputContext) -> Any:
        if context.has_asset_key:
            identifier = list(context.get_asset_identifier())
            prefix = output_prefix(identifier)
            what = " of upload ".join(["/".join(context.asset_key.path), *identifier[-1:]])
            if not context.has_asset_partitions:
                what = "/".join(context.asset_key.path)
        else:
            upstream = context.upstream_output
            if upstream is None:
                raise ValueError("an op input without an upstream output cannot be loaded")
            prefix = self._prefix(upstream)
            what = f"step {upstream.step_key} output {upstream.name}"
        held = self._held.get(prefix)
        if held is not None:
            return codec.rebuild(*held)
        return load_output(self.object_store, prefix, what)
