"""Every command is documented in docs/cli.md, and the README's commands exist."""

from pathlib import Path

import typer.main

from patchdesk.cli import app

ROOT = Path(__file__).resolve().parents[1]


def _commands(group, prefix=""):
    click_group = typer.main.get_command(group) if prefix == "" else group
    for name, command in click_group.commands.items():
        if hasattr(command, "commands"):
            yield from _commands(command, f"{prefix}{name} ")
        else:
            yield f"{prefix}{name}", command


def test_every_command_is_documented_with_help():
    cli_doc = (ROOT / "docs/cli.md").read_text()
    commands = dict(_commands(app))
    assert {"ingest", "thread", "threads", "status", "rebuild", "quarantine list"} <= set(commands)
    for name, command in commands.items():
        assert f"`patchdesk {name}" in cli_doc, name
        assert command.help, name


def test_readme_first_screen_gives_the_two_make_targets():
    first_screen = "\n".join((ROOT / "README.md").read_text().splitlines()[:20])
    makefile = (ROOT / "Makefile").read_text()
    for target in ("demo", "test"):
        assert f"make {target}" in first_screen
        assert f"\n{target}:" in makefile
