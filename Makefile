# pressup developer tasks. Each target installs what it needs into .venv first.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test test-slow test-postgres postgres chromium lint bench eval clean

$(STAMP): pyproject.toml web/package-lock.json
	@command -v npm >/dev/null || { echo "pressup's live coach page needs Node.js (npm) for @mediapipe/pose"; exit 1; }
	@$(PY) -c 'import sys; v=sys.version_info[:2]; sys.exit(0 if (3,9)<=v<=(3,12) else "pressup needs Python 3.9-3.12 (mediapipe 0.10.21); found %d.%d" % v)'
	$(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	npm ci --prefix web --no-audit --no-fund
	@touch $(STAMP)

## demo: analyse a generated session and write out/demo/report.html
demo: $(STAMP)
	$(BIN)/pressup demo --out out/demo

## chromium: the browser of tests/integration/test_e2e_browser.py (Debian package; never fatal)
chromium:
	@command -v chromium >/dev/null || (apt-get install -y chromium >/dev/null 2>&1 || (apt-get update >/dev/null && apt-get install -y chromium >/dev/null)) || echo "chromium not installed: browser tests will be skipped"

## test: lint, type-check, the default (fast) test suite, then the clinic's tests on a
## throw-away PostgreSQL cluster (test-postgres)
test: $(STAMP) chromium
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks
	$(BIN)/mypy
	$(BIN)/python -m pytest -q
	$(MAKE) test-postgres

## postgres: PostgreSQL's server binaries for test-postgres (Debian package)
postgres:
	@command -v initdb >/dev/null || ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || (apt-get install -y postgresql >/dev/null 2>&1 || (apt-get update >/dev/null && apt-get install -y postgresql >/dev/null))

## test-postgres: the server and storage tests on a throw-away PostgreSQL cluster (fails, never
## skips, when PostgreSQL cannot be started)
test-postgres: $(STAMP) postgres
	PRESSUP_REQUIRE_POSTGRES=1 PYTHON=$(BIN)/python scripts/pg-throwaway $(BIN)/python -m pytest -q -m postgres

## test-slow: MediaPipe over the shared real and rendered clips (needs ../shared/data)
test-slow: $(STAMP) chromium
	$(BIN)/python -m pytest -q -m slow

## bench: engine and pipeline speed figures
bench: $(STAMP)
	$(BIN)/python benchmarks/bench_engine.py
	$(BIN)/python benchmarks/bench_pipeline.py

## eval: analyse every shared clip and score it (writes docs/accuracy.md)
eval: $(STAMP)
	$(BIN)/python benchmarks/evaluate_shared.py --markdown docs/accuracy-details.md

clean:
	rm -rf $(VENV) out
