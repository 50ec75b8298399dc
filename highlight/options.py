"""Options that plugins and detectors declare once; everything else reads the declarations.

    class RepsPlugin(Plugin):
        options = (
            Option("exercise", "choice", "auto", "What to count.", choices=("auto", "squat", ...)),
            Option("rest", "seconds", 5.0, "A pause longer than this starts a new set."),
        )

From that one declaration come the command-line flag (``--reps-exercise squat``, and
``--exercise`` where a bundled plugin keeps its older short ``alias``), the config-file
key (``[plugins.reps] exercise = "squat"``), the listing of ``highlight plugins`` and
the help text. Values are checked where they enter, with a one-line error naming the
option, and reach the plugin parsed: seconds as floats, paths absolute, flags as bools.
Only values somebody gave are stored in the settings (so a new option with a default
does not change the key of earlier runs); defaults are filled in when a video starts.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from highlight.units import parse_seconds

MAX_LISTED_CHOICES = 20  # longer lists of choices go in the help text, so the metavar column stays narrow
_TRUE, _FALSE = {"true", "yes", "on", "1"}, {"false", "no", "off", "0"}


def _flag(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = value.strip().lower() if isinstance(value, str) else None
    if text in _TRUE | _FALSE:
        return text in _TRUE
    raise ValueError("expected true or false")


def _number(value: Any) -> float:
    if isinstance(value, bool):
        raise ValueError("expected a number")
    return float(value)


def _integer(value: Any) -> int:
    if isinstance(value, bool) or (isinstance(value, float) and not value.is_integer()):
        raise ValueError("expected a whole number")
    return int(value)


def _seconds(value: Any) -> float:
    if isinstance(value, bool):
        raise ValueError("expected a time such as 5s, 500ms or 1:30")
    return float(value) if isinstance(value, (int, float)) else parse_seconds(str(value))


def _text(value: Any) -> str:
    if not isinstance(value, str):
        raise ValueError("expected text")
    return value


@dataclass(frozen=True)
class Kind:
    """How values of one type are read from text or a config value, and how they are called."""

    parse: Callable[[Any], Any]
    metavar: str


KINDS: dict[str, Kind] = {
    "text": Kind(_text, "TEXT"),
    "choice": Kind(_text, "NAME"),
    "number": Kind(_number, "NUMBER"),
    "integer": Kind(_integer, "N"),
    "seconds": Kind(_seconds, "SECONDS"),
    "flag": Kind(_flag, ""),
    "path": Kind(_text, "PATH"),
}


@dataclass(frozen=True)
class Option:
    """One option of a plugin or detector: its name, kind, default, help, and where it may also come from."""

    name: str  # a Python identifier; shown with dashes: ``highlight_sets`` -> --reps-highlight-sets
    kind: str
    default: Any
    help: str
    choices: tuple[str, ...] = ()
    unit: str = ""  # shown after the default, e.g. "frames/s"
    alias: str | None = None  # an older global flag and [plugins] key kept working, e.g. "exercise"
    env: str | None = None  # an environment variable that fills it in, below the command line
    minimum: float | None = None  # the smallest value allowed (numbers, integers, seconds)
    maximum: float | None = None  # the largest value allowed
    above_minimum: bool = False  # the minimum itself is not allowed (a rate, a width: above 0)

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"option {self.name!r}: unknown kind {self.kind!r} (known: {', '.join(KINDS)})")
        if not self.name.isidentifier():
            raise ValueError(f"option {self.name!r}: the name must be a Python identifier")

    @property
    def dashed(self) -> str:
        return self.name.replace("_", "-")

    @property
    def metavar(self) -> str:
        listed = "|".join(self.choices)
        if listed and len(listed) <= MAX_LISTED_CHOICES:
            return listed
        return self.name.upper() if self.choices else KINDS[self.kind].metavar

    @property
    def allowed_range(self) -> str:
        """The values allowed, in words ('above 0', '1 or more', '0 to 1'); empty when any value goes."""
        low, high = self.minimum, self.maximum
        if low is not None and high is not None:
            return f"above {low:g}, at most {high:g}" if self.above_minimum else f"{low:g} to {high:g}"
        if low is not None:
            return f"above {low:g}" if self.above_minimum else f"{low:g} or more"
        return f"{high:g} or less" if high is not None else ""

    def _check_range(self, parsed: Any) -> None:
        if isinstance(parsed, float) and not math.isfinite(parsed):
            raise ValueError(
                f"{parsed!r} is not a number{'; allowed: ' + self.allowed_range if self.allowed_range else ''}"
            )
        too_low = self.minimum is not None and (parsed <= self.minimum if self.above_minimum else parsed < self.minimum)
        too_high = self.maximum is not None and parsed > self.maximum
        if too_low or too_high:
            raise ValueError(f"{parsed:g} is out of range; allowed: {self.allowed_range}")

    def parse(self, value: Any, base: Path | None = None) -> Any:
        """The value, checked and converted; ``base`` anchors a relative path (the config file's folder)."""
        try:
            parsed = KINDS[self.kind].parse(value)
        except (TypeError, ValueError) as error:  # TypeError: a list or a table where a value belongs (a config file)
            raise ValueError(f"{value!r}: {error}") from None
        if self.choices and parsed not in self.choices:
            raise ValueError(f"{parsed!r} is not one of {', '.join(self.choices)}")
        if self.kind in ("number", "integer", "seconds"):
            self._check_range(parsed)
        if self.kind == "path":
            parsed = str(((base or Path.cwd()) / Path(parsed).expanduser()).resolve())
        return parsed

    def describe(self) -> str:
        """One line for listings: '--reps-rest TIME  A pause ... [default: 5 s]'."""
        choices = f" One of: {', '.join(self.choices)}." if self.choices and self.metavar not in self.choices else ""
        default = (
            "" if self.default in (None, False) else f" [default: {self.default}{' ' + self.unit if self.unit else ''}]"
        )
        return f"{self.help}{choices}{default}"


def defaults(options: Sequence[Option]) -> dict[str, Any]:
    """Every option's default, by name: what a component gets where nobody gave a value."""
    return {option.name: option.default for option in options}


def find_option(options: Sequence[Option], name: str) -> Option | None:
    """The option called ``name`` (dashes or underscores), or None."""
    wanted = name.replace("-", "_")
    return next((option for option in options if option.name == wanted), None)


def parse_values(
    owner: str, options: Sequence[Option], given: Mapping[str, Any], base: Path | None = None
) -> dict[str, Any]:
    """Given values by option name, checked; ValueError (one line naming ``owner.option``) otherwise."""
    parsed = {}
    for name, value in given.items():
        option = find_option(options, name)
        if option is None:
            known = ", ".join(option.dashed for option in options) or "none"
            raise ValueError(f"{owner} has no option {name!r} (its options: {known})")
        try:
            parsed[option.name] = option.parse(value, base)
        except ValueError as error:
            raise ValueError(f"{owner}.{option.dashed}: {error}") from None
    return parsed


def from_environment(owner: str, options: Sequence[Option]) -> dict[str, Any]:
    """Values of the options that declare an environment variable which is set."""
    return parse_values(owner, options, {o.name: os.environ[o.env] for o in options if o.env and os.environ.get(o.env)})


def complete(options: Sequence[Option], given: Mapping[str, Any]) -> dict[str, Any]:
    """Every option's value: what was given, else its default (what a plugin or detector receives)."""
    return {**defaults(options), **given}
