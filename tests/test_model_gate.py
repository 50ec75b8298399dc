"""``--model`` behind the motion gate: the classifier sees only samples where something moves."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from highlight.pipeline import analyse, make_scorer
from highlight.settings import RunSettings
from highlight.source import VideoSource
from tests.conftest import write_model_description

SIZE = 32


def small_model_folder(folder: Path) -> Path:
    """A real (tiny, untrained, seeded) Keras classifier saved as ``highlight train`` would: deterministic scores."""
    import keras

    keras.utils.set_random_seed(0)
    inputs = keras.Input((SIZE, SIZE, 3))
    features = keras.layers.GlobalAveragePooling2D()(keras.layers.Conv2D(4, 3, activation="relu")(inputs))
    model = keras.Model(inputs, keras.layers.Dense(1, activation="sigmoid")(features))
    write_model_description(folder, SIZE)
    model.save(folder / "model.keras")
    return folder


def timeline(video: Path, settings: RunSettings):
    with VideoSource(video) as source:
        return analyse(source, make_scorer(settings), settings)


@pytest.mark.slow
def test_gate_sends_only_moving_samples_to_the_classifier(samples, tmp_path):
    folder, truth = samples
    model = small_model_folder(tmp_path / "model")
    video = folder / "court.mp4"  # two visits in 24 s, an empty court between and around them
    gated = timeline(video, RunSettings(model=str(model), clips=False))
    plain = timeline(video, RunSettings(model=str(model), clips=False, model_gate=False))

    counts = gated.decode_stats
    regular = ~gated.refined
    assert counts["samples_gated"] > 0 and counts["samples_classified"] > 0
    assert counts["samples_gated"] + counts["samples_classified"] == np.count_nonzero(regular)
    assert np.count_nonzero(gated.scores[regular] == 0.0) >= counts["samples_gated"]  # quiet samples score 0
    # Where the gate let a sample through, the classifier scored it as it does without the gate.
    plain_scores = dict(zip(np.round(plain.times, 4), plain.scores))
    through = [(t, s) for t, s in zip(gated.times[regular], gated.scores[regular]) if s > 0]
    assert through and all(plain_scores[round(t, 4)] == pytest.approx(s, abs=1e-5) for t, s in through)
    # Every classified sample lies in a visit or just after (the gate holds open for the merge gap),
    # none on the empty court far from them.
    visits, near = truth["court.mp4"], RunSettings().intervals.merge_gap + 1.0
    assert all(any(start - near <= t <= end + near for start, end in visits) for t, _ in through), (through, visits)


@pytest.mark.slow
def test_a_dear_scorer_scores_every_third_frame_at_an_edge_and_lands_it_where_every_frame_does(samples):
    """A scorer as dear as a classifier refines an edge with a third of the frames between two samples.

    The motion detector, told to refine like the classifier, against itself scoring every
    frame: the same regular samples, so any difference in the edges is the refinement's.
    """
    from highlight.intervals import find_intervals, temporal_iou

    folder, truth = samples
    video = folder / "court.mp4"
    settings = RunSettings(clips=False)
    found, refined = {}, {}
    for every in (1, 3):
        scorer = make_scorer(settings)
        scorer.refine_every = every
        with VideoSource(video) as source:
            analysis = analyse(source, scorer, settings)
            duration = source.info.duration
        found[every] = find_intervals(analysis.times, analysis.scores, settings.intervals, duration)
        refined[every] = int(np.count_nonzero(analysis.refined))
    assert len(found[3]) == len(found[1]) == len(truth["court.mp4"])
    for a, b in zip(found[3], found[1]):
        assert temporal_iou((a.start, a.end), (b.start, b.end)) >= 0.95, (found[3], found[1])
        assert abs(a.start - b.start) <= 0.1 and abs(a.end - b.end) <= 0.1, (found[3], found[1])
    assert 0 < refined[3] <= refined[1] / 2.5, refined
