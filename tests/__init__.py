"""The test suite of aiodo_projects."""
