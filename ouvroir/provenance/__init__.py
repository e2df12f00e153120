"""Provenance you can verify: signed manifests on every output, model cards and corpus datasheets."""
