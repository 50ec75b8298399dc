"""The default detector on real footage nobody here made, against its ground truth."""

from __future__ import annotations

import pytest

from highlight.batch import run_batch
from highlight.export import manifest as manifests
from highlight.intervals import temporal_iou
from highlight.settings import RunSettings


@pytest.mark.slow
def test_pedestrians_presence_intervals(shared, dev_labels, tmp_path):
    truth = dev_labels["presence"]["pedestrians_cdnet.mp4"]["intervals_s"]
    settings = RunSettings(clips=False).with_changes({"pad_before": 0.0, "pad_after": 0.0})
    report = run_batch([shared / "data" / "videos" / "pedestrians_cdnet.mp4"], settings, out=tmp_path, quiet=True)
    assert not report.failed
    manifest = manifests.load(tmp_path / "pedestrians_cdnet")
    found = [(i.start, i.end) for i in manifest.intervals]
    for labelled in truth:
        assert max(temporal_iou(labelled, f) for f in found) >= 0.8, (labelled, found)
    for f in found:  # no highlight outside the labelled ones
        assert max(temporal_iou(labelled, f) for labelled in truth) > 0, (f, truth)
    for labelled, f in zip(truth, found):  # edges where the person enters and leaves
        assert abs(f[0] - labelled[0]) <= 0.3 and abs(f[1] - labelled[1]) <= 0.3
