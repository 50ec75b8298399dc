"""Plugin discovery (entry points), dependency order, option checks and isolation of a failing plugin."""

from __future__ import annotations

import textwrap
import threading

import pytest

from highlight import HighlightError
from highlight.export import manifest as manifests
from highlight.plugin_api import Plugin, available_plugins, load_plugins
from highlight.settings import RunSettings

FAILING_PLUGIN = textwrap.dedent("""
    from highlight.plugin_api import Plugin

    class Exploding(Plugin):
        name = "exploding"
        description = "raises on the third frame"
        sample_fps = 4.0

        def start_video(self, context):
            self.context, self.frames = context, 0

        def on_frame(self, frame):
            self.frames += 1
            if self.frames == 3:
                raise RuntimeError("boom at frame 3")

    class Counting(Plugin):
        name = "counting"
        description = "counts the frames it sees and publishes the count"
        sample_fps = 4.0

        def start_video(self, context):
            self.context, self.times = context, []

        def on_frame(self, frame):
            self.times.append(frame.time)

        def end_video(self):
            self.context.shared["frames_seen"] = len(self.times)
            return {"frames": len(self.times), "summary": f"{len(self.times)} frames"}

    class Reader(Plugin):
        name = "reader"
        sample_fps = 0.0
        requires = ("counting",)

        def start_video(self, context):
            self.context, self.calls = context, 0

        def on_frame(self, frame):
            raise AssertionError("a NO_FRAMES plugin must get no frames")

        def end_video(self):
            return {"seen_by_counting": self.context.shared["frames_seen"]}
""")


@pytest.fixture
def installed_test_plugins(tmp_path, monkeypatch):
    """A real installed distribution (dist-info on sys.path) registering three plugins."""
    (tmp_path / "test_plugins_pkg.py").write_text(FAILING_PLUGIN)
    info = tmp_path / "test_plugins_pkg-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: test-plugins-pkg\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text(
        "[highlight.plugins]\n"
        "exploding = test_plugins_pkg:Exploding\n"
        "counting = test_plugins_pkg:Counting\n"
        "reader = test_plugins_pkg:Reader\n"
        "broken = test_plugins_pkg:DoesNotExist\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    return tmp_path


def test_bundled_plugins_are_discovered_through_entry_points():
    found = available_plugins()
    assert found["pose"].value == "highlight_plugins.pose:PosePlugin"
    assert found["reps"].value == "highlight_plugins.reps:RepsPlugin"


def test_dependencies_load_first_and_only_once(installed_test_plugins):
    plugins = load_plugins(["reader", "counting"])
    assert [p.name for p in plugins] == ["counting", "reader"]
    assert [p.name for p in load_plugins(["reps"])] == ["pose", "reps"]


def test_unknown_or_broken_plugin_is_a_one_line_error(installed_test_plugins):
    with pytest.raises(HighlightError, match="unknown plugin 'nope'.*installed:.*exploding"):
        load_plugins(["nope"])
    with pytest.raises(HighlightError, match="plugin 'broken' failed to load"):
        load_plugins(["broken"])


def test_injected_registry_and_cycles():
    class A(Plugin):
        name, requires = "a", ("b",)

    class B(Plugin):
        name, requires = "b", ("a",)

    with pytest.raises(HighlightError, match="requires itself"):
        load_plugins(["a"], registry={"a": A, "b": B})


def test_failing_plugin_is_isolated_and_reported(installed_test_plugins, shared, tmp_path):
    """The highlight work completes; the error lands in the manifest and the summary notes."""
    from highlight.batch import format_summary, run_batch

    video = shared / "data" / "videos" / "quva_020_fitness.mp4"
    settings = RunSettings(plugins=("exploding", "reader"), clips=False)
    report = run_batch([video], settings, tmp_path / "out", quiet=True)
    result = report.results[0]
    assert result.status == "done"
    manifest = manifests.load(result.out_dir)
    assert manifest.complete is True
    assert manifest.plugins["exploding"] == {"error": "on_frame: RuntimeError: boom at frame 3"}
    frames = manifest.plugins["counting"]["frames"]
    assert frames == pytest.approx(manifest.source.duration * 4, abs=2)
    assert manifest.plugins["reader"] == {"seen_by_counting": frames}
    summary = format_summary(report)
    assert "plugin exploding: on_frame: RuntimeError: boom at frame 3" in summary
    assert f"counting: {frames} frames" in summary
    assert (result.out_dir / "scores.csv").is_file()


def test_reps_options_are_checked_before_any_video():
    from highlight.cli.components import resolve

    given = {("plugins", "reps"): {"exercise": "yoga"}, ("plugins", "pose"): {"model": __file__}}
    with pytest.raises(HighlightError, match="plugin reps.exercise: 'yoga' is not one of auto, .*pushup"):
        resolve("motion", ["reps"], [], given)


def test_missing_pose_model_names_the_ways_to_give_one(monkeypatch):
    from highlight.plugin_api import check_plugins

    monkeypatch.delenv("HIGHLIGHT_POSE_MODEL", raising=False)
    with pytest.raises(HighlightError, match="--pose-model PATH.*HIGHLIGHT_POSE_MODEL"):
        check_plugins(["pose"], {})
    with pytest.raises(HighlightError, match="missing.task: pose model not found"):
        check_plugins(["pose"], {"pose": {"model": "missing.task"}})


class _ThreadRecorder(Plugin):
    """Records the thread and time of every frame it gets, converting each as pose does."""

    name = "thread_recorder"
    sample_fps = 10.0

    def start_video(self, context):
        self.calls = []

    def on_frame(self, frame):
        frame.image(width=64)
        self.calls.append((threading.current_thread().name, frame.time))


class _FailingScorer:
    """Wraps a real scorer and fails on the n-th frame: a frame loop that dies mid-pass."""

    def __init__(self, scorer, fail_at: int):
        self.scorer, self.fail_at, self.seen = scorer, fail_at, 0

    def __getattr__(self, name):
        return getattr(self.scorer, name)

    def score(self, images, learn=True):
        self.seen += len(images)
        if self.seen >= self.fail_at:
            raise RuntimeError("scorer failed")
        return self.scorer.score(images, learn)


def test_frames_reach_plugins_in_order_on_one_worker_thread(samples):
    from highlight.pipeline import analyse
    from highlight.scorers import get_scorer
    from highlight.source import VideoSource

    folder, _ = samples
    video = sorted(folder.glob("*.mp4"))[0]
    recorder = _ThreadRecorder()
    with VideoSource(video) as source:
        analysis = analyse(source, get_scorer("motion", sample_fps=2.0), RunSettings(), [recorder])
    threads = {name for name, _ in recorder.calls}
    times = [t for _, t in recorder.calls]
    assert threads == {"highlight-plugins"}
    assert times == sorted(times) and len(times) == pytest.approx(source.info.duration * 10, abs=2)
    assert analysis.timing["plugins_s"] > 0


def test_a_failing_frame_loop_stops_the_plugin_worker(samples):
    from highlight.pipeline import analyse
    from highlight.scorers import get_scorer
    from highlight.source import VideoSource

    folder, _ = samples
    video = sorted(folder.glob("*.mp4"))[0]
    recorder = _ThreadRecorder()
    scorer = _FailingScorer(get_scorer("motion", sample_fps=2.0), fail_at=5)
    with VideoSource(video) as source, pytest.raises(RuntimeError, match="scorer failed"):
        analyse(source, scorer, RunSettings(), [recorder])
    assert recorder.calls, "the worker got frames before the failure"
    assert not any(t.name == "highlight-plugins" for t in threading.enumerate())


class _Misspelled(Plugin):
    name = "misspelled"

    def on_frames(self, frame):
        pass


class _WrongSignature(Plugin):
    name = "wrong_signature"

    def on_frame(self, frame, extra):
        pass


class _NotAClassMethod(Plugin):
    name = "not_a_class_method"

    def check_options(self, options):
        pass


class _WithHelpers(Plugin):
    """Public helpers that are not hook-like are fine; so are extra defaulted arguments."""

    name = "with_helpers"

    def summarise(self):
        return {}

    def on_frame(self, frame, scale=1.0):
        pass


@pytest.mark.parametrize(
    "cls, message",
    [
        (_Misspelled, "plugin 'misspelled': unknown hook 'on_frames' \\(did you mean on_frame\\?\\)"),
        (_WrongSignature, r"plugin 'wrong_signature': hook on_frame must take \(self, frame\)"),
        (_NotAClassMethod, r"hook check_options must be a class method"),
    ],
)
def test_malformed_plugins_are_refused_at_load_with_one_line(cls, message):
    with pytest.raises(HighlightError, match=message) as error:
        load_plugins([cls.name], registry={cls.name: cls})
    assert "\n" not in str(error.value)


def test_well_formed_plugin_with_helpers_loads():
    assert [p.name for p in load_plugins(["with_helpers"], registry={"with_helpers": _WithHelpers})] == ["with_helpers"]


def test_the_host_gives_the_context_even_when_start_video_skips_super(samples):
    """_ThreadRecorder's start_video neither calls super() nor keeps the context: the host set it."""
    from highlight.pipeline import analyse
    from highlight.scorers import get_scorer
    from highlight.source import VideoSource

    folder, _ = samples
    recorder = _ThreadRecorder()
    with VideoSource(sorted(folder.glob("*.mp4"))[0]) as source:
        analyse(source, get_scorer("motion", sample_fps=2.0), RunSettings(), [recorder])
    assert recorder.context.info.duration > 0 and recorder.context.options == {}
