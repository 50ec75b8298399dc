"""The contract every registered detector keeps (parametrised over the entry-point group)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from highlight import HighlightError
from highlight.registry import DETECTORS, installed
from highlight.scorers import detector_class, get_scorer
from highlight.source import VideoSource

DETECTOR_NAMES = sorted(installed(DETECTORS))


def test_the_bundled_detector_is_registered_through_its_entry_point():
    assert installed(DETECTORS)["motion"].value == "highlight.scorers.motion:MotionScorer"


@pytest.fixture(scope="module")
def frames(shared):
    """Frames of a real clip with someone walking through, in time order (and the open source)."""
    with VideoSource(shared / "data" / "videos" / "pedestrians_cdnet.mp4") as source:
        picked = [frame for frame, _ in source.sample([2.0])]
        yield source, picked


@pytest.mark.parametrize("name", DETECTOR_NAMES)
def test_scores_are_one_per_image_in_unit_range(name, frames):
    source, picked = frames
    scorer = get_scorer(name, sample_fps=2.0)
    scorer.prepare(source)
    images = [scorer.image_for(frame) for frame in picked[:40]]
    scores = np.concatenate(
        [scorer.score(images[k : k + scorer.batch_size]) for k in range(0, len(images), scorer.batch_size)]
    )
    assert scores.shape == (len(images),)
    assert np.all((scores >= 0) & (scores <= 1))


@pytest.mark.parametrize("name", DETECTOR_NAMES)
def test_learn_false_leaves_the_state_unchanged(name, frames):
    """Frames scored out of order (edges) must not change what the regular samples score."""
    source, picked = frames
    plain, probed = get_scorer(name, sample_fps=2.0), get_scorer(name, sample_fps=2.0)
    plain.prepare(source)
    probed.prepare(source)
    images = [plain.image_for(frame) for frame in picked[:40]]
    expected = [float(plain.score([image])[0]) for image in images]
    seen = []
    for k, image in enumerate(images):
        probed.score([images[-1 - k]], learn=False)  # out of order, not learned
        seen.append(float(probed.score([image])[0]))
    assert seen == pytest.approx(expected, abs=1e-9)


@pytest.mark.parametrize("name", DETECTOR_NAMES)
def test_describe_is_json_and_lists_every_option(name):
    scorer = get_scorer(name, sample_fps=2.0)
    described = json.loads(json.dumps(scorer.describe()))
    assert described["name"] == name
    assert set(described) >= {option.name for option in detector_class(name).options}


def test_options_are_checked_and_reach_the_detector():
    scorer = get_scorer("motion", sample_fps=2.0, options={"history": "60s", "width": 96})
    assert scorer.history == 60.0 and scorer.width == 96 and scorer.describe()["history"] == 60.0
    with pytest.raises(HighlightError, match="motion.width: 'wide'"):
        get_scorer("motion", options={"width": "wide"})
    with pytest.raises(HighlightError, match="motion has no option 'histroy'"):
        get_scorer("motion", options={"histroy": 60})
    with pytest.raises(HighlightError, match="unknown detector 'nope'.*installed: motion"):
        get_scorer("nope")
