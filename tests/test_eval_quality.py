"""The labelled development evaluation as a quality gate (targets: precision and recall ≥ 0.95)."""

from __future__ import annotations

from tests.eval.__main__ import load_cases, run


def test_development_evaluation_meets_targets() -> None:
    result = run(load_cases("*.yaml"), verbose=False)
    assert result["cases"] >= 150
    assert result["precision"] >= 0.95, result["wrong"]
    assert result["recall"] >= 0.95, result["wrong"]
    assert result["excerpt_contains_key_phrase"] >= 0.95, result["wrong"]
