"""Scale benchmarks. They print figures and assert nothing; ``bench/run.py`` is the entry point."""
