"""Commands on provenance: verify, and the studio's signing key (key export, key import)."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import click
from rich.markup import escape

from ..errors import OuvroirError
from ..layout import holds_studio, studio_path
from ..workshop import Studio
from . import cli
from .corpus import err, open_studio, out

MARKS = {True: "[green]✓[/green]", False: "[red]✗[/red]", None: "[yellow]–[/yellow]"}


def enclosing_studio(path: Path) -> Path | None:
    """The studio folder holding ``path`` (a sample in samples/, a report in reports/<id>/), if any."""
    for folder in Path(path).resolve().parents:
        if holds_studio(folder):
            return folder
    return None


class Studios:
    """Opens each studio once for a batch of files, and closes them all."""

    def __init__(self) -> None:
        self.opened: dict[Path, Studio | None] = {}
        self.notes: dict[Path, str] = {}

    def get(self, root: Path | None) -> Studio | None:
        if root is None:
            return None
        root = root.resolve()
        if root not in self.opened:
            studio = None
            if not holds_studio(root):
                self.notes[root] = f"no studio at {root}: key and chain not checked"
            else:
                try:
                    studio = Studio.open(root)
                except (OuvroirError, sqlite3.Error, OSError) as exc:  # verify still checks what it can without it
                    self.notes[root] = f"studio {root} could not be opened ({exc}): key and chain not checked"
            self.opened[root] = studio
        return self.opened[root]

    def close(self) -> None:
        for studio in self.opened.values():
            if studio is not None:
                studio.close()


def expand(paths: list[Path]) -> list[Path]:
    """A folder with no manifest of its own (``samples/``) stands for every output in it that has a sidecar."""
    from ..workshop import outputs_in

    return outputs_in(paths)


def _studio_for(ctx: click.Context, path: Path, explicit: str | None, no_studio: bool) -> Path | None:
    if no_studio:
        return None
    if explicit or ctx.parent.params.get("studio"):
        return Path(explicit or ctx.parent.params["studio"]).expanduser()
    ambient = studio_path(None)  # $OUVROIR_STUDIO, else ./studio, like every other command
    return enclosing_studio(path) or (ambient if holds_studio(ambient) else None)


@cli.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--studio", "studio_opt", metavar="PATH", help="Check the key and the chain against this studio "
              "(default: the studio holding the file, else the usual studio if there is one).")  # fmt: skip
@click.option("--no-studio", is_flag=True, help="Check only the signature and the content (files from another studio).")
@click.option("--key", "key_files", multiple=True, metavar="FILE", type=click.Path(path_type=Path, dir_okay=False),
              help="Trust the public keys in FILE (from `ouvroir key export`); repeat for several studios.")  # fmt: skip
@click.option("--allow-unknown-signer", is_flag=True, help="Accept a valid signature by a key neither the studio "
              "nor --key vouches for (it proves the manifest is intact, not who made it).")  # fmt: skip
@click.option("--qr", "qr", is_flag=True, help="Check the provenance QR code in each file (a PNG, an SVG, or a "
              "PDF's first page) offline, and the text it signs when the file carries it (PDF, EPUB, HTML).")  # fmt: skip
@click.option("--json", "as_json", is_flag=True, help="Print the verdicts as JSON.")
@click.pass_context
def verify(ctx, paths, studio_opt, no_studio, key_files, allow_unknown_signer, qr, as_json) -> None:
    """Check the provenance of samples, exported models and audit reports.

    Reads each output's signed manifest (FILE.provenance.json beside a file,
    provenance.json in an exported folder or a report's folder) and checks
    the signature, that the content matches its hashes, that the key is this
    studio's and, with the studio at hand, the chain back: the model still
    there with the same weights, its snapshot with the same works, each
    work's text still in the studio. Give files, folders (samples/ checks
    every sample in it) or manifests. A WAV without its sidecar is checked
    by the C2PA manifest embedded in it.

    Away from the studio, give its public key with --key: anyone can sign
    with a key of their own, so a valid signature by a key you were not
    given says "signature valid, signer unknown" and fails. Exit status 0
    when every output verifies, 1 otherwise.

    Example:

        ouvroir verify studio/samples/g1a2b3c4d5.txt

    and, for a file received from another studio:

        ouvroir verify --key studio.pub received/g1a2b3c4d5.txt

    With --qr, the QR code ouvroir publish prints is read from the file and
    checked against the studio's keys and --key: ouvroir verify --qr poem.pdf
    """
    from ..workshop import load_keyring
    from ..workshop import verify as verify_one

    keys = load_keyring(list(key_files))
    studios = Studios()
    try:
        verdicts = []
        for path in list(paths) if qr else expand(list(paths)):
            root = _studio_for(ctx, path, studio_opt, no_studio)
            verdict = (_verify_qr(path, studios.get(root), keys) if qr else
                       verify_one(path, studios.get(root), keys=keys, allow_unknown_signer=allow_unknown_signer))  # fmt: skip
            verdicts.append(verdict)
            if not as_json:
                _print(verdict, studios.notes.get(root.resolve()) if root else None)
    finally:
        studios.close()
    if as_json:
        click.echo(json.dumps([v.as_dict() for v in verdicts], ensure_ascii=False, indent=2))
    if not all(v.ok for v in verdicts):
        ctx.exit(1)


def _verify_qr(path: Path, studio, keys):
    from ..workshop import verify_qr

    return verify_qr(path, studio, keys)


def _print(verdict, note: str | None) -> None:
    if verdict.ok:
        label = f" · AI label: {verdict.digital_source_type.rsplit('/', 1)[1]}" if verdict.digital_source_type else ""
        unknown = any(c.name == "key" and c.ok is None for c in verdict.checks)  # --allow-unknown-signer
        said = "[yellow]signature valid, signer unknown[/yellow]" if unknown else "verified"
        out.print(f"{MARKS[None if unknown else True]} {escape(str(verdict.path))}: {said}{escape(label)}", soft_wrap=True)
    else:
        out.print(f"{MARKS[False]} {escape(str(verdict.path))}: [red]{escape(verdict.problem)}[/red]", soft_wrap=True)
    for check in verdict.checks:
        out.print(f"    {MARKS[check.ok]} {check.name}: {escape(check.message)}", soft_wrap=True)
    if note:
        out.print(f"    [yellow]–[/yellow] studio: {escape(note)}", soft_wrap=True)


@cli.group()
def key() -> None:
    """The studio's signing key (Ed25519): every sample, export and report is signed with it.

    Example:

        ouvroir key export > studio.pub
    """


@key.command("export")
@click.pass_context
def key_export(ctx) -> None:
    """Print the studio's public key (PEM) on stdout, and its key id on stderr.

    Give the public key to whoever should check your outputs' signatures. The
    private key stays in the studio's keys/ folder, readable by you only.

    Example:

        ouvroir key export > studio.pub
    """
    studio = open_studio(ctx)
    pem, kid = studio.provenance.public_key()
    click.echo(pem, nl=False)
    err.print(f"key id {kid}")


@key.command("import")
@click.argument("file", type=click.Path(path_type=Path, dir_okay=False))
@click.pass_context
def key_import(ctx, file) -> None:
    """Sign from now on with your own Ed25519 private key (PEM or OpenSSH).

    Make one with `openssl genpkey -algorithm ed25519 -out mine.pem`. The
    previous key's public half is kept in keys/retired/, so what it signed
    still verifies, as signed by a former key of this studio.

    Example:

        ouvroir key import mine.pem
    """
    studio = open_studio(ctx)
    new_id, retired = studio.provenance.import_key(file)
    if retired is None:
        out.print(f"Key {new_id} is already the studio's key.")
    else:
        out.print(f"[green]The studio now signs with key {new_id}[/green]; the former key {retired} is kept in "
                  f"keys/retired/ so what it signed still verifies.")  # fmt: skip
