"""Writing a publication: every format of every item, each with its signed sidecar, all or nothing.

Everything is written into a hidden temporary folder beside ``out`` and renamed into place at the
end: an error, a missing tool or an interruption leaves no half-written folder behind. An ``out``
that exists is refused unless ``force``; then it is replaced whole, in one rename, once the new one
is complete.
"""

from __future__ import annotations

import os
import secrets
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from ..cocreate.export import slug
from ..errors import PublishError
from ..fileio import atomic_write, fsync_dir
from ..provenance import manifest as mf
from ..provenance.keys import key_id
from . import qr
from .item import Item, Stamp

FORMATS = ("html", "epub", "pdf")  # the visual formats, each with its QR code (the web studio offers these)
ALL_FORMATS = FORMATS + ("audio",)  # audio: the text read aloud (see .audio), a WAV with a C2PA manifest inside
SUFFIXES = {"html": ".html", "epub": ".epub", "pdf": ".pdf", "audio": ".wav"}


@dataclass(frozen=True)
class Voice:
    """How the audio format is made: the voice engine's command line (None: the default) and the
    studio's C2PA credentials (``provenance.c2pa_embed``) to embed a manifest in the WAV."""

    command: str | None = None
    credentials: object = None


@dataclass
class Published:
    folder: Path
    files: list[Path] = field(default_factory=list)  # every output, in the final folder (sidecars beside them)
    entries: list[tuple[Item, str, Stamp]] = field(default_factory=list)  # each item, its file name stem, its stamp
    warnings: list[str] = field(default_factory=list)  # formats skipped because their tool is missing, and why
    formats: list[str] = field(default_factory=list)  # the formats made


def parse_formats(text: str) -> list[str]:
    wanted = [f.strip().lower() for f in text.split(",") if f.strip()]
    unknown = [f for f in wanted if f not in ALL_FORMATS]
    if unknown or not wanted:
        raise PublishError(f"unknown format {', '.join(unknown) or text!r}: choose among {', '.join(ALL_FORMATS)}")
    return list(dict.fromkeys(wanted))


def _assertions(item: Item, fmt: str, stamp: Stamp) -> dict:
    assertions = dict(item.assertions)
    if "ouvroir.ledger" in assertions:
        assertions["ouvroir.ledger"] = assertions["ouvroir.ledger"] | {"format": fmt}
    # what the item brings (the works withdrawn since its model learned them, when published anyway) stays
    assertions["ouvroir.publication"] = assertions.get("ouvroir.publication", {}) | {"item": item.kind, "id": item.id, "format": fmt, "title": item.title,
                                         "lang": item.lang, "qr": stamp.payload, "tdm_reservation": stamp.tdm_reservation,
                                         "url": stamp.url}  # fmt: skip
    return assertions


def _sign(path: Path, item: Item, fmt: str, stamp: Stamp, key: Ed25519PrivateKey) -> None:
    assertions = _assertions(item, fmt, stamp)
    manifest = mf.build(item.kind, [path], path.parent, item.source_type, {"action": "c2pa.published"}, assertions,
                        stamp.created)  # fmt: skip
    mf.write(manifest, mf.sidecar_path(path), key)


def _inner_sidecar(scratch: Path, item: Item, stamp: Stamp, key: Ed25519PrivateKey) -> bytes:
    """The signed sidecar of the EPUB's text chapter, made on a scratch copy of the chapter."""
    from . import epub

    scratch.mkdir()
    chapter = scratch / epub.TEXT_NAME
    chapter.write_bytes(epub.text_page(item))
    _sign(chapter, item, "epub", stamp, key)
    data = mf.sidecar_path(chapter).read_bytes()
    shutil.rmtree(scratch)
    return data


def _wav(item: Item, stamp: Stamp, file_name: str, voice: Voice) -> bytes:
    """The item read aloud, with a C2PA manifest inside carrying the sidecar's assertions (when credentials are given)."""
    from . import audio

    data = item.wav if item.wav is not None else audio.speak(item, voice.command)  # music: its own sound
    if voice.credentials is None:
        return data
    from ..provenance import c2pa_embed

    definition = c2pa_embed.definition(file_name, "audio/wav", _assertions(item, "audio", stamp), stamp.created,
                                       item.source_type)  # fmt: skip
    return c2pa_embed.embed(data, "audio/wav", definition, voice.credentials)


def _write_item(folder: Path, name: str, item: Item, formats: list[str], stamp: Stamp,
                key: Ed25519PrivateKey, voice: Voice) -> list[Path]:  # fmt: skip
    written = []
    fonts = None
    if "pdf" in formats:
        from . import pdf

        fonts = pdf.check_font(item)  # before anything of this item is written
    for fmt in formats:
        path = folder / (name + SUFFIXES[fmt])
        if fmt == "html":
            from . import html

            atomic_write(path, html.render(item, stamp, path.name))
        elif fmt == "epub":
            from . import epub

            epub.write(item, stamp, path, _inner_sidecar(folder / f".{name}.epub-parts", item, stamp, key))
        elif fmt == "audio":
            atomic_write(path, _wav(item, stamp, path.name, voice))
        else:
            from . import pdf

            atomic_write(path, pdf.render(item, stamp, path.name, fonts))
        _sign(path, item, fmt, stamp, key)
        written.append(path)
    return written


def publish(items: list[Item], formats: list[str], out: Path, key: Ed25519PrivateKey, created: str,
            tdm_reservation: bool = True, url: str | None = None, force: bool = False,
            voice: Voice | None = None) -> Published:  # fmt: skip
    """Write ``formats`` of each item into ``out``; return what was written (paths in ``out``).

    A format whose tool is missing (audio without its voice engine) is left out with a warning in
    ``Published.warnings``; the other formats are made.
    """
    if not items:
        raise PublishError("nothing to publish: name a document, a sample or a work")
    for item in items:
        if not item.text.strip():
            raise PublishError(f"{item.kind} {item.id} ({item.title!r}) is empty: write something before publishing it")
    out = Path(out)
    if out.exists() and not force:
        raise PublishError(f"{out} already exists: choose another --out, or give --force to replace it")
    if out.exists() and not out.is_dir():
        raise PublishError(f"{out} exists and is not a folder: choose another --out")
    voice = voice or Voice()
    plan, warnings = _plan(items, formats, voice)
    out.parent.mkdir(parents=True, exist_ok=True)
    temporary = out.parent / f".{out.name}.publishing-{secrets.token_hex(4)}"
    temporary.mkdir()
    names: set[str] = set()
    files: list[str] = []
    entries: list[tuple[Item, str, Stamp]] = []
    try:
        for item in items:
            name = slug(item.title, item.id)
            if name in names:
                name = f"{name}-{item.id}"
            names.add(name)
            item_url = url.rstrip("/") + "/" + name if url else None
            stamp = Stamp(qr.make_payload(item.kind, item.text, key, item_url), key_id(key.public_key()), created,
                          tdm_reservation, item_url)  # fmt: skip
            files += [p.name for p in _write_item(temporary, name, item, plan[len(entries)], stamp, key, voice)]
            entries.append((item, name, stamp))
        fsync_dir(temporary)
        swap(temporary, out)
    except BaseException:
        shutil.rmtree(temporary, ignore_errors=True)
        raise
    made = [f for f in formats if any(f in p for p in plan)]
    return Published(out, [out / name for name in files], entries, warnings, made)


def _plan(items: list[Item], formats: list[str], voice: Voice) -> tuple[list[list[str]], list[str]]:
    """The formats each item can take here, and a line for each one left out (an item left with none: an error).

    Audio is a text read aloud by the voice engine, a music sample's own WAV; an item without
    either (the engine missing, a sample generated without sound) gets its other formats.
    """
    plan, warnings, engine_problem = [], [], None
    if "audio" in formats and any(item.medium == "text" for item in items):
        from . import audio

        try:
            audio.check_engine(voice.command)
        except audio.EngineMissing as exc:
            engine_problem = str(exc)
    for item in items:
        problem = None
        if "audio" in formats and item.medium == "image":
            problem = f"audio not made for {item.kind} {item.id}: it is an image, which has no sound"
        elif "audio" in formats and item.medium == "music" and not item.wav:
            problem = (f"audio not made for {item.kind} {item.id}: it was generated without its sound (no WAV "
                       "beside it; generate it again with audio)")  # fmt: skip
        elif "audio" in formats and item.medium == "text":
            problem = engine_problem
        mine = [f for f in formats if not (f == "audio" and problem)]
        if problem and problem not in warnings:
            warnings.append(problem)
        if not mine:
            from . import audio

            if problem == engine_problem:
                raise audio.EngineMissing(problem)
            raise PublishError(f"nothing to publish for {item.kind} {item.id}: {problem}")
        plan.append(mine)
    return plan, warnings


def swap(temporary: Path, out: Path) -> None:
    """``temporary`` becomes ``out``; a former ``out`` goes only once the new one is in place."""
    if not out.exists():
        os.rename(temporary, out)
    else:
        former = out.parent / f".{out.name}.former-{secrets.token_hex(4)}"
        os.rename(out, former)
        try:
            os.rename(temporary, out)
        except OSError:
            os.rename(former, out)
            raise
        shutil.rmtree(former, ignore_errors=True)
    fsync_dir(out.parent)
