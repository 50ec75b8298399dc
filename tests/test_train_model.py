"""Training, evaluation and use of the ResNet50 classifier, end to end on real footage.

One model is trained once per session (in a fresh process: ``--replicas 2`` must set up
the logical CPU devices before TensorFlow starts) on the first 60% of
pedestrians_cdnet.mp4, labelled from dev.json's "presence" (a person in view is the
highlight), and judged on the last 40%.

The same recipe is trained again by two worker processes on localhost
(``MultiWorkerMirroredStrategy``, one CPU replica each: the same global batch and
per-replica BatchNormalization batch as ``--replicas 2``). It must write one complete
model folder, on the chief, and train the one-machine model. The two set-ups are the same
computation step for step: the same batches per replica, the same initial weights, and,
since Grappler's dependency optimizer is off (``distribute``), the same rounding, so the
two models come out bit-identical (and score the held-out part alike). Where they do
not, the test fails, saying how far apart their held-out frame F1 is (more than 0.05
fails it first), and tests/first_training_step.py is run to say whether the first step
already differs, and in what. With the optimizer on, one machine rounded its gradients
differently in the last bits, Adam made learning-rate-sized steps of them, and the
held-out F1 of the two fell as far apart as the recipe's own seed-to-seed spread
(0.822 against 0.926 at seed 2; benchmarks/bench_train_workers.py).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest

from highlight import HighlightError
from highlight.export import manifest as manifests
from highlight.intervals import temporal_iou
from highlight.train.distribute import HEARTBEAT_TIMEOUT_S, local_worker_hosts, run_local_workers
from highlight.train.labels import covering_ranges, write_labels
from highlight.train.train import PARITY_MAX_DIFF
from tests.conftest import REPO, write_model_description

VIDEO = "pedestrians_cdnet.mp4"
TRAIN_SHARE = 0.6
HIGHLIGHT = [sys.executable, "-m", "highlight"]


# What fits a test: from scratch, small images, a few epochs; global batch 16 on two replicas.
SMALL_TRAINING = [
    "--weights", "none", "--image-size", "64", "--sample-fps", "6", "--epochs", "4",
    "--batch-size", "8", "--block", "4s", "--gap", "0.5s", "--seed", "0",
]  # fmt: skip
TWO_WORKERS_TIMEOUT_S = 600  # a hung collective must fail the test, not stall the suite
FIRST_STEP = [sys.executable, "-m", "tests.first_training_step"]


@pytest.fixture(scope="module")
def footage(shared, dev_labels, tmp_path_factory) -> dict:
    from highlight.source import probe

    video = shared / "data" / "videos" / VIDEO
    presence = dev_labels["presence"][VIDEO]["intervals_s"]
    duration = probe(video).duration
    cut = round(TRAIN_SHARE * duration, 2)
    folder = tmp_path_factory.mktemp("labels")
    write_labels(folder / "train.csv", covering_ranges(video, presence, 0.0, cut))
    write_labels(folder / "test.csv", covering_ranges(video, presence, cut, duration))
    return {
        "video": video,
        "presence": presence,
        "train": folder / "train.csv",
        "test": folder / "test.csv",
        "folder": folder,
    }


@pytest.fixture(scope="module")
def trained(footage, request) -> Path:
    if any("two_workers" in item.fixturenames for item in request.session.items):
        request.getfixturevalue("two_workers_started")  # they train beside this training (see there)
    out = footage["folder"] / "model"
    done = subprocess.run(
        HIGHLIGHT + ["train", str(footage["train"]), "--out", str(out), "--replicas", "2"] + SMALL_TRAINING,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "epoch 1/" in done.stdout and "model written to" in done.stdout  # progress and a summary
    return out


def evaluate_model(model: Path, labels: Path, report_path: Path) -> tuple[dict, str]:
    """``highlight eval``: (the JSON report, what it printed)."""
    done = subprocess.run(
        HIGHLIGHT + ["eval", str(model), str(labels), "--json", str(report_path)],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(report_path.read_text()), done.stdout


@pytest.fixture(scope="module")
def held_out_evaluation(trained, footage) -> tuple[dict, str]:
    return evaluate_model(trained, footage["test"], footage["folder"] / "eval.json")


@pytest.mark.slow
def test_trained_folder_is_complete(trained):
    import keras

    from highlight.train.model import redundant_biases

    info = json.loads((trained / "model.json").read_text())
    assert info["labels"] == ["background", "highlight"] and info["positive"] == "highlight"
    assert info["training"]["replicas"] == 2 and len(info["training"]["devices"]) == 2
    assert info["training"]["global_batch"] == 16
    assert 0.05 <= info["threshold"] <= 0.95 and info["threshold_rule"]
    assert info["training"]["split"]["method"] == "blocks"
    assert info["tflite"]["parity"]["ok"] and info["tflite"]["parity"]["frames"] > 0
    assert {"tensorflow", "keras", "highlight"} <= set(info["versions"])
    assert (trained / "model.keras").is_file() and (trained / "model.tflite").is_file()
    assert not (trained / "checkpoints").exists()  # finished: no resume state left behind
    model = keras.saving.load_model(trained / "model.keras", compile=False, safe_mode=True)
    biases = redundant_biases(model.get_layer("resnet50"))
    assert len(biases) == 53 and not any(np.any(np.asarray(bias)) for bias in biases)  # zero from scratch, kept
    again = subprocess.run(
        HIGHLIGHT + ["train", str(info["training"]["labels_file"]), "--out", str(trained)],
        capture_output=True,
        text=True,
    )
    assert again.returncode == 2 and "--force" in again.stderr


@pytest.mark.slow
def test_eval_on_held_out_part_reaches_f1(held_out_evaluation):
    report, printed = held_out_evaluation
    assert set(report["frame"]) >= {"precision", "recall", "f1"}
    assert report["frame"]["f1"] >= 0.85, report["frame"]
    intervals = report["intervals"]
    assert intervals["iou_threshold"] == 0.5 and intervals["labelled"] == 2
    assert {"precision", "recall", "f1", "matched", "detected"} <= set(intervals)
    assert "frames" in printed and "intervals" in printed


def worker_commands(command: list[str]) -> list[list[str]]:
    """``command`` for worker 0 and worker 1 of a cluster of two on localhost."""
    hosts = local_worker_hosts(2)
    return [command + ["--worker-hosts", hosts, "--worker-index", str(index)] for index in (0, 1)]


@pytest.fixture(scope="module")
def two_workers_started(footage, tmp_path_factory) -> Iterator[dict]:
    """``trained``'s recipe on two worker processes on localhost, one CPU replica each, started in the background.

    Each has its own --out and temporary folder, as two machines would. ``trained`` starts them before its own
    training: a training process keeps about one of the two cores busy (tracing and Python between the steps:
    120 CPU-s in 138 s), so side by side this file took 171 s where one after the other took 233 s (229 s and
    354 s beside a busy core, as the other xdist worker's). Running at once changes no result: the two-worker
    model still comes out bit for bit the one-machine model.
    """
    folder = tmp_path_factory.mktemp("two_workers")
    outs = [folder / "chief-model", folder / "worker1-model"]
    scratch = [folder / "tmp0", folder / "tmp1"]
    # No TFLite export (about 20 s of the chief's training): the chief converts as one machine does,
    # which ``trained`` checks
    train = HIGHLIGHT + ["train", str(footage["train"]), "--no-tflite"] + SMALL_TRAINING
    commands = [[*command, "--out", str(out)] for command, out in zip(worker_commands(train), outs)]
    for path in scratch:
        path.mkdir()
    environments = [{**os.environ, "TMPDIR": str(path)} for path in scratch]
    logs = [folder / "worker0.log", folder / "worker1.log"]
    with ThreadPoolExecutor(1) as background:
        yield {
            "outs": outs,
            "scratch": scratch,
            "started": time.monotonic(),
            "results": background.submit(run_local_workers, commands, environments, logs, TWO_WORKERS_TIMEOUT_S),
        }


@pytest.fixture(scope="module")
def two_workers(two_workers_started) -> dict:
    """``two_workers_started``, finished: each worker's output."""
    results = two_workers_started["results"].result()
    seconds = time.monotonic() - two_workers_started["started"]
    for code, output in results:
        assert code == 0, f"after {seconds:.0f} s: " + output[-4000:]
    return {**two_workers_started, "outputs": [output for _, output in results]}


@pytest.mark.slow
def test_two_workers_write_one_complete_model_folder_on_the_chief(two_workers):
    chief_output, worker_output = two_workers["outputs"]
    assert chief_output.count("model written to") == 1 and "model written to" not in worker_output
    assert "[worker 1 of 2]" in worker_output and "epoch 4/4" in worker_output
    silent = f"a worker silent for {HEARTBEAT_TIMEOUT_S} s stops the training on every worker"
    assert silent in chief_output and silent in worker_output  # as configured, read back from TensorFlow
    chief, other = two_workers["outs"]
    assert sorted(path.name for path in chief.iterdir()) == ["cache", "model.json", "model.keras"]
    assert not other.exists()  # worker 1 wrote nothing where a model would go
    assert [list(folder.iterdir()) for folder in two_workers["scratch"]] == [[], []]  # its scratch removed too
    info = json.loads((chief / "model.json").read_text())
    assert info["training"]["workers"] == 2 and info["training"]["replicas"] == 2
    assert info["training"]["global_batch"] == 16 and len(info["training"]["devices"]) == 1


@pytest.mark.slow
def test_two_workers_train_the_model_one_machine_trains(two_workers, trained, held_out_evaluation, footage):
    import keras

    chief = two_workers["outs"][0]
    models = [
        keras.saving.load_model(folder / "model.keras", compile=False, safe_mode=True) for folder in (chief, trained)
    ]
    weights = [model.get_weights() for model in models]
    if not all(np.array_equal(a, b) for a, b in zip(*weights)):  # the same rounding: the same model, bit for bit
        # the same weights score the held-out part the same: only models that differ need evaluating
        report, _ = evaluate_model(chief, footage["test"], chief.parent / "eval.json")
        one_machine, _ = held_out_evaluation
        apart = abs(report["frame"]["f1"] - one_machine["frame"]["f1"])
        assert apart <= 0.05, (report["frame"], one_machine["frame"])
        pytest.fail(
            f"two workers trained another model than one machine (held-out F1 {apart:.3f} apart); "
            + where_first_steps_part(footage, chief)
        )
    infos = [json.loads((folder / "model.json").read_text()) for folder in (chief, trained)]
    assert infos[0]["threshold"] == infos[1]["threshold"] and infos[0]["validation"] == infos[1]["validation"]


def first_steps(footage, folder: Path) -> dict:
    """tests/first_training_step.py's reports: one machine with two replicas, then worker 0 and worker 1."""
    reports = {name: folder / f"{name}.json" for name in ("one_machine", "worker0", "worker1")}
    step = FIRST_STEP + [str(footage["train"])]
    environment = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))}
    done = subprocess.run(
        step + ["--report", str(reports["one_machine"]), "--replicas", "2"],
        capture_output=True,
        text=True,
        timeout=TWO_WORKERS_TIMEOUT_S,
        env=environment,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    workers = (reports["worker0"], reports["worker1"])
    commands = [command + ["--report", str(report)] for command, report in zip(worker_commands(step), workers)]
    logs = [folder / "worker0.log", folder / "worker1.log"]
    results = run_local_workers(commands, [environment] * 2, logs, TWO_WORKERS_TIMEOUT_S)
    for code, output in results:
        assert code == 0, output[-4000:]
    return {name: json.loads(path.read_text()) for name, path in reports.items()}


def where_they_part(one: dict, worker0: dict, worker1: dict) -> str | None:
    """The first of the first step's fingerprints where one machine and two workers differ; None if none does."""
    for step, halves in enumerate(one["batches"]):  # one machine's replica k gets what worker k gets
        if [worker0["batches"][step][0], worker1["batches"][step][0]] != halves:
            return f"batch {step} of a replica differs"
    checks = [
        ("the initial weights (the chief's broadcast)", "initial_weights"),
        ("the first loss (reduced across workers)", "first_loss"),
        ("the weights after one step", "trained_weights"),
    ]
    for what, key in checks:
        if not one[key] == worker0[key] == worker1[key]:
            return f"{what}: one machine {one[key]}, workers {worker0[key]} and {worker1[key]}"
    return None


def where_first_steps_part(footage, chief: Path) -> str:
    """Where the first step already differs (tests/first_training_step.py): run only once the models differ."""
    folder = chief.parent / "first_steps"
    folder.mkdir(exist_ok=True)
    reports = first_steps(footage, folder)
    parted = where_they_part(reports["one_machine"], reports["worker0"], reports["worker1"])
    return f"their first step already differs: {parted}" if parted else "their first steps are bit-identical"


def test_the_first_step_comparison_names_where_two_set_ups_part():
    one = {"batches": [["a", "b"], ["c", "d"]], "initial_weights": "w", "first_loss": 0.7, "trained_weights": "v"}
    worker0 = {"batches": [["a"], ["c"]], "initial_weights": "w", "first_loss": 0.7, "trained_weights": "v"}
    worker1 = {"batches": [["b"], ["d"]], "initial_weights": "w", "first_loss": 0.7, "trained_weights": "v"}
    assert where_they_part(one, worker0, worker1) is None
    assert where_they_part(one, worker0, {**worker1, "batches": [["b"], ["e"]]}) == "batch 1 of a replica differs"
    rounded = where_they_part(one, worker0, {**worker1, "trained_weights": "u"})
    assert rounded == "the weights after one step: one machine v, workers v and u"


@pytest.mark.slow
def test_tflite_matches_keras(trained, footage):
    from highlight.scorers.classifier import ClassifierScorer
    from highlight.source import VideoSource

    lite = ClassifierScorer(trained)
    assert lite.backend == "tflite" and lite.batch_size > 1
    keras_scorer = ClassifierScorer(trained, backend="keras")
    with VideoSource(footage["video"]) as source:
        images = [lite.image_for(frame) for frame, _ in source.sample([1.0])]
    a, b = lite.score(images), keras_scorer.score(images)
    assert a.shape == b.shape == (len(images),)
    # The export's parity rule, on frames it did not check. Not the share of frames decided alike: a
    # briefly trained model scores many empty frames within a hundredth of its threshold (0.29-0.32
    # against 0.32), where the quantisation's few thousandths decide; only its size says the files agree.
    differences = np.abs(a - b)
    assert differences.max() <= 2 * PARITY_MAX_DIFF and differences.mean() <= PARITY_MAX_DIFF / 2, differences


@pytest.mark.slow
def test_run_with_model_finds_the_pedestrians(trained, footage, tmp_path):
    out = tmp_path / "out"
    done = subprocess.run(
        HIGHLIGHT + ["run", str(footage["video"]), "--model", str(trained), "--out", str(out), "-q"],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    manifest = manifests.load(out / "pedestrians_cdnet")
    info = json.loads((trained / "model.json").read_text())
    assert manifest.detector["name"] == "classifier" and manifest.detector["backend"] == "tflite"
    assert manifest.detector["threshold"] == info["threshold"]
    found = [(i.start, i.end) for i in manifest.intervals]
    assert found and all((out / "pedestrians_cdnet" / i.clip).is_file() for i in manifest.intervals)
    for truth in footage["presence"]:
        assert max(temporal_iou(truth, f) for f in found) >= 0.5, (truth, found)


@pytest.mark.slow
def test_motion_gate_keeps_the_model_intervals(trained, footage):
    from highlight.intervals import find_intervals
    from highlight.pipeline import analyse, make_scorer
    from highlight.scorers.classifier import model_thresholds
    from highlight.settings import RunSettings
    from highlight.source import VideoSource, probe

    info = probe(footage["video"])
    found = {}
    for gated in (True, False):
        settings = RunSettings(model=str(trained), model_gate=gated, clips=False)
        settings = settings.with_changes(model_thresholds(trained))  # as `highlight run --model` does
        with VideoSource(footage["video"], info) as source:
            analysis = analyse(source, make_scorer(settings), settings)
        found[gated] = find_intervals(analysis.times, analysis.scores, settings.intervals, info.duration)
        if gated:
            assert analysis.decode_stats["samples_gated"] > 0  # the empty path between pedestrians
    assert len(found[True]) == len(found[False]) > 0
    for a, b in zip(found[True], found[False]):
        assert temporal_iou((a.start, a.end), (b.start, b.end)) >= 0.95, (found[True], found[False])


def test_missing_and_corrupt_model_folders_give_one_line_errors(tmp_path):
    from highlight.scorers import load_model_scorer

    cases = {}
    cases["missing"] = tmp_path / "nope"
    empty = tmp_path / "empty"
    empty.mkdir()
    cases["empty"] = empty
    bad_json = tmp_path / "bad_json"
    bad_json.mkdir()
    (bad_json / "model.json").write_text("{not json")
    cases["bad_json"] = bad_json
    other = tmp_path / "other"
    other.mkdir()
    (other / "model.json").write_text('{"kind": "something-else"}')
    cases["other"] = other
    expected = {
        "missing": "model folder not found",
        "empty": "no model.json",
        "bad_json": "corrupt model description",
        "other": "not a highlight classifier",
    }
    for name, folder in cases.items():
        with pytest.raises(HighlightError) as error:
            load_model_scorer(folder)
        assert expected[name] in str(error.value) and str(folder) in str(error.value) and "\n" not in str(error.value)


def test_corrupt_keras_file_and_unsafe_layers_are_refused(tmp_path):
    import keras

    from highlight.scorers.classifier import ClassifierScorer

    corrupt = tmp_path / "corrupt"
    write_model_description(corrupt)
    (corrupt / "model.keras").write_bytes(b"PK\x03\x04 this is not a keras archive")
    with pytest.raises(HighlightError, match="model.keras: not a Keras model") as error:
        ClassifierScorer(corrupt)
    assert "\n" not in str(error.value)

    unsafe = tmp_path / "unsafe"  # a Lambda layer: arbitrary Python, refused in safe mode
    write_model_description(unsafe)
    inputs = keras.Input((32, 32, 3))
    outputs = keras.layers.Dense(1, activation="sigmoid")(keras.layers.Lambda(lambda x: x[:, 0, 0, :] * 2)(inputs))
    keras.Model(inputs, outputs).save(unsafe / "model.keras")
    with pytest.raises(HighlightError, match="cannot load the model"):
        ClassifierScorer(unsafe)

    missing = tmp_path / "no_keras"
    write_model_description(missing)
    with pytest.raises(HighlightError, match="no model.keras"):
        ClassifierScorer(missing)


def test_run_with_a_bad_model_fails_with_the_reason(tmp_path, samples):
    folder, _ = samples
    done = subprocess.run(
        HIGHLIGHT
        + [
            "run",
            str(folder / "pal_25fps.mp4"),
            "--model",
            str(tmp_path / "nope"),
            "--out",
            str(tmp_path / "out"),
            "-q",
        ],
        capture_output=True,
        text=True,
    )
    assert done.returncode != 0
    assert "model folder not found" in done.stdout + done.stderr


def test_highlight_without_a_model_does_not_import_tensorflow():
    code = (
        "import sys, highlight.cli, highlight.pipeline, highlight.scorers, highlight.scorers.classifier, "
        "highlight.cli.train, highlight.train.labels, highlight.train.dataset, highlight.train.evaluate; "
        "print('tensorflow' in sys.modules or 'keras' in sys.modules)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "False"


def test_unfinished_training_with_another_recipe_is_not_resumed(tmp_path, footage):
    from highlight.train.train import TrainConfig, prepare_folder

    out = tmp_path / "m"
    prepare_folder(out, TrainConfig(labels=footage["train"], out=out, epochs=3))
    prepare_folder(out, TrainConfig(labels=footage["train"], out=out, epochs=3))  # same recipe: resumes
    with pytest.raises(HighlightError, match="different labels or options"):
        prepare_folder(out, TrainConfig(labels=footage["train"], out=out, epochs=5))
    prepare_folder(out, TrainConfig(labels=footage["train"], out=out, epochs=5, force=True))


def test_model_thresholds_apply_unless_the_user_gives_them(tmp_path):
    from highlight.cli.options import run_settings

    folder = tmp_path / "model"
    write_model_description(folder)
    info = json.loads((folder / "model.json").read_text())
    (folder / "model.json").write_text(json.dumps({**info, "threshold": 0.4, "exit_threshold": 0.35}))

    def used(**given):
        intervals = run_settings("motion", folder, 2.0, None, None, {}, **given).intervals
        return intervals.threshold, pytest.approx(intervals.exit_threshold)

    assert used() == (0.4, 0.35)
    assert used(exit_threshold=0.2) == (0.4, 0.2)  # --exit-threshold given
    assert used(threshold=0.7) == (0.7, 0.42)  # --threshold given: the default ratio, not the model's
    assert used(threshold=0.5) == (0.5, 0.3)  # an explicit default is still the user's choice
    (folder / "model.json").write_text(json.dumps(info | {"threshold": None}))
    assert used() == (0.5, 0.3)  # a model without thresholds: the defaults


def test_batchnorm_recalibration_makes_inference_match_training():
    """A network whose moving statistics lag its weights predicts as trained once recalibrated."""
    import keras

    from highlight.scorers.classifier import preprocess
    from highlight.train.model import batchnorm_layers, recalibrate_batchnorm

    keras.utils.set_random_seed(0)
    network = keras.Sequential(
        [
            keras.Input((8, 8, 3)),
            keras.layers.Conv2D(4, 3),
            keras.layers.BatchNormalization(momentum=0.99),
            keras.layers.GlobalAveragePooling2D(),
        ]
    )
    images = np.random.default_rng(0).integers(0, 256, (8, 8, 8, 3), dtype=np.uint8)
    trained_as = np.asarray(network(preprocess(images), training=True))
    assert not np.allclose(np.asarray(network(preprocess(images), training=False)), trained_as, atol=1e-3)
    recalibrate_batchnorm(network, [preprocess(images)])
    assert np.allclose(np.asarray(network(preprocess(images), training=False)), trained_as, atol=1e-3)
    assert [layer.momentum for layer in batchnorm_layers(network)] == [0.99]


def test_batchnorm_recalibration_averages_the_statistics_of_its_batches():
    """Two batches of different sizes: the moving statistics are the mean of each batch's, momentum kept."""
    import keras

    from highlight.train.model import BatchNormRecalibration

    network = keras.Sequential([keras.Input((3,)), keras.layers.BatchNormalization(momentum=0.9)])
    rng = np.random.default_rng(1)
    batches = [rng.normal(2.0, 3.0, (8, 3)).astype(np.float32), rng.normal(-1.0, 0.5, (5, 3)).astype(np.float32)]
    recalibrate = BatchNormRecalibration(network)
    recalibrate(batches)
    recalibrate(batches)  # again, compiled once: the same result
    layer = network.layers[0]
    assert np.allclose(layer.moving_mean.numpy(), np.mean([b.mean(axis=0) for b in batches], axis=0), atol=1e-5)
    assert np.allclose(layer.moving_variance.numpy(), np.mean([b.var(axis=0) for b in batches], axis=0), atol=1e-4)
    assert layer.momentum == 0.9


def test_biases_before_batchnorm_stay_fixed_in_every_phase():
    """Their gradient is rounding noise (BatchNormalization removes them); Adam must not turn it into steps.

    That the optimizer skips them is seen in the trained model (test_trained_folder_is_complete).
    """
    import keras

    from highlight.train.model import build_model, redundant_biases, set_trainable

    keras.utils.set_random_seed(0)
    model, backbone = build_model(1, (32, 32), "none")
    biases = redundant_biases(backbone)
    convolutions = [layer for layer in backbone.layers if isinstance(layer, keras.layers.Conv2D)]
    assert len(biases) == len(convolutions) == 53  # every ResNet50 convolution feeds a BatchNormalization
    for which, trainable in (("head", 4), ("top", 34), ("all", 163)):  # 216 weights in all, 53 of them biases
        set_trainable(backbone, which)
        assert len(model.trainable_weights) == trainable, which
        assert not any(bias.trainable for bias in biases), which
