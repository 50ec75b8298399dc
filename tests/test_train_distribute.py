"""Several machines: TF_CONFIG from --worker-hosts/--worker-index, and the errors for bad ones.

The training itself on two worker processes is in test_train_model.py (it shares the
single-worker model it is compared with).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from highlight import HighlightError
from highlight.train.distribute import TF_CONFIG, WorkerCluster, cluster_config, resolve_cluster


def test_flags_become_tf_config_for_tensorflow():
    environ: dict[str, str] = {}
    cluster = resolve_cluster("pc1:12345, pc2:12345", 1, environ)
    assert cluster == WorkerCluster(("pc1:12345", "pc2:12345"), 1) and not cluster.is_chief
    assert json.loads(environ[TF_CONFIG]) == {
        "cluster": {"worker": ["pc1:12345", "pc2:12345"]},
        "task": {"type": "worker", "index": 1},
    }


def test_flags_win_over_an_inherited_tf_config_and_none_means_one_machine():
    environ = {TF_CONFIG: json.dumps(cluster_config("a:1,b:2,c:3", 2))}
    assert resolve_cluster(None, None, environ) == WorkerCluster(("a:1", "b:2", "c:3"), 2)
    assert resolve_cluster("x:1,y:2", 0, environ).is_chief
    assert json.loads(environ[TF_CONFIG])["cluster"]["worker"] == ["x:1", "y:2"]
    assert resolve_cluster(None, None, {}) is None


def test_a_chief_task_in_tf_config_is_worker_zero():
    config = {"cluster": {"chief": ["c:1"], "worker": ["w:1", "w:2"]}, "task": {"type": "worker", "index": 0}}
    cluster = resolve_cluster(None, None, {TF_CONFIG: json.dumps(config)})
    assert cluster == WorkerCluster(("c:1", "w:1", "w:2"), 1) and cluster.count == 3
    config["task"] = {"type": "chief", "index": 0}
    assert resolve_cluster(None, None, {TF_CONFIG: json.dumps(config)}).is_chief


@pytest.mark.parametrize(
    ("hosts", "index", "expected"),
    [
        ("pc1:12345,pc2:12345", 2, "must be 0 to 1"),
        ("pc1:12345,pc2:12345", -1, "must be 0 to 1"),
        ("pc1,pc2:12345", 0, "'pc1' is not host:port"),
        ("pc1:port,pc2:12345", 0, "is not host:port"),
        ("pc1:70000", 0, "is not host:port"),
        (":12345", 0, "is not host:port"),
        ("pc1:1,pc1:1", 0, "listed twice"),
        (" , ", 0, "give host:port of every machine"),
        ("pc1:1,pc2:2", None, "go together"),
        (None, 0, "go together"),
    ],
)
def test_bad_flags_give_one_line_errors(hosts, index, expected):
    with pytest.raises(HighlightError, match=expected) as error:
        resolve_cluster(hosts, index, {})
    assert "\n" not in str(error.value)


@pytest.mark.parametrize(
    "text",
    [
        "not json",
        json.dumps({"cluster": {"worker": ["a:1"]}}),
        json.dumps({"cluster": {"worker": ["a:1"], "ps": ["p:1"]}, "task": {"type": "worker", "index": 0}}),
        json.dumps({"cluster": {"worker": ["a:1"]}, "task": {"type": "worker", "index": 3}}),
    ],
)
def test_bad_tf_config_gives_one_line_error(text):
    with pytest.raises(HighlightError, match=TF_CONFIG) as error:
        resolve_cluster(None, None, {TF_CONFIG: text})
    assert "\n" not in str(error.value)


def test_cli_refuses_a_bad_worker_index_before_training(tmp_path):
    labels = tmp_path / "labels.csv"
    labels.write_text("video,start,end,label\nnone.mp4,0,1,highlight\nnone.mp4,1,2,background\n")
    done = subprocess.run(
        [sys.executable, "-m", "highlight", "train", str(labels), "--out", str(tmp_path / "m")]
        + ["--worker-hosts", "localhost:12345,localhost:12346", "--worker-index", "2"],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 2 and done.stderr.count("\n") == 1, done.stderr
    assert "--worker-index 2: must be 0 to 1" in done.stderr
    assert not (tmp_path / "m").exists()


@pytest.mark.parametrize(
    "frames, replicas, training, expected",
    [
        (49, 2, False, (16, True)),  # 16 + 16 + 16, the last frame left out: no replica is handed nothing
        (49, 1, False, (16, False)),  # outside a strategy every frame is seen
        (100, 1, True, (16, True)),  # training never takes a partial batch
        (11, 2, True, (10, True)),  # fewer than a batch: the most a multiple of the replicas holds
        (5, 1, True, (16, False)),  # one replica: the few frames as one batch
    ],
)
def test_batches_split_between_replicas_leave_none_empty(frames, replicas, training, expected):
    from highlight.train.train import batch_plan

    size, drop_remainder = batch_plan(frames, 16, replicas, training)
    assert (size, drop_remainder) == expected
    if replicas > 1:
        assert size % replicas == 0 and drop_remainder  # every batch whole, every replica's share equal


def test_too_few_frames_for_the_replicas_is_a_one_line_error():
    from highlight.train.train import batch_plan

    with pytest.raises(HighlightError, match="1 validation frame.*2 replicas"):
        batch_plan(1, 16, 2, training=False)


def test_a_tensorflow_failure_is_one_line_with_the_failed_operation():
    from highlight.cli.train import tensorflow_reason

    message = (
        "Graph execution error:\n\nDetected at node conv1_bn/batchnorm/mul_1 defined at (most recent call last):\n"
        '  File "train.py", line 3, in fit\n\n2 root error(s) found.\n'
        "  (0) INVALID_ARGUMENT:  Incompatible shapes: [1,1,1,64] vs. [0,64,64,3]\n"
        "\t [[{{node replica_1/conv1_bn/batchnorm/mul_1}}]]\n0 successful operations."
    )
    assert (
        tensorflow_reason(RuntimeError(message))
        == "(0) INVALID_ARGUMENT:  Incompatible shapes: [1,1,1,64] vs. [0,64,64,3]"
    )
    assert tensorflow_reason(ValueError("plain\nsecond")) == "plain"


def test_training_stopped_by_an_unexpected_error_says_so_in_one_line(tmp_path, monkeypatch, capsys):
    import typer

    import highlight.train.train as training
    from highlight.cli.train import train

    def failing_training(config, echo):
        raise RuntimeError("Graph execution error:\n  (0) INVALID_ARGUMENT:  bad shapes\n\t [[{{node conv1}}]]")

    monkeypatch.setattr(training, "train", failing_training)
    with pytest.raises(typer.Exit) as stopped:
        train(labels=tmp_path / "labels.csv", out=tmp_path / "model")
    line = capsys.readouterr().err
    assert stopped.value.exit_code == 1 and line.count("\n") == 1
    assert "training stopped: RuntimeError: (0) INVALID_ARGUMENT:  bad shapes (full report: " in line
    report = Path(line.rsplit("full report: ", 1)[1].rstrip(")\n"))
    assert "Traceback" in report.read_text() and "failing_training" in report.read_text()
    report.unlink()
