"""Getting uploads in: reading xlsx/csv into `raw_sheet`, registering uploads, the inbox."""
