"""Command-line flags made from what plugins and detectors declare, and where their values come from.

Every option of every installed plugin or detector becomes ``--NAME-OPTION`` (``--reps-rest
30s``, ``--motion-history 60s``), listed in ``--help`` under the component's name; a
bundled plugin's older short flag (its ``alias``: ``--exercise``, ``--pose-model``) keeps
working. ``with_component_options`` adds those flags to a command, and ``resolve`` turns
what was given into settings, below which come the environment and the config file.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from typing import Any, Optional

import typer

from highlight import HighlightError
from highlight.cli.help import HelpAll
from highlight.cli.options import PLUGINS_PANEL, TUNING
from highlight.config import check_section, component_values
from highlight.options import Option, from_environment, parse_values
from highlight.plugin_api import check_plugins, with_dependencies
from highlight.registry import DETECTORS, PLUGINS, Group, loadable_classes

Given = dict[tuple[str, str], dict[str, Any]]  # (section, component) -> {option: value as typed}


@functools.lru_cache(maxsize=1)
def declared() -> dict[Group, dict[str, tuple[Option, ...]]]:
    """Every installed plugin's and detector's options, by component (broken packages left out)."""
    return {
        group: {name: tuple(cls.options) for name, cls in loadable_classes(group).items()}
        for group in (PLUGINS, DETECTORS)
    }


def _parameters(taken: set[str]) -> list[tuple[inspect.Parameter, tuple[str, str, str]]]:
    """A typer parameter per declared option, with where its value goes."""
    found = []
    for group, components in declared().items():
        for component, options in components.items():
            for option in options:
                name = f"{group.section}__{component}__{option.name}".replace("-", "_")
                target = (group.section, component, option.name)
                alias = f"--{option.alias}" if option.alias and group is PLUGINS else None
                # The alias is a hidden flag of its own: it keeps working without widening --help.
                for flag, suffix, hidden in ((f"--{component}-{option.dashed}", "", False), (alias, "__alias", True)):
                    if flag is None or flag in taken:
                        continue
                    taken.add(flag)
                    parameter = _parameter(name + suffix, flag, option, _panel(group, component), hidden)
                    found.append((parameter, target))
    return found


def _panel(group: Group, component: str) -> str:
    """Plugin options go with the plugins; a detector's are tuning, shown by --help-all."""
    return f"{PLUGINS_PANEL}: {component}" if group is PLUGINS else TUNING


def _parameter(name: str, flag: str, option: Option, panel: str, hidden: bool) -> inspect.Parameter:
    """The typer parameter for one flag of a declared option (values stay text: ``option.parse`` reads them)."""
    is_flag = option.kind == "flag"
    default = typer.Option(
        None,
        flag,
        help=option.describe(),
        rich_help_panel=panel,
        hidden=hidden,
        metavar="" if is_flag else option.metavar,
    )
    return inspect.Parameter(
        name,
        inspect.Parameter.KEYWORD_ONLY,
        default=default,
        annotation=Optional[bool] if is_flag else Optional[str],
    )


def with_component_options(command: Callable) -> Callable:
    """The command, taking ``--NAME-OPTION`` for every declared option; it receives them as ``components``."""
    signature = inspect.signature(command, eval_str=True)  # typer reads real annotations, not strings
    own = [p for name, p in signature.parameters.items() if name != "components"]
    taken = {
        flag for p in own if isinstance(p.default, typer.models.OptionInfo) for flag in (p.default.param_decls or ())
    }
    generated = _parameters(taken)
    targets = {parameter.name: target for parameter, target in generated}
    help_all = inspect.Parameter("help_all", inspect.Parameter.KEYWORD_ONLY, default=HelpAll, annotation=bool)

    @functools.wraps(command)
    def wrapper(**values: Any) -> Any:
        components: Given = {}
        values.pop("help_all", None)  # --help-all prints the help and exits before the command runs
        for name in list(values):
            if name in targets:
                value = values.pop(name)
                if value is not None:
                    section, component, option = targets[name]
                    components.setdefault((section, component), {})[option] = value
        return command(**values, components=components)

    parameters = own + [p for p, _ in generated] + [help_all]
    wrapper.__signature__ = signature.replace(parameters=parameters)  # type: ignore[attr-defined]
    wrapper.__annotations__ = {p.name: p.annotation for p in parameters}
    return wrapper


def resolve(
    detector: str, plugins: list[str], overlay: list[str], given: Given
) -> tuple[list[str], dict[str, dict[str, Any]], dict[str, Any]]:
    """(plugins to enable, their option values, the detector's option values).

    Giving a plugin's option (``--exercise squat``) or ``--overlay NAME`` enables that
    plugin. Only a run with plugins reads their environment variables and config
    tables, so a run without plugins keeps its settings key. Raises HighlightError
    (one line) on an unknown option, a bad value or a plugin's own check.
    """
    enabled = list(dict.fromkeys([*plugins, *overlay, *(c for (s, c) in given if s == PLUGINS.section)]))
    plugin_values: dict[str, dict[str, Any]] = {}
    if enabled:
        check_section(PLUGINS, declared()[PLUGINS])
        for cls in with_dependencies(enabled):
            plugin_values[cls.name] = _values(PLUGINS, cls.name, cls.options, given)
        check_plugins(enabled, plugin_values)
    detector_options = declared()[DETECTORS].get(detector, ())
    detector_values = _values(DETECTORS, detector, detector_options, given) if detector_options else {}
    return enabled, {k: v for k, v in plugin_values.items() if v}, detector_values


def _values(group: Group, name: str, options: tuple[Option, ...], given: Given) -> dict[str, Any]:
    """The command line over the environment over the config file, each checked."""
    try:
        typed = parse_values(f"{group.what} {name}", options, given.get((group.section, name), {}))
        return {**component_values(group, name, options), **from_environment(name, options), **typed}
    except ValueError as error:
        raise HighlightError(str(error)) from None
