"""Fixtures shared by every test. Each fixture module lives in `fixtures/` and is a plugin."""

pytest_plugins = [
    "briskk_pipeline_tests.fixtures.postgres",
    "briskk_pipeline_tests.fixtures.s3",
    "briskk_pipeline_tests.fixtures.http",
    "briskk_pipeline_tests.fixtures.cli",
]
