"""Tests for briskk_pipeline.catalog."""
