"""Placeholder; the weights engineer replaces this."""
