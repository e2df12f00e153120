"""Verifying an output: its manifest, signature, key, content, and its chain back to the works.

``verify(path, studio)`` never raises on bad input: every problem is a failed
check whose message names it. The checks run in an order that tells a damaged
output from a damaged manifest:

1. manifest — found, valid JSON, a known format (a flipped byte can break the JSON);
2. signature — well-formed, matching the manifest (a flipped byte in any value breaks it),
   and the file in the exact layout ouvroir wrote (a flipped byte in the spacing);
3. key — a key the person verifying trusts: the studio's current or a former key, or one given
   with ``keys`` (``--key studio.pub``); otherwise "signature valid, signer unknown", a failure;
4. content — each listed file against its hash, trusted only once the signature holds;
5. with a studio (:mod:`ouvroir.provenance.chain`): model (still held, same weights), snapshot (same works and hashes)
   and works (each text still in the studio, or removed since).

A check is passed (``ok=True``), failed (``False``), or not made (``None``: no studio
at hand, or a removed work whose text can no longer be compared).

>>> verify(Path("/nowhere/g1.txt")).problem
'no such file or folder: /nowhere/g1.txt'
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path, PurePosixPath
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from ..cocreate.checks import content_problems, record_problems, studio_problems
from ..fileio import sha256_file
from . import c2pa_embed, trust
from .chain import check_chain
from .keys import key_id
from .manifest import DIR_MANIFEST, FORMAT, SIDECAR_SUFFIX, SOURCE_TYPES, canonical, folder_files, serialize
from .trust import GivenKey

_BASE64 = re.compile(r"[A-Za-z0-9+/]*={0,2}")
SIGNATURE_BYTES, PUBLIC_KEY_BYTES = 64, 32


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool | None  # None: not checked (no studio at hand, or nothing left to compare)
    message: str


@dataclass
class Verdict:
    path: Path
    manifest: Path | None = None
    studio: Path | None = None
    kind: str | None = None
    digital_source_type: str | None = None
    checks: list[Check] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return bool(self.checks) and all(c.ok is not False for c in self.checks)

    @property
    def problem(self) -> str | None:
        """The first failed check's message: what the user needs to hear first."""
        return next((c.message for c in self.checks if c.ok is False), None)

    def add(self, name: str, ok: bool | None, message: str) -> bool | None:
        self.checks.append(Check(name, ok, message))
        return ok

    def as_dict(self) -> dict:
        return {"path": str(self.path), "ok": self.ok, "problem": self.problem,
                "manifest": self.manifest and str(self.manifest), "studio": self.studio and str(self.studio),
                "kind": self.kind, "digital_source_type": self.digital_source_type,
                "checks": [asdict(c) for c in self.checks]}  # fmt: skip


def locate(path: Path) -> tuple[Path | None, str | None, str]:
    """(manifest, name of the file it should describe or None for a whole folder, problem if no manifest)."""
    if path.name.endswith(SIDECAR_SUFFIX) and path.is_file():
        return path, path.name[: -len(SIDECAR_SUFFIX)], ""
    if path.name == DIR_MANIFEST and path.is_file():
        return path, None, ""
    if path.is_dir():
        found = path / DIR_MANIFEST
        if found.is_file():
            return found, None, ""
        return None, None, f"no provenance manifest in {path} (looked for {found})"
    if not path.exists():
        return None, None, f"no such file or folder: {path}"
    sidecar = path.with_name(path.name + SIDECAR_SUFFIX)
    if sidecar.is_file():
        return sidecar, path.name, ""
    folder = path.parent / DIR_MANIFEST
    if folder.is_file():  # a file of an export or a report, covered by its folder's manifest
        return folder, path.name, ""
    return None, None, f"no provenance manifest for {path} (looked for {sidecar.name} beside it)"


def verify(path: Path, studio=None, *, keys: Sequence[GivenKey] = (),
           allow_unknown_signer: bool = False) -> Verdict:  # fmt: skip
    """Check an output (a file, a folder, or a manifest itself) and return the verdict; never raises on bad input.

    The signer must be a key of ``studio`` or one of ``keys`` (see ``trust``), unless ``allow_unknown_signer``.
    """
    path = Path(path)
    verdict = Verdict(path, studio=studio.root if studio is not None else None)
    manifest_path, target, problem = locate(path)
    verdict.manifest = manifest_path
    if manifest_path is None:
        if not (c2pa_embed.mime_type(path) and path.is_file() and _embedded(verdict, studio, keys, allow_unknown_signer)):
            verdict.add("manifest", False, problem)
        return verdict
    raw, manifest = _read(verdict, manifest_path)
    if manifest is None:
        return verdict
    verdict.kind = manifest.get("kind") if isinstance(manifest.get("kind"), str) else None
    source_type = manifest.get("digital_source_type")
    verdict.digital_source_type = source_type if isinstance(source_type, str) else None
    public = _check_signature(verdict, raw, manifest)
    if public is None:
        verdict.add("content", None, "not checked: the manifest cannot be trusted")
        return verdict
    trust.check_signer(verdict, public, studio, list(keys), allow_unknown_signer)
    _check_content(verdict, manifest_path.parent, manifest, target, whole_folder=manifest_path.name == DIR_MANIFEST)
    _check_label(verdict, source_type)
    assertions = manifest.get("assertions") if isinstance(manifest.get("assertions"), dict) else {}
    if target is not None:  # a file of a format C2PA embeds in (a WAV): its embedded manifest too
        c2pa_embed.check(verdict, manifest_path.parent / target, studio, assertions, sidecar_key=public)
    if studio is not None:
        check_chain(verdict, assertions, studio)
    if verdict.kind == "co-creation":
        _check_ledger(verdict, manifest_path.parent, manifest, assertions, studio)
    return verdict


def _embedded(verdict: Verdict, studio, keys: Sequence[GivenKey], allow_unknown: bool) -> bool:
    """A WAV without its sidecar, checked by the manifest embedded in it; False when it has none."""
    found = c2pa_embed.check_alone(verdict, verdict.path, studio)
    if found is None:
        return False
    embedded, public = found
    verdict.kind = "sample"
    sources = [s for s in c2pa_embed.source_types(embedded) if isinstance(s, str)]
    verdict.digital_source_type = sources[0] if sources else None
    if public is not None:
        trust.check_signer(verdict, public, studio, list(keys), allow_unknown)
        _check_label(verdict, verdict.digital_source_type)
        if studio is not None:
            check_chain(verdict, embedded.assertions, studio)
    return True


def _read(verdict: Verdict, path: Path) -> tuple[bytes, dict | None]:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        verdict.add("manifest", False, f"manifest unreadable: {path} ({exc.strerror or exc})")
        return b"", None
    try:
        manifest = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        verdict.add("manifest", False, f"manifest damaged: {path.name} is not valid UTF-8 JSON")
        return raw, None
    except json.JSONDecodeError as exc:
        where = f"line {exc.lineno}, column {exc.colno}"
        verdict.add("manifest", False, f"manifest damaged: {path.name} is not valid JSON ({where})")
        return raw, None
    fmt = manifest.get("format") if isinstance(manifest, dict) else None
    if fmt != FORMAT:
        newer = isinstance(fmt, str) and fmt.startswith("ouvroir-provenance/")
        hint = (f"written by a newer ouvroir (format {fmt}): upgrade ouvroir" if newer
                else f"not an ouvroir provenance manifest (format: {fmt!r})")  # fmt: skip
        verdict.add("manifest", False, f"{path.name}: {hint}")
        return raw, None
    verdict.add("manifest", True, f"{path} ({FORMAT})")
    return raw, manifest


def _decode(value: object, size: int, what: str) -> tuple[bytes | None, str]:
    """Base64 of exactly ``size`` bytes, or (None, what is wrong with it)."""
    if not isinstance(value, str) or not value:
        return None, f"{what} is missing"
    if not _BASE64.fullmatch(value):
        return None, f"{what} is damaged (not base64)"
    padded = value.rstrip("=")
    decoded = len(padded) * 3 // 4
    if decoded < size:
        return None, f"truncated {what}: {decoded} of {size} bytes"
    if decoded > size:
        return None, f"{what} is damaged: {decoded} bytes instead of {size}"
    try:
        data = base64.b64decode(padded + "=" * (-len(padded) % 4))
    except binascii.Error as exc:
        return None, f"{what} is damaged ({exc})"
    if base64.b64encode(data).decode("ascii") != value:
        # The last character before "=" carries unused bits: flipped, they decode to the same bytes.
        return None, f"{what} is damaged (not in the base64 form it was written in)"
    return data, ""


def _check_signature(verdict: Verdict, raw: bytes, manifest: dict) -> bytes | None:
    """Check the signature; return the raw public key it was made with, or None when it fails."""
    sig = manifest.get("signature")
    if not isinstance(sig, dict):
        verdict.add("signature", False, "manifest not signed: it has no signature")
        return None
    if sig.get("algorithm") != "Ed25519":
        algorithm = sig.get("algorithm")
        verdict.add("signature", False, f"manifest changed or unknown: signature algorithm {algorithm!r} (expected Ed25519)")
        return None
    public, problem = _decode(sig.get("public_key"), PUBLIC_KEY_BYTES, "public key")
    value, problem = (_decode(sig.get("value"), SIGNATURE_BYTES, "signature") if public else (None, problem))
    if public is None or value is None:
        verdict.add("signature", False, f"manifest damaged: {problem}")
        return None
    if sig.get("key_id") != key_id(public):
        claimed = sig.get("key_id")
        verdict.add("signature", False, f"manifest changed: key id {claimed!r} is not that of its public key ({key_id(public)})")
        return None
    try:
        Ed25519PublicKey.from_public_bytes(public).verify(value, canonical(manifest))
        layout = serialize(manifest)
    except (InvalidSignature, ValueError):  # UnicodeEncodeError (a lone surrogate) is a ValueError too
        verdict.add("signature", False, "manifest changed or forged: the signature does not match")
        return None
    if layout != raw:  # same values, other bytes: spacing or key order was edited
        verdict.add("signature", False, "manifest changed: its bytes differ from the layout that was signed (spacing or key order)")
        return None
    verdict.add("signature", True, f"valid Ed25519 signature by key {key_id(public)}")
    return public


def _entries(manifest: dict) -> list[dict] | None:
    files = (manifest.get("content") or {}).get("files") if isinstance(manifest.get("content"), dict) else None
    if not isinstance(files, list) or not files:
        return None
    for entry in files:
        if not (isinstance(entry, dict) and isinstance(entry.get("path"), str) and isinstance(entry.get("sha256"), str)):
            return None
        parts = PurePosixPath(entry["path"]).parts
        if not parts or entry["path"].startswith("/") or ".." in parts or "\\" in entry["path"]:
            return None  # a signed manifest naming files outside its folder is not ours to follow
    return files


def _check_content(verdict: Verdict, base: Path, manifest: dict, target: str | None, whole_folder: bool) -> None:
    files = _entries(manifest)
    if files is None:
        verdict.add("content", False, "manifest malformed: its list of files is missing or names paths outside its folder")
        return
    listed = {e["path"]: e for e in files}
    if target is not None and target not in listed:
        if not whole_folder and len(files) == 1 and _matches(base / target, files[0]):
            verdict.add("content", True, f"{target} matches its hash (the manifest names it {files[0]['path']}: renamed)")
        elif whole_folder:
            verdict.add("content", False, f"content changed: {target} is not listed in {base / DIR_MANIFEST}")
        else:
            described = ", ".join(sorted(listed))
            verdict.add("content", False, f"this manifest describes {described}, not {target}")
        return
    problems = []
    for entry in files:
        file = base / entry["path"]
        if not file.is_file():
            problems.append(f"content missing: {entry['path']} is listed in the manifest but not there")
        elif not _matches(file, entry):
            problems.append(f"content changed: {entry['path']} does not match its hash")
    if whole_folder:
        extra = [p.relative_to(base).as_posix() for p in folder_files(base)]
        problems += [f"content changed: {name} is in the folder but not in the manifest" for name in extra if name not in listed]
    if problems:
        verdict.add("content", False, "; ".join(problems))
    else:
        every = {1: f"{files[0]['path']} matches its hash", 2: "both files match their hashes"}
        verdict.add("content", True, every.get(len(files), f"all {len(files)} files match their hashes"))


def _matches(path: Path, entry: dict) -> bool:
    try:
        if isinstance(entry.get("bytes"), int) and path.stat().st_size != entry["bytes"]:
            return False  # cheaper than hashing a changed file
        return sha256_file(path) == entry["sha256"]
    except OSError:
        return False


def _check_label(verdict: Verdict, source_type: object) -> None:
    if source_type is None:
        verdict.add("label", True, "no AI media label: a model is not media" if verdict.kind == "model-export" else "no AI media label")
    elif source_type in SOURCE_TYPES:
        verdict.add("label", True, f"IPTC digital source type {str(source_type).rsplit('/', 1)[1]}: {SOURCE_TYPES[source_type]}")
    else:
        verdict.add("label", False, f"manifest carries an unknown digital source type: {source_type!r}")


def _check_ledger(verdict: Verdict, base: Path, manifest: dict, assertions: dict, studio) -> None:
    """A co-written document: its ledger against itself, the exported file, and (with a studio) the samples."""
    record, files = assertions.get("ouvroir.ledger"), _entries(manifest) or []
    if not isinstance(record, dict):
        verdict.add("ledger", False, "manifest malformed: a co-created document without its ouvroir.ledger")
        return
    problems = record_problems(record) or [p for e in files for p in content_problems(record, base / e["path"])]
    chains = assertions.get("ouvroir.models") if isinstance(assertions.get("ouvroir.models"), list) else []
    if studio is not None:
        problems = problems or studio_problems(studio, record)
        for chain in (c for c in chains if isinstance(c, dict)):  # several models: each chain as for one
            check_chain(verdict, chain, studio)
    summary = record["summary"] if isinstance(record.get("summary"), dict) else {}
    counts = ", ".join(f"{summary.get(k)} {k}" for k in ("written", "generated", "edited"))
    verdict.add("ledger", not problems, "authorship ledger: " + "; ".join(problems) if problems
                else f"authorship ledger consistent: {summary.get('chars')} characters ({counts})")  # fmt: skip
