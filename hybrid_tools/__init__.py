"""Offline tooling around the Pulumi program: plan, policy gate, diff, CLI."""
