"""The learning engine: token ids in, weights and samples out.

tokenizer → data → model (+ optim, averaging, cpu_parallel) → train (sizing, loss_eval,
checkpoint) → generate (sampling, cpu_decode) → export_hf. It imports nothing of the
studio, the store, the media, the web studio or the command line (a contract in
pyproject.toml, run by the tests, keeps it so).
"""
