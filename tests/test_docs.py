"""Every `highlight ...` example in README.md and docs/ works: run on the samples, or at least parsed.

An example is run with its recordings replaced by a sample (a file by a file, a folder by
a folder holding it), its output folders by one in a temporary folder, and ``cut``,
``export``, ``report`` and ``label draft`` pointed at the output of a run on that
sample. The ones that cannot run here are parsed only (every option and value checked
by the command line itself), and ``PARSED_ONLY`` says why for each kind.
"""

from __future__ import annotations

import re
import shlex
import shutil
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from highlight.cli import app

REPO = Path(__file__).resolve().parents[1]
PAGES = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]
SAMPLE = "phone_portrait.mp4"  # the shortest sample: 10 s, one visit

# Why an example is parsed and not run, by what it contains (first match wins).
PARSED_ONLY = {
    "highlight live": "needs a camera or a stream, and runs until stopped",
    "highlight watch": "a daemon: runs until stopped (tests/test_watch.py runs it)",
    "highlight review": "a web server: runs until Ctrl-C (tests/test_review.py drives it in Chromium)",
    "--executor ray": "needs a Ray cluster (tests/test_executors.py starts one)",
    "highlight train": "needs labelled recordings and minutes of training (tests/test_train_model.py)",
    "highlight eval": "needs a trained model (tests/test_train_model.py)",
    "--model": "needs a trained model (tests/test_train_model.py)",
    "--plugin brightness": "the example plugin of docs/plugins.md, not installed",
}


def examples() -> list[tuple[str, str]]:
    """(page, command) for each `highlight ...` command in the pages' shell code blocks."""
    found = []
    for page in PAGES:
        in_shell = False
        for line in page.read_text(encoding="utf-8").splitlines():
            if line.startswith("```"):
                in_shell = not in_shell and line.strip() in ("```", "```sh", "```bash")
                continue
            if not in_shell:
                continue
            command = re.split(r"\s+#\s", line)[0].strip()  # a comment after the command
            for part in command.split("&&"):
                if part.strip().startswith("highlight "):
                    found.append((page.relative_to(REPO).as_posix(), part.strip()))
    return list(dict.fromkeys(found))


EXAMPLES = examples()


def why_parsed_only(command: str) -> str | None:
    return next((why for marker, why in PARSED_ONLY.items() if marker in command), None)


def parse(args: list[str]) -> None:
    """What the command line does before running: every option and value checked (usage errors raise)."""
    command, name, context = typer.main.get_command(app), "highlight", None
    while isinstance(command, typer.core.TyperGroup):  # `highlight label draft`: down to the command
        context = typer.Context(command, info_name=name, parent=context)
        name, args = args[0], args[1:]
        command = command.get_command(context, name)
        assert command is not None, f"no command {name!r}"
    command.make_context(name, list(args), parent=context)


def test_the_pages_have_examples_and_the_readme_starts_with_the_set_up():
    readme = [command for page, command in EXAMPLES if page == "README.md"]
    assert readme[0] == "highlight run samples/"
    assert len(EXAMPLES) > 30
    head = "\n".join((REPO / "README.md").read_text(encoding="utf-8").splitlines()[:80])
    assert "pip install . && python samples/make_samples.py && highlight run samples/" in head
    assert "bash tests/install.sh && python3 -m pytest" in head
    assert "### An empty court" in head and "### A court where someone is always shooting" in head
    assert len((REPO / "README.md").read_text(encoding="utf-8").splitlines()) < 350


@pytest.mark.parametrize(("page", "command"), EXAMPLES, ids=[f"{p}: {c}" for p, c in EXAMPLES])
def test_every_example_parses(page, command):
    parse(shlex.split(command)[1:])


def _is_recording(arg: str) -> bool:
    return Path(arg).suffix.lower() in (".mp4", ".mov", ".mkv")


class Workspace:
    """A sample, a folder holding it, and a run's output on it, for examples to stand on."""

    def __init__(self, samples: Path, root: Path):
        self.root = root
        self.folder = root / "recordings"
        self.folder.mkdir()
        self.video = self.folder / SAMPLE
        shutil.copyfile(samples / SAMPLE, self.video)
        self.runs = root / "runs"
        self.count = 0

    def output(self) -> Path:
        """A fresh output folder for one example."""
        self.count += 1
        return self.runs / f"example{self.count}"

    def substituted(self, args: list[str], done: Path) -> list[str]:
        """The example's arguments on the sample: recordings, folders, output and run folders replaced."""
        out, result = self.output(), []
        for index, arg in enumerate(args):
            before = args[index - 1] if index else ""
            if before in ("--out", "-o"):
                result.append(str(out / Path(arg).name))
            elif before == "--at":
                result.append("5s")  # a moment of a long recording: the sample lasts 10 s
            elif before.startswith("-") and not arg.startswith(("~", "/")) and not _is_recording(arg):
                result.append(arg)  # an option's value
            elif arg.endswith("highlights.json"):
                result.append(str(done / "highlights.json"))
            elif "highlights/" in arg or arg.startswith("highlights"):
                result.append(str(done) if Path(arg).name != "highlights" else str(done.parent))
            elif _is_recording(arg):
                result.append(str(self.video))
            elif arg.startswith(("~", "/", "samples")) and not arg.startswith("-"):
                result.append(str(self.folder))
            else:
                result.append(arg)
        return result


@pytest.fixture(scope="module")
def workspace(samples, shared, tmp_path_factory, monkeypatch_module):
    folder, _ = samples
    space = Workspace(folder, tmp_path_factory.mktemp("docs"))
    monkeypatch_module.setenv("HIGHLIGHT_POSE_MODEL", str(shared / "models" / "pose_landmarker_lite.task"))
    (space.root / "config.toml").write_text("")  # the user's own config file must not change the examples
    monkeypatch_module.setenv("HIGHLIGHT_CONFIG", str(space.root / "config.toml"))
    monkeypatch_module.chdir(space.root)
    done = space.runs / "first"
    invoke(["run", str(space.video), "--out", str(done), "-q"])
    space.done = done / Path(SAMPLE).stem
    return space


@pytest.fixture(scope="module")
def monkeypatch_module():
    with pytest.MonkeyPatch.context() as patch:
        yield patch


def invoke(args: list[str]) -> None:
    result = CliRunner().invoke(app, args)
    output = result.output + (result.stderr if result.stderr_bytes is not None else "")
    assert result.exit_code == 0, f"highlight {shlex.join(args)}\n{output[-3000:]}"


RUNNABLE = list({command: (page, command) for page, command in EXAMPLES if why_parsed_only(command) is None}.values())


@pytest.mark.parametrize(("page", "command"), RUNNABLE, ids=[f"{p}: {c}" for p, c in RUNNABLE])
def test_every_example_that_can_run_here_runs_on_the_samples(workspace, page, command):
    args = workspace.substituted(shlex.split(command)[1:], workspace.done)
    invoke(args)


def test_every_link_between_the_pages_leads_somewhere():
    headings = {
        page: {
            _slug(line.lstrip("#")) for line in page.read_text(encoding="utf-8").splitlines() if line.startswith("#")
        }
        for page in PAGES
    }
    for page in PAGES:
        for target in re.findall(r"\]\(([^)\s]+)\)", page.read_text(encoding="utf-8")):
            if target.startswith("http"):
                continue
            path, _, anchor = target.partition("#")
            linked = (page.parent / path).resolve() if path else page
            assert linked.exists(), f"{page.name}: {target}"
            if anchor and linked.suffix == ".md":
                assert anchor in headings[linked], f"{page.name}: {target} (no such heading)"


def _slug(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces as hyphens."""
    text = re.sub(r"[^\w\- ]", "", heading.strip().lower())
    return text.replace(" ", "-")
