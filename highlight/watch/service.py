"""``highlight watch --install-service``: a systemd user unit for the current command line.

A user unit (``~/.config/systemd/user``) runs as the user, with the user's files and
without root. ``Type=simple`` because the daemon stays in the foreground and logs to
stderr (the journal); ``Restart=on-failure`` brings it back after a crash, and a clean
SIGTERM from ``systemctl --user stop`` exits 0, so it stays stopped. ``KillMode=mixed``
sends that SIGTERM to the daemon alone, which abandons its worker cleanly (see daemon).
"""

from __future__ import annotations

import os
import shlex
import sys
from pathlib import Path

SERVICE_NAME = "highlight-watch.service"


def unit_directory() -> Path:
    """Where systemd looks for a user's units ($XDG_CONFIG_HOME/systemd/user)."""
    config = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(config) / "systemd" / "user"


def watch_arguments(argv: list[str]) -> list[str]:
    """The arguments after ``watch`` on this command line, without ``--install-service``."""
    try:
        start = argv.index("watch") + 1
    except ValueError:
        start = 1
    return [arg for arg in argv[start:] if arg != "--install-service"]


def unit_text(arguments: list[str], working_directory: Path, python: str = sys.executable) -> str:
    """A systemd user unit running this same command line, at low CPU and I/O priority."""
    command = shlex.join([python, "-m", "highlight", "watch", *arguments])
    return f"""[Unit]
Description=highlight watch: highlight clips for new recordings
After=local-fs.target

[Service]
Type=simple
WorkingDirectory={working_directory}
ExecStart={command.replace("%", "%%")}
Environment=PYTHONUNBUFFERED=1
Restart=on-failure
RestartSec=30
# SIGTERM to the daemon only: it stops its worker itself and leaves nothing half-done.
KillMode=mixed
# Stay out of the way of whoever is using the PC.
Nice=10
IOSchedulingClass=idle

[Install]
WantedBy=default.target
"""


def install_service(argv: list[str] | None = None, working_directory: Path | None = None) -> tuple[Path, str]:
    """Write the unit file; returns its path and the instructions to print."""
    arguments = watch_arguments(list(sys.argv if argv is None else argv))
    folder = unit_directory()
    folder.mkdir(parents=True, exist_ok=True)
    unit = folder / SERVICE_NAME
    from highlight.atomic import write_text

    write_text(unit, unit_text(arguments, (working_directory or Path.cwd()).resolve()))
    name = SERVICE_NAME.removesuffix(".service")
    instructions = f"""wrote {unit}
enable and start it (now and at every login):
  systemctl --user daemon-reload
  systemctl --user enable --now {name}
keep it running while you are logged out, and after a reboot before you log in:
  loginctl enable-linger $USER
see what it does:
  systemctl --user status {name}
  journalctl --user -u {name} -f
stop it / remove it:
  systemctl --user disable --now {name} && rm {unit}"""
    return unit, instructions
