# Offline workflow (no Pulumi CLI or cloud needed) and the real one (needs both).
STACK ?= dev
VENV := .venv/bin

.PHONY: setup plan test bench preview up clean

setup:
	bash scripts/setup.sh

plan: setup
	$(VENV)/hybrid-gpu plan --stack $(STACK)

test:
	bash scripts/setup.sh --with-system
	$(VENV)/python -m pytest -q

bench: setup
	$(VENV)/python benchmarks/run_all.py

# Real path: needs the Pulumi CLI, a backend login and Alibaba Cloud credentials.
# The --policy-pack flag cannot live in Pulumi.yaml, hence these targets.
preview:
	pulumi preview --stack $(STACK) --diff --policy-pack policy

up:
	pulumi up --stack $(STACK) --policy-pack policy

clean:
	rm -rf build
