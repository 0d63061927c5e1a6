"""Benchmark of the gateway against the Docker Engine API it wraps.

``python -m bench`` measures, in one run, the same operations three ways:
the engine API called directly over its Unix socket (the floor), the
gateway's REST API and its SOAP API. It writes ``docs/benchmarks.md`` and
the plots in ``docs/bench/``. See ``python -m bench --help``.
"""
