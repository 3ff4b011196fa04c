"""Pure planning code for the hybrid GPU platform.

Nothing in this package imports ``pulumi``: it holds the stack-config model,
CIDR planning, renderers (cloud-init, Kubernetes objects) and the placement
calculator. An import-linter contract (pyproject.toml) enforces that.
"""
