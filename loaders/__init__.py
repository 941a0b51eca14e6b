"""Records to SQLite: schema, upserts, full-text search."""
