"""Benchmarks of the running bot: `make bench` (`python -m bench.run`)."""
