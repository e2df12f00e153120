"""The CLI documents itself: every command's help has an example; errors are one clear line, never a traceback."""

from __future__ import annotations

from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from ouvroir.cli import cli


def command_paths(group: click.Group, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    """Every command and sub-command, found by walking the group: commands added later are covered too."""
    ctx = click.Context(group, info_name="ouvroir")
    paths = []
    for name in group.list_commands(ctx):
        command = group.get_command(ctx, name)
        if command is None or command.hidden:
            continue
        paths.append((*prefix, name))
        if isinstance(command, click.Group):
            paths.extend(command_paths(command, (*prefix, name)))
    return paths


COMMANDS = [(), *command_paths(cli)]


def test_the_walk_finds_the_corpus_commands():
    # Guards the walk itself: if it found nothing, the test below would pass vacuously.
    assert {("init",), ("add",), ("works",), ("show",), ("consent",), ("remove",), ("check",)} <= set(COMMANDS)


@pytest.mark.parametrize("path", COMMANDS, ids=lambda p: " ".join(p) or "ouvroir")
def test_every_command_help_has_an_example(path: tuple[str, ...]):
    result = CliRunner().invoke(cli, [*path, "--help"], prog_name="ouvroir")
    assert result.exit_code == 0, result.output
    assert "Example:" in result.output, f"`ouvroir {' '.join(path)} --help` has no 'Example:' section"
    example = result.output.split("Example:", 1)[1].strip().splitlines()
    assert example and example[0].strip().startswith("ouvroir"), f"the example should be a command line: {example[:1]}"


# -- errors a user meets: one clear line on stderr, a non-zero exit, no traceback -------------------


def assert_clean_error(result, *phrases: str, code: int = 1) -> None:
    assert result.exit_code == code, result.output
    assert "Traceback" not in result.output
    assert result.stderr.startswith("Error: "), result.stderr
    for phrase in phrases:
        assert phrase in result.stderr, result.stderr


def test_invalid_licence_is_a_clear_error_before_any_file_is_read(run_cli, studio, tmp_path: Path):
    poem = tmp_path / "poeme.txt"
    poem.write_text("Deux vers pour rien,\nsinon pour l’exemple.", encoding="utf-8")
    result = run_cli("add", poem, "--license", "CC-BY-FAKE-9")
    assert_clean_error(result, "unknown licence 'CC-BY-FAKE-9'", "SPDX", "public-domain")
    assert "poeme.txt" not in result.output  # refused up front, not file by file
    assert studio.works() == []
    ok = run_cli("add", poem, "--license", "cc-by-sa-4.0")
    assert ok.exit_code == 0, ok.output
    assert studio.works()[0].license == "CC-BY-SA-4.0"  # canonical SPDX spelling


@pytest.mark.parametrize(
    "args",
    [("show", "deadbeef42"), ("remove", "deadbeef42", "--yes"), ("consent", "deadbeef42", "train", "--reason", "x")],
    ids=["show", "remove", "consent"],
)
def test_unknown_work_id_is_a_clear_error(run_cli, studio, args):
    result = run_cli(*args)
    assert_clean_error(result, "no work matches 'deadbeef42'", "ouvroir works")


def test_ambiguous_title_lists_the_candidates(run_cli, studio, tmp_path: Path):
    for folder, text in (("a", "Première version,\ndeux vers."), ("b", "Seconde version,\nautres vers.")):
        path = tmp_path / folder / "Sans titre.txt"
        path.parent.mkdir()
        path.write_text(text, encoding="utf-8")
        assert run_cli("add", path).exit_code == 0
    result = run_cli("show", "Sans titre")
    assert_clean_error(result, "'Sans titre' matches 2 works", "Give the id")


def test_missing_studio_is_a_clear_error(run_cli, studio_dir: Path):
    result = run_cli("show", "anything")
    assert_clean_error(result, f"no studio at {studio_dir}", f"`ouvroir --studio {studio_dir} init`")
    hint = result.stderr.split("`")[1].split()  # the command it gives works as given
    assert hint[:3] == ["ouvroir", "--studio", str(studio_dir)]
    assert run_cli(*hint[1:]).exit_code == 0 and run_cli("show", "anything").exit_code != 0
    assert "no studio" not in run_cli("show", "anything").stderr


def test_add_without_paths_is_a_usage_error(run_cli, studio):
    result = run_cli("add")
    assert result.exit_code == 2 and "give files or folders to add" in result.output
