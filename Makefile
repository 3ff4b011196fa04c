# Offline workflow (no Pulumi CLI or cloud needed) and the real one (needs both).
STACK ?= dev
VENV := .venv/bin

.PHONY: setup plan policy test bench mutate preview up clean

setup:
	bash scripts/setup.sh

plan: setup
	$(VENV)/hybrid-gpu plan --stack $(STACK)

# Offline policy gate: the policy pack over the offline plan, via the analyzer gRPC protocol.
policy: setup
	$(VENV)/hybrid-gpu policy --stack $(STACK)

test:
	bash scripts/setup.sh --with-system
	$(VENV)/python -m pytest -q

bench: setup
	$(VENV)/python benchmarks/run_all.py

# Mutation score of a bounded set of modules with their fast tests (docs/architecture.md
# records the score; a drop means a test stopped checking behaviour). Minutes, not seconds.
mutate: setup
	$(VENV)/python scripts/mutate.py

# Real path: needs the Pulumi CLI, a backend login and Alibaba Cloud credentials.
# The --policy-pack flag cannot live in Pulumi.yaml, hence these targets.
preview:
	pulumi preview --stack $(STACK) --diff --policy-pack policy --policy-pack-config policy/config/$(STACK).json

up:
	pulumi up --stack $(STACK) --policy-pack policy --policy-pack-config policy/config/$(STACK).json

clean:
	rm -rf build
