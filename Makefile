# pressup developer tasks. Each target installs what it needs into .venv first.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test test-slow test-postgres postgres chromium lint bench load eval clean

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

## load: the live-session load figures of docs/clinic.md ("Load"): CPU per frame stage by stage,
## then the coach (1 and 3 frames a message) and pressup serve with 2 workers (SQLite, then
## PostgreSQL) at 25..300 sessions; about 10 minutes, best on an otherwise idle machine
LOAD_STEPS ?= 25,50,100,200,300
load: $(STAMP) postgres
	$(BIN)/python benchmarks/frame_cost.py --batch 1
	$(BIN)/python benchmarks/frame_cost.py --batch 3
	$(BIN)/python benchmarks/load_ws.py --sessions $(LOAD_STEPS) --seconds 10 --batch 1
	$(BIN)/python benchmarks/load_ws.py --sessions $(LOAD_STEPS) --seconds 10 --batch 3
	$(BIN)/python benchmarks/load_ws.py --target serve --workers 2 --sessions $(LOAD_STEPS) --seconds 10 --batch 3
	PYTHON=$(BIN)/python scripts/pg-throwaway $(BIN)/python benchmarks/load_ws.py --target serve --database postgres --workers 2 --sessions $(LOAD_STEPS) --seconds 10 --batch 3

## eval: analyse every shared clip and score it (writes docs/accuracy.md)
eval: $(STAMP)
	$(BIN)/python benchmarks/evaluate_shared.py --markdown docs/accuracy-details.md

clean:
	rm -rf $(VENV) out
