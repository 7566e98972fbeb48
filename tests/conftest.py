"""Hypothesis profiles: ``ci`` (default) is derandomized — the same examples on every run and machine —
``nightly`` (HYPOTHESIS_PROFILE=nightly) draws 20x more random examples, and ``mutation`` (the mutation
run, tests/mutation/run.py) is ``ci`` without shrinking, so a mutant fails on its first failing example
instead of spending its time budget on a minimal one. See docs/testing.md."""
import os

from hypothesis import HealthCheck, Phase, settings

settings.register_profile("ci", derandomize=True, database=None, deadline=None, max_examples=100,
                          suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("nightly", derandomize=False, deadline=None, max_examples=2000,
                          suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("mutation", settings.get_profile("ci"), phases=[Phase.explicit, Phase.generate])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))
