from __future__ import annotations

from pathlib import Path

import pytest

from highlight.batch import default_out_dir, plan_outputs
from highlight.discover import find_videos, is_inside
from highlight.table import format_table
from highlight.units import format_timestamp, parse_seconds


@pytest.mark.parametrize(
    "text,seconds",
    [
        ("0.5s", 0.5),
        ("500ms", 0.5),
        ("2m", 120.0),
        ("1:02.5", 62.5),
        ("01:02:03.25", 3723.25),
        ("12", 12.0),
        (" 3 s", 3.0),
        (".5", 0.5),
        (7, 7.0),
        ("1h", 3600.0),
    ],
)
def test_parse_seconds(text, seconds):
    assert parse_seconds(text) == pytest.approx(seconds)


@pytest.mark.parametrize("text", ["abc", "5x", "1:2:3:4", "-1", "1:xx", ""])
def test_parse_seconds_rejects_with_examples(text):
    with pytest.raises(ValueError, match="not a|negative"):
        parse_seconds(text)


def test_format_timestamp():
    assert format_timestamp(3723.25) == "01:02:03.25"
    assert format_timestamp(59.999, 0) == "00:01:00"


def _touch(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"x")
    return path


def test_find_videos_recursive_case_insensitive_and_skips_output(tmp_path):
    a = _touch(tmp_path / "day1" / "IMG_0001.MOV")
    b = _touch(tmp_path / "day2" / "IMG_0001.mp4")
    c = _touch(tmp_path / "x.WebM")
    _touch(tmp_path / "notes.txt")
    _touch(tmp_path / ".hidden.mp4")
    _touch(tmp_path / "highlights" / "IMG_0001" / "clip_001.mp4")
    found = find_videos([tmp_path], exclude=[tmp_path / "highlights"])
    assert sorted(found) == sorted([a, b, c])


def test_explicit_file_is_taken_whatever_its_name(tmp_path):
    odd = _touch(tmp_path / "recording.bin")
    assert find_videos([odd]) == [odd]


def test_missing_input_is_a_clear_error(tmp_path):
    with pytest.raises(FileNotFoundError, match="no such file or folder"):
        find_videos([tmp_path / "nope"])


def test_output_folders_mirror_subfolders_and_never_collide(tmp_path):
    _touch(tmp_path / "day1" / "IMG_0001.MOV")
    _touch(tmp_path / "day2" / "IMG_0001.MOV")
    _touch(tmp_path / "day2" / "IMG_0001.mp4")
    out = default_out_dir([tmp_path])
    assert out == tmp_path / "highlights"
    folders = [folder for _, folder in plan_outputs([tmp_path], out)]
    assert len(set(folders)) == 3
    assert out / "day1" / "IMG_0001" in folders


def test_is_inside_takes_the_folder_itself_and_below_but_not_a_prefix(tmp_path):
    out = tmp_path / "highlights"
    assert is_inside(out, out) and is_inside(out / "a" / "b.mp4", out)
    assert not is_inside(tmp_path / "highlights2" / "b.mp4", out)
    assert is_inside(tmp_path / "x.mp4", tmp_path / "sub" / "..")  # the folder is resolved


def test_format_table_aligns_all_but_the_free_text_column():
    lines = format_table([("video", "status", "notes"), ("a_long_name.mp4", "done", ""), ("b.mp4", "failed", "boom")])
    assert lines == ["video            status  notes", "a_long_name.mp4  done", "b.mp4            failed  boom"]
    assert format_table([]) == []
