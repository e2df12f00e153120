"""The corpus: files become works (ingest, duplicates), works become frozen snapshots."""
