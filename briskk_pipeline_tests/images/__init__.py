"""Tests for briskk_pipeline.images."""
