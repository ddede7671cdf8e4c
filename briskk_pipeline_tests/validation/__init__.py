"""Tests for briskk_pipeline.validation."""
