"""Benchmarks of the mountcursor model and verifier (``python -m benchmarks``; see README.md)."""
