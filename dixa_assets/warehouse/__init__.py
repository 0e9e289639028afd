"""The DuckDB warehouse (Dagster-free): the database file under this project's lock, the tables
of schema ``dixa`` and the SQL that builds and checks each of them.

* :mod:`.database`: the exclusive lock, the schema, table names qualified by catalog;
* :mod:`.tables`: the table names, named once;
* :mod:`.writes`: whole days replaced in one transaction, columns described;
* one module per table with its SQL: :mod:`.conversations`, :mod:`.conversation_messages`,
  :mod:`.daily_support_metrics`, :mod:`.conversation_events`, :mod:`.conversation_handling`,
  :mod:`.daily_team_metrics`; :mod:`.dimension_history` registers the dimension histories they
  read.

The assets that run it are in :mod:`dixa_assets.defs.modelled`; :mod:`dixa_assets.erasure` uses
it too.
"""
