"""The diarization error rate of the test corpus, checked on its own."""

from __future__ import annotations

import pytest

from optivus_testing.diarization import Turn, diarization_error_rate as der

REFERENCE = [Turn(0, 0.0, 10.0), Turn(1, 10.0, 20.0)]


def test_a_perfect_answer_scores_zero_whatever_the_names():
    assert der(REFERENCE, [Turn("x", 0.0, 10.0), Turn("y", 10.0, 20.0)]) == 0.0


def test_one_speaker_for_everything_is_half_wrong():
    assert der(REFERENCE, [Turn("x", 0.0, 20.0)], collar=0.0) == pytest.approx(0.5)


def test_missed_speech_and_false_alarm_count():
    assert der(REFERENCE, [Turn("x", 0.0, 10.0)], collar=0.0) == pytest.approx(0.5)  # second half missed
    hypothesis = [Turn("x", 0.0, 10.0), Turn("y", 10.0, 20.0), Turn("y", 25.0, 30.0)]
    assert der(REFERENCE, hypothesis, collar=0.0) == pytest.approx(0.25)  # 5 s said where nobody spoke


def test_the_collar_forgives_boundaries_only():
    late = [Turn("x", 0.0, 10.2), Turn("y", 10.2, 20.0)]
    assert der(REFERENCE, late, collar=0.0) == pytest.approx(0.01)
    assert der(REFERENCE, late, collar=0.25) == 0.0
    assert der(REFERENCE, [Turn("x", 0.0, 11.0), Turn("y", 11.0, 20.0)], collar=0.25) > 0


def test_the_mapping_is_one_to_one():
    # Three hypothesis speakers for two: the third one's time is confusion.
    hypothesis = [Turn("a", 0.0, 10.0), Turn("b", 10.0, 15.0), Turn("c", 15.0, 20.0)]
    assert der(REFERENCE, hypothesis, collar=0.0) == pytest.approx(0.25)
