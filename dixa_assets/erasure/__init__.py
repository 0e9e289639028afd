"""Erasure: once Dixa anonymizes a conversation, no personal data of it stays anywhere we store it.

* :mod:`.personal`: which columns hold personal data and how each is erased (one declaration,
  used for the raw Parquet days, the DuckDB tables and the check that nothing is left);
* :mod:`.lake`: the anonymized conversations, and the raw days rewritten without their data;
* :mod:`.database`: the DuckDB tables erased in one transaction, the audit table, and the
  database file rewritten so that erased values are not left in its freed blocks;
* :mod:`.procedure`: the whole procedure, safe to kill at any point and to run again.

Dagster-free; the asset ``dixa_erasures`` (:mod:`dixa_assets.defs.privacy.erasures`) runs it.
"""
