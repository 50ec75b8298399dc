"""`highlight live` on a real clip streamed in real time over UDP (MPEG-TS) from a local ffmpeg.

The stream is the same bitstream as a file that `highlight run` analyses, so the
highlights live must find are known. The sender is supervised (timeouts, killed on the
way out); latency is measured against the wall clock of the sender's start, which can
only make it look larger than it is (ffmpeg starts sending a moment after it starts).
"""

from __future__ import annotations

import json
import queue
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import av
import numpy as np
import pytest

from highlight.export import manifest as manifests
from highlight.export.clips import verify_clip
from highlight.intervals import IntervalSettings, find_intervals, temporal_iou
from highlight.live.decisions import LiveIntervals
from highlight.source import Frame

REPO = Path(__file__).resolve().parents[1]
PAD_AFTER = 1.0  # the default: latency must stay within PAD_AFTER + 2 s
GAP_S = 5.0  # the sender stops this long, then streams again


def ffmpeg() -> str:
    import imageio_ffmpeg

    return imageio_ffmpeg.get_ffmpeg_exe()


def free_udp_port() -> int:
    import socket

    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def udp_port_bound(port: int) -> bool:
    """Whether some process listens on the UDP port (the live command, before the sender starts)."""
    for table in ("/proc/net/udp", "/proc/net/udp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        if any(line.split()[1].endswith(f":{port:04X}") for line in lines):
            return True
    return False


@pytest.fixture(scope="module")
def excerpt(shared, tmp_path_factory) -> Path:
    """24 s of pedestrians_cdnet (people walk in at ~3 s, out at ~19 s), one keyframe a second."""
    path = tmp_path_factory.mktemp("live") / "pedestrians_excerpt.mp4"
    source = shared / "data" / "videos" / "pedestrians_cdnet.mp4"
    subprocess.run(
        [ffmpeg(), "-v", "error", "-y", "-ss", "9", "-t", "24", "-i", str(source), "-an", "-c:v", "libx264",
         "-preset", "veryfast", "-g", "25", "-pix_fmt", "yuv420p", str(path)],
        check=True, timeout=120,
    )  # fmt: skip
    return path


@pytest.fixture(scope="module")
def run_intervals(excerpt, tmp_path_factory) -> list[tuple[float, float]]:
    """What `highlight run` finds in the file."""
    out = tmp_path_factory.mktemp("run")
    command = [sys.executable, "-m", "highlight", "run", str(excerpt), "--out", str(out), "-q", "--no-report"]
    subprocess.run(command, check=True, timeout=180, capture_output=True)
    manifest = manifests.load(out / excerpt.stem)
    return [(i.start, i.end) for i in manifest.intervals]


class Live:
    """`highlight live` on a UDP port as a supervised subprocess, and the clips as they appear."""

    def __init__(self, out: Path, port: int, *extra: str):
        self.out, self.port = out, port
        self.process = subprocess.Popen(
            [sys.executable, "-m", "highlight", "live", "--source", f"udp://127.0.0.1:{port}", "--out", str(out),
             "--duration", "150", *extra],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        )  # fmt: skip
        self.seen: dict[str, float] = {}  # clip name -> wall time it first appeared under its final name
        self._watching = True
        self._watcher = threading.Thread(target=self._watch, daemon=True)
        self._watcher.start()
        deadline = time.monotonic() + 60
        while not udp_port_bound(port):
            assert self.process.poll() is None, self.process.communicate()[0]
            assert time.monotonic() < deadline, "highlight live never listened on its port"
            time.sleep(0.05)

    def _watch(self) -> None:
        while self._watching:
            for clip in self.out.glob("*/clip_*.mp4"):
                self.seen.setdefault(clip.name, time.time())
            time.sleep(0.05)

    def stream(self, clip: Path) -> float:
        """Send ``clip`` in real time; returns the wall time the sender was started."""
        started = time.time()
        sender = subprocess.Popen(
            [ffmpeg(), "-v", "error", "-re", "-i", str(clip), "-an", "-c", "copy", "-f", "mpegts",
             f"udp://127.0.0.1:{self.port}?pkt_size=1316"],
        )  # fmt: skip
        try:
            sender.wait(timeout=120)
        finally:
            if sender.poll() is None:
                sender.kill()
                sender.wait()
        return started

    def stop(self, timeout: float = 60) -> str:
        """SIGTERM, as systemd or Ctrl-C would; the output of the command."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        try:
            output = self.process.communicate(timeout=timeout)[0]
        finally:
            self._watching = False
            if self.process.poll() is None:
                self.process.kill()
                self.process.communicate()
        return output

    def part(self) -> Path:
        parts = sorted(p for p in self.out.iterdir() if p.is_dir())
        assert len(parts) == 1, parts
        return parts[0]


def _check_outputs(part: Path) -> manifests.Manifest:
    """A valid, complete manifest whose every clip is on disk and plays; no other clip, no temporary."""
    manifest = manifests.load(part)
    assert manifest.complete
    listed = {i.clip for i in manifest.intervals}
    assert {p.name for p in part.glob("*.mp4")} == listed
    assert not list(part.glob(".*.tmp-*"))
    for interval in manifest.intervals:
        verify_clip(part / interval.clip, interval.duration * 0.9)
        # The clip's real edges, typed as `run` records them: from a keyframe at or before the start, to the end.
        assert interval.clip_start <= interval.start + 1e-3 and interval.clip_end > interval.end - 0.1, interval
    return manifest


def test_live_stream_finds_the_run_highlights_in_time_and_after_a_reconnect(excerpt, run_intervals, tmp_path):
    assert run_intervals, "the excerpt must contain action"
    live = Live(tmp_path / "live", free_udp_port())
    try:
        first_start = live.stream(excerpt)
        time.sleep(GAP_S)
        second_start = live.stream(excerpt)
        deadline = time.monotonic() + 10
        while len(live.seen) < 2 * len(run_intervals) and time.monotonic() < deadline:
            time.sleep(0.1)
    finally:
        output = live.stop()
    assert live.process.returncode == 0, output
    manifest = _check_outputs(live.part())
    info = manifest.extra["live"]
    starts = info["connection_starts_s"]
    assert len(starts) == 2 and info["reconnects"] == 1, info
    rounds = [(starts[0], first_start), (starts[1], second_start)]
    latencies = []
    for k, (connection_start, sender_start) in enumerate(rounds):
        next_start = rounds[k + 1][0] if k + 1 < len(rounds) else np.inf
        found = [i for i in manifest.intervals if connection_start <= i.start < next_start]
        assert len(found) == len(run_intervals), (k, found, run_intervals)
        for entry, expected in zip(found, run_intervals):
            stream_interval = (entry.start - connection_start, entry.end - connection_start)
            assert temporal_iou(stream_interval, expected) >= 0.9, (stream_interval, expected)
            action_end_wall = sender_start + stream_interval[1] - PAD_AFTER
            latencies.append(live.seen[entry.clip] - action_end_wall)
    print(f"latency from the end of the action to the clip on disk: {[round(x, 2) for x in latencies]} s")
    assert max(latencies) <= PAD_AFTER + 2.0, latencies
    assert manifest.decode["gops_skipped"] > 0  # quiet stretches cost a keyframe per GOP, as in run


def test_sigterm_mid_highlight_leaves_complete_clips_and_a_valid_manifest(excerpt, run_intervals, tmp_path):
    live = Live(tmp_path / "live", free_udp_port())
    stop_at = run_intervals[0][0] + 4.0  # a few seconds into the highlight
    sender = subprocess.Popen(
        [ffmpeg(), "-v", "error", "-re", "-i", str(excerpt), "-c", "copy", "-f", "mpegts",
         f"udp://127.0.0.1:{live.port}?pkt_size=1316"],
    )  # fmt: skip
    try:
        time.sleep(stop_at)
        output = live.stop()
    finally:
        sender.kill()
        sender.wait()
    assert live.process.returncode == 0, output
    assert "Traceback" not in output
    manifest = _check_outputs(live.part())
    assert len(manifest.intervals) == 1, manifest.intervals  # the highlight in progress, closed and written
    written = manifest.intervals[0]
    assert abs(written.start - run_intervals[0][0]) < 0.5, (written, run_intervals)
    assert stop_at - 3.0 < written.end <= stop_at + 1.0, (written, stop_at)
    scores = (live.part() / manifest.scores).read_text().splitlines()
    assert scores[0].startswith("time_s,score") and len(scores) > 10


def test_live_reps_count_the_labelled_reps_and_show_them_as_they_come(shared, dev_labels, tmp_path):
    """Pose at 5 frames a second keeps up with real time on a busy two-core machine; the count is the label's."""
    clip = shared / "data" / "videos" / "squat_side.mp4"
    model = shared / "models" / "pose_landmarker_lite.task"
    live = Live(tmp_path / "live", free_udp_port(), "--plugin", "reps", "--reps-exercise", "squat",
                "--pose-fps", "5", "--pose-model", str(model))  # fmt: skip
    try:
        live.stream(clip)
        time.sleep(2.0)
    finally:
        output = live.stop()
    assert live.process.returncode == 0, output
    manifest = _check_outputs(live.part())
    assert manifest.plugins["reps"]["count"] == dev_labels["reps"]["squat_side.mp4"]["count"], manifest.plugins
    assert "exercise squat  reps " in output, output  # the counts as they came, in the log


def test_a_frame_loop_that_stalls_a_second_and_a_half_catches_up_without_dropping():
    """A busy machine stalled the frame loop for 1.4 s during a squat set at 5 poses a second: a queue of six
    frames dropped seven, the bottom of a rep among them (2 reps counted of 3). The queue holds seconds of the
    stream; only frames further behind than that are dropped."""
    from highlight.live.stream import QUEUED_FRAMES, QUEUED_SECONDS, FrameQueue

    frames = FrameQueue(QUEUED_SECONDS, QUEUED_FRAMES)
    blank = av.VideoFrame(16, 16, "yuv420p")
    times = [k / 5.0 for k in range(60)]  # 12 s at 5 frames a second
    stall = {round(t, 1) for t in times if 2.0 <= t < 3.4}
    dropped, taken = 0, []
    for t in times:
        dropped += frames.put_dropping((Frame(blank, t, 0, 0), (True,)))
        if round(t, 1) not in stall:  # the loop takes the frames queued since it stalled, faster than they come
            while True:
                try:
                    taken.append(frames.get(timeout=0.0)[0].time)
                except queue.Empty:
                    break
    assert dropped == 0 and taken == times, (dropped, taken)
    for t in [12.0 + k / 5.0 for k in range(25)]:  # a stall of 5 s: what is more than the bound behind goes
        dropped += frames.put_dropping((Frame(blank, t, 0, 0), (True,)))
    oldest = frames.get(timeout=0.0)[0].time
    assert dropped > 0 and 16.8 - oldest <= QUEUED_SECONDS, (dropped, oldest)


def pattern_clip(path: Path, seconds: float, *options: str) -> Path:
    """FFmpeg's test pattern, 320x240 at 25 fps, as H.264 with a keyframe a second (``options``: x264's, more)."""
    pattern = f"testsrc=size=320x240:rate=25:duration={seconds}"
    command = [ffmpeg(), "-v", "error", "-f", "lavfi", "-i", pattern, "-c:v", "libx264", "-g", "25", *options]
    subprocess.run([*command, "-pix_fmt", "yuv420p", str(path)], check=True, timeout=60)
    return path


def test_a_slow_frame_loop_drops_frames_rather_than_lag(tmp_path):
    """Every frame wanted at 25 fps, each taking 80 ms to analyse: frames are dropped, the delay stays bounded."""
    from highlight.live.stream import QUEUED_FRAMES, QUEUED_SECONDS, LiveSource

    clip = pattern_clip(tmp_path / "camera.mp4", 8)
    per_frame = 0.08
    lags = []
    with LiveSource(str(clip), threading.Event(), realtime=True) as source:
        for frame, _ in source.sample([None]):
            lags.append(time.monotonic() - source.clock.started - frame.time)
            time.sleep(per_frame)
    counts = (source.stats.delivered, source.live.dropped)
    assert source.live.dropped > 0, counts
    assert sum(counts) == 200, counts  # every frame analysed or counted as dropped
    # A frame waits for the frames queued before it, at most as many or as long as the queue holds, and the
    # one being analysed (plus what a loaded machine adds): far below the 8 s it would lag by the end without
    # dropping.
    assert max(lags) <= min(QUEUED_FRAMES * per_frame, QUEUED_SECONDS) + per_frame + 1.5, max(lags)


def test_a_file_read_at_full_speed_pauses_where_the_frame_loop_asked_as_a_run_does(tmp_path):
    """A file without ``realtime`` is read one frame at a time: a pause (a quiet scene: nothing more until the next
    keyframe) takes effect at the frame the loop paused at. The reader had decoded up to 32 frames ahead, and those
    of the paused keyframe interval queued before the pause still came: how many, the threads' timing decided (the
    same excerpt gave a highlight from 2.18 s in one run, 2.58 s in the next)."""
    from highlight.live.stream import LiveSource

    clip = pattern_clip(tmp_path / "recording.mp4", 6, "-bf", "0")
    times = []
    with LiveSource(str(clip), threading.Event()) as source:
        for frame, _ in source.sample([None]):
            times.append(round(frame.time, 2))
            if times[-1] in (2.2, 4.4):  # past the first keyframes (the interval between them is measured)
                time.sleep(0.3)  # a slow frame: the reader, were it ahead, would have queued the rest of the second
                source.pause(0)
    assert times[times.index(2.2) + 1] == 3.0 and times[times.index(4.4) + 1] == 5.0, times


# -- the live interval decisions, without a stream --------------------------------------


def _steps(spans: list[tuple[float, float]], end: float, rate: float = 4.0) -> tuple[np.ndarray, np.ndarray]:
    times = np.arange(0.0, end, 1.0 / rate)
    scores = np.zeros_like(times)
    for start, stop in spans:
        scores[(times >= start) & (times < stop)] = 0.9
    return times, scores


@pytest.mark.parametrize(
    "spans",
    [
        [(3.0, 8.0), (20.0, 24.0)],  # two highlights far apart
        [(3.0, 8.0), (10.5, 14.0)],  # close enough to merge: written, then written again longer
        [(3.0, 3.6), (30.0, 40.0)],  # a flicker too short to keep, then a highlight
    ],
)
def test_live_decisions_end_as_find_intervals_on_the_whole_series(spans):
    settings = IntervalSettings()
    times, scores = _steps(spans, 50.0)
    live = LiveIntervals(settings)
    written: dict[int, tuple[float, float]] = {}
    for t, s in zip(times, scores):
        live.add([float(t)], [float(s)])
        for decision in live.decide(float(t)):
            assert decision.interval.end < t, "a highlight is written only once its tail is in"
            written[decision.index] = (decision.interval.start, decision.interval.end)
    for decision in live.decide(float(times[-1]), over=True):
        written[decision.index] = (decision.interval.start, decision.interval.end)
    expected = [(i.start, i.end) for i in find_intervals(times, scores, settings, float(times[-1]))]
    got = [written[k] for k in sorted(written)]
    assert len(got) == len(expected)
    # Flat lists: pytest.approx compares numbers, not nested tuples (pytest 9.2 refuses those).
    assert [t for pair in got for t in pair] == pytest.approx([t for pair in expected for t in pair])


def test_live_decisions_are_written_a_sample_after_the_padded_end():
    settings = IntervalSettings()
    times, scores = _steps([(5.0, 10.0)], 30.0)
    live = LiveIntervals(settings)
    for t, s in zip(times, scores):
        live.add([float(t)], [float(s)])
        if live.decide(float(t)):
            break
    action_end = 10.0 - 0.125  # halfway between the last sample above and the first below
    assert t - action_end <= settings.pad_after + 0.5, t


def test_manifest_of_live_reads_as_a_run_manifest(tmp_path):
    """The live variant is the typed Manifest: `cut`, `report`, `export` read it like any other."""
    from highlight.live.outputs import LivePart
    from highlight.settings import RunSettings
    from highlight.source import VideoInfo

    info = VideoInfo("udp://127.0.0.1:1", 0, 0.0, 320, 240, 0, 25.0, 0.0, 0, False, "h264")
    part = LivePart(tmp_path, info, RunSettings(), {"name": "motion"}, start=0.0)
    part.add_scores([0.0, 0.5, 1.0], [0.0, 0.7, 0.1], [False, False, True])
    part.close()
    manifest = manifests.load(part.folder)
    assert manifest.complete and manifest.source.path == info.path
    assert json.loads((part.folder / "highlights.json").read_text())["live"]["part_start_s"] == 0.0
    assert (part.folder / "scores.csv").read_text().splitlines()[1:] == [
        "0.0000,0.0000,0",
        "0.5000,0.7000,0",
        "1.0000,0.1000,1",
    ]
    # No recording was kept to cut from: `cut` and `export` say so in a line, not a traceback.
    from typer.testing import CliRunner

    from highlight.cli import app

    for command in (["cut", str(part.folder), "--threshold", "0.6"], ["export", str(part.folder)]):
        result = CliRunner().invoke(app, command, terminal_width=400)
        assert result.exit_code == 1, result.output
        assert result.output.strip().splitlines() == [
            f"error: {part.folder}: a part of a live session from udp://127.0.0.1:1; no recording was kept to cut "
            "from again, its clips are the footage"
        ]


def test_a_long_session_rolls_over_into_parts_between_highlights(shared, tmp_path):
    """Parts of 1 s on a file read as fast as it decodes: new parts start in the quiet before the
    highlight (no later than the detector's look-back behind the stream, so a visit confirmed late
    still starts in its part), the highlight stays whole in one part, and each sample is in one part only."""
    quiet_first = tmp_path / "pedestrians_quiet_first.mp4"  # people walk in at ~9 s, out at ~25 s
    subprocess.run(
        [ffmpeg(), "-v", "error", "-y", "-ss", "3", "-t", "30", "-i", str(shared / "data" / "videos" /
         "pedestrians_cdnet.mp4"), "-an", "-c:v", "libx264", "-preset", "veryfast", "-g", "25", "-pix_fmt",
         "yuv420p", str(quiet_first)],
        check=True, timeout=120,
    )  # fmt: skip
    ran = tmp_path / "run"
    command = [sys.executable, "-m", "highlight", "run", str(quiet_first), "--out", str(ran), "-q", "--no-report"]
    subprocess.run(command + ["--no-clips"], check=True, timeout=180, capture_output=True)
    run_intervals = [(i.start, i.end) for i in manifests.load(ran / quiet_first.stem).intervals]
    out = tmp_path / "live"
    command = [sys.executable, "-m", "highlight", "live", "--source", str(quiet_first), "--out", str(out)]
    result = subprocess.run(command + ["--roll-over", "1s"], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    parts = sorted((p for p in out.iterdir() if p.is_dir()), key=lambda p: p.stat().st_mtime)
    manifests_ = [_check_outputs(part) for part in parts]
    intervals = [(i.start, i.end) for m in manifests_ for i in m.intervals]
    assert len(intervals) == len(run_intervals) == 1
    assert all(temporal_iou(a, b) >= 0.9 for a, b in zip(intervals, run_intervals)), (intervals, run_intervals)
    starts = [m.extra["live"]["part_start_s"] for m in manifests_] + [np.inf]
    assert sum(0 < start < intervals[0][0] for start in starts) >= 2, starts
    seen: set[float] = set()
    for k, part in enumerate(parts):  # a part starts where the previous one's last sample is
        times = {float(row.split(",")[0]) for row in (part / "scores.csv").read_text().splitlines()[1:]}
        assert all(starts[k] <= t <= starts[k + 1] for t in times), (k, starts)
        assert not times & seen
        seen |= times


def test_no_clips_lists_the_highlights_and_writes_no_clip(excerpt, run_intervals, tmp_path):
    """--no-clips live as in run: highlights.json has the intervals, the folder has no clip file."""
    out = tmp_path / "live"
    command = [sys.executable, "-m", "highlight", "live", "--source", str(excerpt), "--out", str(out), "--no-clips"]
    result = subprocess.run(command, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    (part,) = [p for p in out.iterdir() if p.is_dir()]
    manifest = manifests.load(part)
    assert manifest.complete
    found = [(i.start, i.end) for i in manifest.intervals]
    assert len(found) == len(run_intervals), (found, run_intervals)
    assert all(temporal_iou(a, b) >= 0.9 for a, b in zip(found, run_intervals)), (found, run_intervals)
    assert all(i.clip is None and i.clip_start is None for i in manifest.intervals)
    assert not list(part.glob("*.mp4")) and manifest.extra["live"]["clips"] == {}


def test_a_clip_method_live_cannot_apply_is_one_line_of_error(tmp_path):
    command = [sys.executable, "-m", "highlight", "live", "--source", "0", "--out", str(tmp_path), "--clips", "smart"]
    result = subprocess.run(command, capture_output=True, text=True, timeout=60)
    assert result.returncode == 2 and result.stderr.count("\n") == 1, result.stderr
    assert result.stderr.startswith("error: --clips smart:") and not list(tmp_path.iterdir())


def test_a_codec_mp4_cannot_hold_is_encoded(tmp_path):
    """MJPEG (webcams, IP-camera apps) cannot be stream-copied into MP4: the clip is encoded to H.264."""
    import av

    from highlight.live.clips import write_packet_clip
    from highlight.live.ring import BufferedPacket, StreamTemplate

    source = tmp_path / "camera.avi"
    subprocess.run(
        [ffmpeg(), "-v", "error", "-f", "lavfi", "-i", "testsrc=size=320x240:rate=25:duration=3", "-c:v", "mjpeg",
         str(source)],
        check=True, timeout=60,
    )  # fmt: skip
    with av.open(str(source)) as container:
        stream = container.streams.video[0]
        template = StreamTemplate(stream)
        packets = []
        for packet in container.demux(stream):
            if packet.size and packet.pts is not None:
                t = float(packet.pts * stream.time_base)
                packets.append(BufferedPacket(packet, t, t, packet.is_keyframe, 1, template))
    clip = tmp_path / "clip.mp4"
    edges = write_packet_clip(packets[25:], 1.0, 3.0, clip)
    assert edges.start == pytest.approx(1.0) and edges.end == pytest.approx(3.0)
    with av.open(str(clip)) as written:
        assert written.streams.video[0].codec_context.name == "h264"
        assert len(list(written.decode(video=0))) == len(packets) - 25


def test_a_copied_clip_starts_at_the_keyframe_and_records_its_real_edges_in_session_time(tmp_path):
    """H.264 is copied by export.stream_copy from packets whose input container is closed; edges in session seconds."""
    import av

    from highlight.live.clips import write_packet_clip
    from highlight.live.ring import BufferedPacket, StreamTemplate

    source = pattern_clip(tmp_path / "camera.ts", 4, "-bf", "2")
    session_offset = 100.0  # the session's clock is not the stream's
    with av.open(str(source)) as container:
        stream = container.streams.video[0]
        template = StreamTemplate(stream)
        zero = stream.start_time
        packets = []
        for packet in container.demux(stream):
            if packet.size and packet.pts is not None:
                t = session_offset + float((packet.pts - zero) * stream.time_base)
                decode_t = session_offset + float((packet.dts - zero) * stream.time_base)
                packets.append(BufferedPacket(packet, t, decode_t, packet.is_keyframe, 1, template))
    keyframe = next(k for k, p in enumerate(packets) if p.keyframe and p.time >= session_offset + 1.0)
    clip = tmp_path / "clip.mp4"
    edges = write_packet_clip(packets[keyframe:], session_offset + 1.3, session_offset + 2.0, clip)
    assert edges.start == pytest.approx(session_offset + 1.0, abs=1e-3)  # the keyframe before the start
    # To the end, and a few frames beyond where a kept B-frame refers to a later picture; not the whole buffer.
    assert session_offset + 2.0 <= edges.end < session_offset + 2.0 + 0.25, edges
    with av.open(str(clip)) as written:
        assert len(list(written.decode(video=0))) == round(edges.duration * 25)


def test_the_preview_shows_the_frame_the_skeleton_and_the_status(shared, tmp_path):
    """What --preview shows, composed without a window: the picture, pose's skeleton of now, the status line."""
    from types import SimpleNamespace

    from highlight_plugins.pose import PosePlugin

    from highlight.live.preview import compose
    from highlight.options import complete
    from highlight.plugin_api import VideoContext
    from highlight.source import VideoSource

    video = shared / "data" / "videos" / "squat_side.mp4"
    with VideoSource(video) as source:
        frame = next(f for f, _ in source.sample([None]) if f.time >= 2.5)
        pose = PosePlugin()
        options = complete(PosePlugin.options, {"model": str(shared / "models" / "pose_landmarker_lite.task")})
        pose.context = VideoContext(source.info, tmp_path, options, {})
        pose.start_video(pose.context)
    assert pose.live_overlay() is None  # nothing seen yet
    pose.on_frame(frame)
    plain = compose(SimpleNamespace(source=SimpleNamespace(latest_frame=frame), live_plugin_overlays=list), "")
    session = SimpleNamespace(
        source=SimpleNamespace(latest_frame=frame), live_plugin_overlays=lambda: [pose.live_overlay()]
    )
    shown = compose(session, "live 00:00:02.50  ACTION 0.97  reps 1")
    pose.end_video()
    assert shown.shape == plain.shape and shown.shape[1] == frame.size[0]
    changed = np.any(shown != plain, axis=2)
    assert changed[40:].mean() > 0.002, "a skeleton is drawn over the person"
    assert changed[:30].any(), "the status line is drawn at the top"


def test_copied_clips_keep_the_stream_sound(samples, tmp_path):
    """A stream that carries sound (court.mp4's AAC, sent as MPEG-TS): each clip has it, as long as its pictures."""
    import av

    folder, truth = samples
    stream = tmp_path / "court.ts"
    subprocess.run(
        [ffmpeg(), "-v", "error", "-i", str(folder / "court.mp4"), "-c", "copy", "-f", "mpegts", str(stream)],
        check=True, timeout=60,
    )  # fmt: skip
    out = tmp_path / "live"
    command = [sys.executable, "-m", "highlight", "live", "--source", str(stream), "--out", str(out)]
    result = subprocess.run(command, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    (part,) = [p for p in out.iterdir() if p.is_dir()]
    manifest = _check_outputs(part)
    assert len(manifest.intervals) == len(truth["court.mp4"])
    for interval in manifest.intervals:
        verify_clip(part / interval.clip, interval.duration * 0.9, with_audio=True)
        with av.open(str(part / interval.clip)) as clip:
            video, sound = clip.streams.video[0], clip.streams.audio[0]
            assert sound.codec_context.name == "aac"
            pictures = float(video.duration * video.time_base)
            assert float(sound.duration * sound.time_base) == pytest.approx(pictures, abs=0.1)
