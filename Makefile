# Two commands work on a fresh machine with Python 3.11 and make:
#   make demo   — build a studio from a public-domain corpus, train, generate, audit
#   make test   — run the test suite
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo demo-music demo-images test install clean bench

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test,demo]'
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/python -m ouvroir.demo

demo-music: $(STAMP)
	$(BIN)/python -m ouvroir.demo_music

demo-images: $(STAMP)
	$(BIN)/python -m ouvroir.demo_images

test: $(STAMP)
	$(BIN)/python -m pytest -n 2 --dist loadfile -q

bench: $(STAMP)
	$(BIN)/python bench/ingest.py
	$(BIN)/python bench/audit_index.py
	$(BIN)/python bench/audit_diversity.py

clean:
	rm -rf $(VENV) demo-studio demo-studio-music demo-studio-images .pytest_cache
