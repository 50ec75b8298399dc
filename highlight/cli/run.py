"""``highlight run``: find the action in recordings and write it as clips."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from highlight import HighlightError
from highlight.cli.components import with_component_options
from highlight.cli.options import (
    ANALYSIS_OPTIONS,
    OUTPUTS,
    RUNNING,
    ExecutorOption,
    Export,
    Quiet,
    RayAddress,
    Verbose,
    analysis_layers,
    fail,
    timeline_formats,
    with_shared_options,
)
from highlight.terminal import log_to_terminal, quiet_unless_verbose, summarise_warnings


@with_component_options
@with_shared_options(ANALYSIS_OPTIONS)
@quiet_unless_verbose
def run(
    paths: Annotated[
        list[Path], typer.Argument(metavar="RECORDINGS", help="Videos or folders (searched recursively).")
    ],
    out: Annotated[
        Optional[Path],
        typer.Option(
            "--out",
            "-o",
            metavar="FOLDER",
            rich_help_panel=OUTPUTS,
            help="Where results go. [default: highlights/ beside the input]",
        ),
    ] = None,
    shared: dict | None = None,
    force: Annotated[
        bool, typer.Option("--force", rich_help_panel=RUNNING, help="Redo recordings that are already done.")
    ] = False,
    export: Export = None,
    report: Annotated[
        bool,
        typer.Option(
            "--report/--no-report",
            metavar="",
            show_default=False,
            rich_help_panel=OUTPUTS,
            help="Write report.html in the output folder. [default: on]",
        ),
    ] = True,
    jobs: Annotated[
        Optional[int],
        typer.Option(
            "--jobs",
            "-j",
            metavar="N",
            min=1,
            rich_help_panel=RUNNING,
            help="Recordings processed at once (--executor local). [default: one per core, within free memory]",
        ),
    ] = None,
    executor: ExecutorOption = "local",
    ray_address: RayAddress = None,
    quiet: Quiet = False,
    verbose: Verbose = False,
    components: dict | None = None,
) -> None:
    """Find the action in each recording and write it as clips.

    Example: highlight run ~/Videos/court --margin 0.5s --slowmo 0.5
    Example: highlight run ~/Videos/gym --plugin reps --reps-exercise squat --overlay pose
    Example: highlight run court.mp4 --region 0.58,0.10,0.22,0.35 --preset shots
    Example: highlight run /mnt/club/2024-05-* --executor ray --ray-address auto
    """
    from highlight.batch import format_summary, run_batch
    from highlight.executors import ExecutorRequest

    log_to_terminal(verbose)
    if out is not None and out.exists() and not out.is_dir():
        fail(f"{out}: --out is a file; give a folder (it is made if missing)")
    settings = analysis_layers(shared, components)  # resolved per recording
    exports = timeline_formats(export) if export else []
    try:
        batch = run_batch(
            paths,
            settings,
            out,
            force=force,
            quiet=quiet,
            exports=exports,
            write_report=report,
            executor=executor,
            request=ExecutorRequest(jobs, ray_address),
        )
    except (HighlightError, FileNotFoundError) as error:
        fail(str(error).strip("'\""))
    typer.echo(format_summary(batch))
    for line in summarise_warnings(warning for result in batch.results for warning in result.warnings):
        typer.echo(line, err=True)
    if batch.report_path:
        typer.echo(f"report: {batch.report_path}")
    if batch.failed:
        raise typer.Exit(1)
