"""Prefect tasks of a migration: thin wrappers over the plain functions in the step packages."""
