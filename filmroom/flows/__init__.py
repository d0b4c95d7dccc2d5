"""Prefect flows of a migration and the ``filmroom`` command line."""
