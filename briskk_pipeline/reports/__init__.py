"""Brand feedback: the annotated workbook (`upload_report`) and the dry run's changes."""
