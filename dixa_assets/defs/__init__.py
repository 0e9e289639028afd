"""The code location's Dagster objects, one subpackage per part of the flow;
``dixa_assets.definitions`` merges each part's ``definitions.build``."""
