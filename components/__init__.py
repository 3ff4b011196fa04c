"""Pulumi ComponentResources of the hybrid GPU platform, one per concern."""
