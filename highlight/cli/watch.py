"""``highlight watch``: the same analysis options as ``run``, plus the daemon's own."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from highlight import HighlightError
from highlight.cli.components import with_component_options
from highlight.cli.options import (
    ANALYSIS_OPTIONS,
    ExecutorOption,
    Export,
    RayAddress,
    Seconds,
    Verbose,
    analysis_layers,
    fail,
    timeline_formats,
    with_shared_options,
)
from highlight.terminal import quiet_unless_verbose


def _active_hours(text: str | None):
    from highlight.watch.daemon import ActiveHours

    if text is None:
        return None
    try:
        return ActiveHours.parse(text)
    except ValueError as error:
        raise typer.BadParameter(str(error), param_hint="--active-hours") from None


@with_component_options
@with_shared_options(ANALYSIS_OPTIONS)
@quiet_unless_verbose
def watch(
    folders: Annotated[Optional[list[Path]], typer.Argument(help="Folders to watch (sub-folders too).")] = None,
    out: Annotated[
        Optional[Path],
        typer.Option(
            "--out", "-o", help="Output folder, the record and the log. [default: highlights/ in the first folder]"
        ),
    ] = None,
    shared: dict | None = None,
    export: Export = None,
    report: Annotated[
        bool,
        typer.Option(
            "--report/--no-report", help="Rebuild report.html in the output folder after each file. [default: on]"
        ),
    ] = True,
    settle: Annotated[
        float,
        typer.Option(
            "--settle", help="A file is taken once its size and mtime have not changed for this long.", **Seconds
        ),
    ] = 10.0,
    workers: Annotated[int, typer.Option("--workers", min=1, help="Recordings processed at the same time.")] = 1,
    max_attempts: Annotated[
        int, typer.Option("--max-attempts", min=1, help="Tries per file before it is left as failed.")
    ] = 3,
    retry_delay: Annotated[
        float, typer.Option("--retry-delay", help="Wait before the first retry; doubles each time.", **Seconds)
    ] = 60.0,
    active_hours: Annotated[
        Optional[str],
        typer.Option(
            "--active-hours", metavar="HH:MM-HH:MM", help="Start files only in this daily window, e.g. 22:00-07:00."
        ),
    ] = None,
    rescan: Annotated[
        float,
        typer.Option("--rescan", help="Also rescan the folders this often (file events can be missed).", **Seconds),
    ] = 600.0,
    job_timeout: Annotated[
        Optional[float],
        typer.Option(
            "--job-timeout",
            help="Give up on a file that takes longer (counts as a failed attempt). "
            "[default: 10 x the recording's length, at least 10 minutes]",
            **Seconds,
        ),
    ] = None,
    poll: Annotated[bool, typer.Option("--poll", help="Poll instead of file events (network shares).")] = False,
    retry_failed: Annotated[bool, typer.Option("--retry-failed", help="Queue files left as failed again.")] = False,
    status: Annotated[
        bool, typer.Option("--status", help="Print the record of every file as a table and exit.")
    ] = False,
    install_service: Annotated[
        bool, typer.Option("--install-service", help="Write a systemd user unit for this command line and exit.")
    ] = False,
    exit_when_idle: Annotated[
        bool,
        typer.Option(
            "--exit-when-idle",
            hidden=True,
            help="Testing and one-shot use: exit once nothing is settling, queued or running.",
        ),
    ] = False,
    executor: ExecutorOption = "local",
    ray_address: RayAddress = None,
    verbose: Verbose = False,
    components: dict | None = None,
) -> None:
    """Process every new recording in a folder, once, as it arrives.

    Example: highlight watch ~/Videos/court --out ~/Videos/highlights --active-hours 22:00-07:00
    """
    from highlight.batch import default_out_dir
    from highlight.extras import require
    from highlight.service_log import setup_service_logging
    from highlight.watch.daemon import LOG_FILE, WatchConfig, Watcher, format_status
    from highlight.watch.store import Store

    if not status:
        try:
            require("watch", "highlight watch")
        except HighlightError as error:
            fail(error)
    folders = [Path(f).expanduser() for f in folders or []]
    if not folders and not (status and out):
        fail("give the folder to watch (or --out OUT with --status)")
    out = (out or default_out_dir(folders)).expanduser().resolve()
    if out.exists() and not out.is_dir():
        fail(f"{out}: not a folder (--out names the folder the outputs go to)")
    if status:
        if not (out / "watch.sqlite3").is_file():
            fail(f"{out}: no watch record here (has `highlight watch` run with this --out?)")
        with Store(out / "watch.sqlite3") as store:
            typer.echo(format_status(store.records(), folders))
        return
    hours = _active_hours(active_hours)
    settings = analysis_layers(shared, components)  # resolved per recording
    for folder in folders:
        if not folder.is_dir():
            fail(f"{folder}: not a folder (watch takes folders)")
    if install_service:
        from highlight.watch.service import install_service as write_unit

        _, instructions = write_unit()
        typer.echo(instructions)
        return
    config = WatchConfig(
        folders=folders,
        out=out,
        settings=settings,
        exports=timeline_formats(export) if export else [],
        report=report,
        settle=settle,
        workers=workers,
        max_attempts=max_attempts,
        retry_delay=retry_delay,
        active_hours=hours,
        rescan=rescan,
        job_timeout=job_timeout,
        poll=poll,
        retry_failed=retry_failed,
        exit_when_idle=exit_when_idle,
        verbose=verbose,
        executor=executor,
        ray_address=ray_address,
    )
    setup_service_logging(out / LOG_FILE, verbose)
    try:
        code = Watcher(config).run()
    except HighlightError as error:
        fail(str(error))
    raise typer.Exit(code)
