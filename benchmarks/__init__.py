"""``make bench``: whole campaigns through the real API and workers, next to the limit and the naive way.

Not a test suite: :mod:`benchmarks.run` starts PostgreSQL-backed web and worker
processes, a local SMTP sink and Redis clients, and prints/records figures. See
``docs/performance.rst``.
"""
