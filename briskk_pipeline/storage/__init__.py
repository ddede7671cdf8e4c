"""Where asset outputs live between steps: the object store, as Parquet and JSON."""
