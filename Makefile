# Offline workflow (no Pulumi CLI or cloud needed) and the real one (needs both).
STACK ?= dev
VENV := .venv/bin

.PHONY: setup setup-runtime plan policy test bench mutate cli-check preview up drift clean

setup:
	bash scripts/setup.sh

# What the program and the policy pack need at run time: no test tools (plan, policy, preview, up, drift).
setup-runtime:
	bash scripts/setup.sh --runtime

plan: setup-runtime
	$(VENV)/hybrid-gpu plan --stack $(STACK)

# Offline policy gate: the policy pack over the offline plan, via the analyzer gRPC protocol.
policy: setup-runtime
	$(VENV)/hybrid-gpu policy --stack $(STACK)

test:
	bash scripts/setup.sh --with-system
	$(VENV)/python -m pytest -q

bench: setup
	$(VENV)/python benchmarks/run_all.py

# Mutation score of a bounded set of modules with their fast tests (docs/architecture.md
# records the score; a drop means a test stopped checking behaviour). Minutes, not seconds.
mutate: setup
	nice -n 10 $(VENV)/python scripts/mutate.py --max-children 1 $(MUTATE)

# Real path: from a machine inside the data center, with the Pulumi CLI of the version pinned in
# requirements.txt, PULUMI_BACKEND_URL (the OSS state bucket), PULUMI_CONFIG_PASSPHRASE and
# Alibaba Cloud credentials: docs/pipeline.md. The --policy-pack flag cannot live in Pulumi.yaml.
PULUMI_VERSION := $(shell sed -n 's/^pulumi==//p' requirements.txt)

cli-check:
	@v=$$(pulumi version 2>/dev/null); [ "$$v" = "v$(PULUMI_VERSION)" ] || { echo "need Pulumi CLI v$(PULUMI_VERSION) (the SDK pin), found '$$v': curl -fsSL https://get.pulumi.com | sh -s -- --version $(PULUMI_VERSION)"; exit 1; }
	@[ -n "$$PULUMI_BACKEND_URL" ] || { echo "set PULUMI_BACKEND_URL to the OSS state bucket (docs/pipeline.md)"; exit 1; }

preview: setup-runtime cli-check
	pulumi preview --stack $(STACK) --diff --policy-pack policy --policy-pack-config policy/config/$(STACK).json

up: setup-runtime cli-check
	pulumi up --stack $(STACK) --policy-pack policy --policy-pack-config policy/config/$(STACK).json

# Refresh in preview mode; exit 1 naming what drifted (the nightly drift workflow runs the same).
drift: setup-runtime cli-check
	bash scripts/drift.sh $(STACK)

clean:
	rm -rf build
