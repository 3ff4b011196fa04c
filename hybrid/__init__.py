"""Pure planning code for the hybrid GPU platform.

Nothing in this package imports ``pulumi``: it holds the stack-config model,
CIDR planning, renderers (cloud-init, Kubernetes objects) and the placement
calculator. ``tests/test_purity.py`` enforces that.
"""
