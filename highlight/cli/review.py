"""``highlight review``: keep or reject a run's highlights in the browser; the marks become training labels."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from highlight import HighlightError
from highlight.cli.options import fail


def review(
    out: Annotated[Path, typer.Argument(help="The output folder of `highlight run` (holding OUT/<video> folders).")],
    port: Annotated[int, typer.Option("--port", min=0, max=65535, help="Port on 127.0.0.1 [default: a free one].")] = 0,
    no_browser: Annotated[bool, typer.Option("--no-browser", help="Print the address only; open no browser.")] = False,
) -> None:
    """Review the highlights in the browser (127.0.0.1 only); marks saved as OUT/review_labels.csv. Ctrl-C ends it.

    The first line printed is the page's address, its access token included.

    Example: highlight review highlights/
    """
    import threading
    import webbrowser

    from highlight.review.marks import LABELS_FILE
    from highlight.review.server import ReviewServer
    from highlight.stop_signals import stopped_by_signals

    stop = threading.Event()
    with stopped_by_signals(stop, "ending the review"):  # whatever SIGINT was when started (`&`: ignored)
        try:
            server = ReviewServer(out, port)
        except HighlightError as error:
            fail(error)
        except OSError as error:
            fail(f"cannot listen on 127.0.0.1:{port} ({error.strerror or error})")
        try:
            typer.echo(server.url)
            typer.echo(f"marks: {server.review.out / LABELS_FILE} (Ctrl-C ends the review)", err=True)
            if not no_browser:  # a console browser would hold the thread until it quits: never the one that stops
                threading.Thread(target=webbrowser.open, args=(server.url,), name="browser", daemon=True).start()
            server.serve_until(stop)
        finally:
            server.close()
    typer.echo("review ended", err=True)
