"""Hypothesis profiles: ``ci`` (default) is derandomized — the same examples on every run and machine —
and ``nightly`` (HYPOTHESIS_PROFILE=nightly) draws 20x more random examples. See docs/testing.md."""
import os

from hypothesis import HealthCheck, settings

settings.register_profile("ci", derandomize=True, database=None, deadline=None, max_examples=100,
                          suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("nightly", derandomize=False, deadline=None, max_examples=2000,
                          suppress_health_check=[HealthCheck.too_slow])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))
