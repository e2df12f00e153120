"""The audit: what a model (or any text) copies from the corpus and from whom, how much it
flattens the corpus's diversity, and how close it stays to its authors' styles.

Stages, each a module with plain inputs and outputs:
index (suffix array per corpus) → copying (verbatim spans, reconstructibility) →
attribution (credit per work and author) → diversity (uniformization against matched
corpus excerpts) → style (Burrows' Delta) → run (orchestration, stored JSON) → ouvroir.report.
"""
