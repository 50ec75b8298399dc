"""Small generated recordings for tests: frames drawn with numpy, written as H.264 by PyAV."""

from __future__ import annotations

import itertools
import subprocess
from collections.abc import Iterable, Mapping
from fractions import Fraction
from pathlib import Path

import av
import numpy as np


def write_video(path: Path, frames: Iterable[np.ndarray], fps: int, options: Mapping[str, str] | None = None) -> None:
    """Encode RGB ``frames`` (all one size) to ``path`` at ``fps``; ``options`` go to libx264 (crf, g)."""
    frames = iter(frames)
    first = next(frames)
    height, width = first.shape[:2]
    with av.open(str(path), "w") as out:
        stream = out.add_stream("libx264", rate=Fraction(fps))
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        if options:
            stream.options = dict(options)
        for frame in itertools.chain([first], frames):
            for packet in stream.encode(av.VideoFrame.from_ndarray(frame, format="rgb24")):
                out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)


WOBBLE = (  # a recording as a camera wobbling by up to 0.8% of the width saw them (ffmpeg's crop, moving)
    "crop=w=iw*0.992:h=ih*0.992:x=iw*0.004*(1+0.6*sin(2*PI*2.3*t)+0.4*sin(2*PI*0.7*t+1))"
    ":y=ih*0.004*(1+0.6*sin(2*PI*1.9*t+2)+0.4*sin(2*PI*0.5*t)),scale=trunc(iw/0.992/2)*2:-2"
)


HANDHELD = (  # a recording as a camera held by hand saw it: slow sways of up to 3% of the width each way, a tremor
    "crop=w=iw*0.94:h=ih*0.94"
    ":x=iw*0.03*(1+0.7*sin(2*PI*0.13*t)+0.2*sin(2*PI*0.31*t+1)+0.1*sin(2*PI*2.3*t))"
    ":y=ih*0.03*(1+0.6*sin(2*PI*0.11*t+2)+0.3*sin(2*PI*0.37*t)+0.1*sin(2*PI*1.9*t+1)),scale=trunc(iw/0.94/2)*2:-2"
)


def reencoded(source: Path, path: Path, keyframes: int, video_filter: str, quality: int = 20) -> Path:
    """``source`` as another phone or app would have written it: x264 at constant ``quality`` (crf), filtered."""
    import imageio_ffmpeg

    command = [imageio_ffmpeg.get_ffmpeg_exe(), "-v", "error", "-y", "-i", str(source), "-vf", video_filter, "-an"]
    command += ["-c:v", "libx264", "-preset", "veryfast", "-crf", str(quality), "-g", str(keyframes), str(path)]
    subprocess.run(command, check=True, timeout=120)
    return path


def concatenated(sources: Iterable[Path], path: Path) -> Path:
    """The recordings one after the other in one file, their packets copied (ffmpeg's concat demuxer)."""
    import imageio_ffmpeg

    listing = path.with_suffix(".txt")
    listing.write_text("".join(f"file '{source}'\n" for source in sources))
    command = [imageio_ffmpeg.get_ffmpeg_exe(), "-v", "error", "-y", "-f", "concat", "-safe", "0"]
    command += ["-i", str(listing), "-c", "copy", str(path)]
    subprocess.run(command, check=True, timeout=120)
    return path
