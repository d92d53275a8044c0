"""The store: engine and pragmas, migrations, bulk writes, reads and full-text search."""
