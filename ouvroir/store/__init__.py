"""The studio's store: SQLite (WAL, versioned migrations) and content-addressed blobs."""
