"""Tests for briskk_pipeline.ingest."""
