"""Executors: local and Ray (the only package importing ray)."""
