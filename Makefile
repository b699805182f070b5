# Response: `make run` to try it, `make test` to test it. `make help` lists the rest.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.DEFAULT_GOAL := help
.PHONY: help run test lint fmt migrate shell worker bench bench-insights bench-pages faults storm check-deploy clean

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F ':.*## ' '{printf "  make %-15s %s\n", $$1, $$2}'

$(STAMP): requirements.txt requirements-dev.txt tests/oidc/package-lock.json
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	@# The OpenID Connect provider the sign-in tests run (node's oidc-provider).
	npm ci --prefix tests/oidc --no-audit --no-fund --loglevel=error
	@touch $(STAMP)

run: $(STAMP) ## Run Response locally: database, migrations, web and worker (Ctrl-C stops all)
	$(BIN)/python -m response.runner

test: $(STAMP) ## Run the whole test suite
	@# pytest's exit code 5 means "no tests collected" (a PYTEST_ARGS filter matched nothing).
	@$(BIN)/python -m pytest $(PYTEST_ARGS); status=$$?; \
	if [ $$status -eq 5 ]; then echo "pytest collected no tests"; exit 0; fi; exit $$status

lint: $(STAMP) ## Check style and lint
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

fmt: $(STAMP) ## Format the code and fix what can be fixed
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

migrate: $(STAMP) ## Apply database migrations
	$(BIN)/python manage.py migrate

shell: $(STAMP) ## A Django shell
	$(BIN)/python manage.py shell

worker: $(STAMP) ## Run only the job worker
	$(BIN)/python manage.py procrastinate worker

bench: $(STAMP) ## Measure acknowledgement latency and Slack calls
	$(BIN)/python -m bench.run $(BENCH_ARGS)

bench-insights: $(STAMP) ## Time /insights/ and /insights.csv over 100,000 incidents
	$(BIN)/python -m bench.insights $(BENCH_INSIGHTS_ARGS)

bench-pages: $(STAMP) ## Time every page and API listing over 100,000 incidents
	$(BIN)/python -m bench.pages $(BENCH_PAGES_ARGS)

faults: $(STAMP) ## The fault drill: 20 incidents under Slack faults and crashes, then a count
	$(BIN)/python -m bench.faults --incidents 20 $(FAULTS_ARGS)

storm: $(STAMP) ## The incident storm: 50 incidents in 20 s under Slack's rate limits, 10 commands each
	$(BIN)/python -m bench.storm $(STORM_ARGS)

clean: ## Remove the virtualenv and local data (the embedded database included)
	rm -rf $(VENV) .data staticfiles
