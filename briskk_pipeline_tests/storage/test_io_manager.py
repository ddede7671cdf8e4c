"""`ObjectStoreIOManager` hands a run's outputs to its later steps from memory, as copies, and
loads them from the object store in any other run (storage/io_manager.py)."""

from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from dagster import asset, materialize

from briskk_pipeline.resources import LocalObjectStore, ObjectStore
from briskk_pipeline.storage.io_manager import ObjectStoreIOManager, load_output, output_prefix
from briskk_pipeline.validation.report import Problem


@asset
def first() -> dict[str, Any]:
    frame = pd.DataFrame(
        {"sku_id": ["A-1", "A-2"], "price": [1299.5, 17.0]},
        index=pd.Index([2, 3], name="row"),
    )
    problems = [Problem(row=r, column="price", value=None, message="required") for r in range(40)]
    return {"frame": frame, "notes": ["typed once"], "problems": problems}


@asset
def second(first: dict[str, Any], object_store: ObjectStore) -> int:
    """Changes its input in place, then deletes `first`'s stored output."""
    first["frame"].loc[2, "price"] = 0.0
    first["frame"]["extra"] = "x"
    first["notes"].append("changed by second")
    first["problems"].append(Problem(row=99, column="x", value=None, message="added by second"))
    return object_store.delete_prefix(output_prefix(["first"]))


@asset
def third(first: dict[str, Any], second: int) -> dict[str, Any]:
    """What a later step of the same run sees of `first`."""
    return {
        "prices": first["frame"]["price"].tolist(),
        "columns": list(first["frame"].columns),
        "index": first["frame"].index.tolist(),
        "notes": first["notes"],
        "problems": first["problems"],
        "deleted": second,
    }


def _resources(root: Path) -> dict[str, Any]:
    store = LocalObjectStore(root=str(root))
    return {"object_store": store, "io_manager": ObjectStoreIOManager(object_store=store)}


def test_a_later_step_of_the_run_gets_an_unchanged_copy_from_memory(tmp_path: Path) -> None:
    resources = _resources(tmp_path)
    assert materialize([first, second, third], resources=resources).success

    seen = load_output(resources["object_store"], output_prefix(["third"]), "third")
    # `second` deleted first's frame and manifest (2 objects): `third` still had it, from memory
    assert seen["deleted"] == 2
    # and `second`'s changes to its own copy did not reach it
    assert seen["prices"] == [1299.5, 17.0]
    assert seen["columns"] == ["sku_id", "price"]
    assert seen["index"] == [2, 3]
    assert seen["notes"] == ["typed once"]
    # a long list of frozen records comes back as a new list (the same immutable elements)
    assert seen["problems"] == [
        Problem(row=r, column="price", value=None, message="required") for r in range(40)
    ]


def test_another_run_loads_from_the_object_store(tmp_path: Path) -> None:
    resources = _resources(tmp_path)
    assert materialize([first], resources=resources).success
    # a new run (new IO manager) of `second` alone reads `first` back from the store
    assert materialize([first, second], selection=[second], resources=resources).success
    assert load_output(resources["object_store"], output_prefix(["second"]), "second") == 2

    # `second` deleted it: nothing in memory of that run survives into the next one
    with pytest.raises(FileNotFoundError, match="no stored output of first"):
        materialize([first, second, third], selection=[third], resources=resources)


def test_the_run_lets_go_of_what_it_held_when_it_ends(tmp_path: Path) -> None:
    """Dagster keeps a run's step contexts (and its IO manager) referenced after the run
    returns; the IO manager's teardown empties what it held for later steps, so a finished
    100k-row run does not keep its outputs in memory twice."""
    import gc

    resources = _resources(tmp_path)
    result = materialize([first, second, third], resources=resources)
    assert result.success
    gc.collect()
    managers = [o for o in gc.get_objects() if isinstance(o, ObjectStoreIOManager)]
    held = [m for m in managers if m._held]
    assert managers and not held
    assert result.output_for_node("third")["prices"] == [1299.5, 17.0]  # results still there
