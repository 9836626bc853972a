"""The decision ledger's columns (`decisions`, docs/spec/contract.md "Tables written"), in DuckDB's types: their one
definition. flows/store/layout.py creates the table from it and checks a database's against it (without loading
polars: `explain` checks the layout); transforms/selection.LEDGER_SCHEMA is its polars form."""

LEDGER_COLUMNS = {
    "application_id": "VARCHAR", "person_id": "VARCHAR", "program": "VARCHAR", "stream": "VARCHAR",
    "selection_year": "INTEGER", "submitted_at": "TIMESTAMP WITH TIME ZONE", "status": "VARCHAR",
    "rank_in_stream": "BIGINT", "rank_in_program": "BIGINT", "stream_cap": "BIGINT", "program_cap": "BIGINT",
    "cap_applied": "VARCHAR", "late_arrival": "BOOLEAN",
    "decided_run_id": "VARCHAR", "decided_at": "TIMESTAMP WITH TIME ZONE", "engine_version": "VARCHAR",
    "config_sha256": "VARCHAR", "application_key": "VARCHAR", "person_key": "VARCHAR", "evaluation_id": "BIGINT",
    "promoted": "BOOLEAN",
}
