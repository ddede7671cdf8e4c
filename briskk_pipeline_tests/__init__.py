"""Tests for briskk_pipeline; the layout mirrors the package."""
