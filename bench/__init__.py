"""Benchmarks of Response under load (SPEC §13): ``python -m bench.run``."""
