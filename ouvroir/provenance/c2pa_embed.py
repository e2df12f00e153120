"""C2PA manifests embedded in the outputs whose format C2PA supports (the WAV of a music sample, an image sample's PNG).

Text, Fountain, MIDI and MusicXML have no C2PA binding, so they carry the sidecar
manifest alone (see ``manifest``). A WAV gets both: the sidecar, and inside the
file a C2PA manifest with the same assertions, written with c2pa-python:

* ``c2pa.actions``: ``c2pa.created``, IPTC digital source type ``trainedAlgorithmicMedia``,
  software agent ``ouvroir <version>``;
* ``ouvroir.model``, ``ouvroir.snapshot`` and ``ouvroir.generation``, as in the sidecar
  (model id and weights hash, snapshot and its works, sample id, prompt, parameters, seed).

The sidecar is written after the embedding and hashes the final WAV bytes.

C2PA signs with an X.509 certificate chain. Each studio is its own small CA, in ``keys/``:

    c2pa-ca.ed25519     the private key of the "ouvroir studio CA", PKCS8 PEM, mode 0o600
    c2pa-ca.pem         its self-signed certificate (the trust anchor verify uses)
    c2pa-signer.pem     the signing certificate, issued by that CA to the studio's own
                        Ed25519 key (keys/studio.ed25519): one identity signs the sidecars
                        and the embedded manifests. Its common name ends with the key id.

The signing certificate is reissued when the studio's key changes (``ouvroir key import``)
or nears its end; what the previous one signed still chains to the same CA. There is no
public trust list offline: c2pa says "signature valid, certificate not on a trust list", and
ouvroir decides by the signing certificate's key (read by ``c2pa_signer``), as for a sidecar:
it must be the key of the sidecar beside the file, or, for a WAV that travels alone, a key the
person verifying trusts (``verify --key``). With the studio at hand, its CA is the trust
anchor too, so the manifest must be signed by a certificate this studio issued.
"""

from __future__ import annotations

import datetime as dt
import io
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from ..version import __version__
from ..errors import ProvenanceError
from ..fileio import atomic_write
from . import c2pa_signer
from .keys import (_create_exclusively, _make_keys_dir, _private_pem, _read_private, key_id, keys_dir,
                   load_or_create_key, raw_public)  # fmt: skip
from .manifest import TRAINED, generator, model_chain

CA_KEY_NAME = "c2pa-ca.ed25519"
CA_CERT_NAME = "c2pa-ca.pem"
SIGNER_CERT_NAME = "c2pa-signer.pem"
ORGANIZATION = "ouvroir studio"
CA_COMMON_NAME = "ouvroir studio CA"
SIGNER_PREFIX = "ouvroir studio key "
CA_YEARS, SIGNER_YEARS = 30, 10
RENEW_BEFORE = dt.timedelta(days=30)
# The formats ouvroir writes that C2PA can embed a manifest in (by file suffix).
MIME_TYPES = {".wav": "audio/wav", ".png": "image/png"}  # a music sample's WAV; an image sample and its sheet
ALLOWED_FAILURE = "signingCredential.untrusted"  # no trust list offline: expected without the studio


def mime_type(path: Path) -> str | None:
    return MIME_TYPES.get(Path(path).suffix.lower())


# -- the studio's certificate chain -------------------------------------------------------------


def _pem(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.PEM)


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name),
                      x509.NameAttribute(NameOID.ORGANIZATION_NAME, ORGANIZATION)])  # fmt: skip


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _years(start: dt.datetime, years: int) -> dt.datetime:
    return start + dt.timedelta(days=365 * years + years // 4)


def _make_ca(ca_key: Ed25519PrivateKey) -> x509.Certificate:
    start = _now() - dt.timedelta(minutes=5)
    name = _name(CA_COMMON_NAME)
    usage = x509.KeyUsage(digital_signature=False, content_commitment=False, key_encipherment=False,
                          data_encipherment=False, key_agreement=False, key_cert_sign=True, crl_sign=True,
                          encipher_only=False, decipher_only=False)  # fmt: skip
    return (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(ca_key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(start).not_valid_after(_years(start, CA_YEARS))
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(usage, critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
            .sign(ca_key, None))  # fmt: skip


def _make_signer(public: Ed25519PublicKey, ca_key: Ed25519PrivateKey, ca: x509.Certificate) -> x509.Certificate:
    """The end-entity certificate C2PA asks for: digitalSignature, emailProtection, not a CA."""
    start = _now() - dt.timedelta(minutes=5)
    usage = x509.KeyUsage(digital_signature=True, content_commitment=False, key_encipherment=False,
                          data_encipherment=False, key_agreement=False, key_cert_sign=False, crl_sign=False,
                          encipher_only=False, decipher_only=False)  # fmt: skip
    end = min(_years(start, SIGNER_YEARS), ca.not_valid_after_utc)
    return (x509.CertificateBuilder().subject_name(_name(SIGNER_PREFIX + key_id(public))).issuer_name(ca.subject)
            .public_key(public).serial_number(x509.random_serial_number())
            .not_valid_before(start).not_valid_after(end)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(usage, critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.EMAIL_PROTECTION]), critical=False)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(public), critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
            .sign(ca_key, None))  # fmt: skip


def _load_cert(path: Path) -> x509.Certificate | None:
    try:
        return x509.load_pem_x509_certificate(path.read_bytes())
    except (OSError, ValueError):
        return None


def _fresh(cert: x509.Certificate | None, public: Ed25519PublicKey) -> bool:
    return (cert is not None and cert.public_key() == public
            and cert.not_valid_after_utc - _now() > RENEW_BEFORE and cert.not_valid_before_utc <= _now())  # fmt: skip


@dataclass(frozen=True)
class Credentials:
    key: Ed25519PrivateKey  # the studio's key
    signer: x509.Certificate
    ca: x509.Certificate

    @property
    def chain_pem(self) -> bytes:
        return _pem(self.signer) + _pem(self.ca)


def load_or_create_credentials(root: Path) -> Credentials:
    """The studio's key with its C2PA certificate chain, the CA and the certificate made on first need."""
    key = load_or_create_key(root)
    folder = _make_keys_dir(root)
    ca_key_path = folder / CA_KEY_NAME
    if not ca_key_path.exists():
        _create_exclusively(ca_key_path, _private_pem(Ed25519PrivateKey.generate()), 0o600)
    ca_key = _read_private(ca_key_path)
    ca = _load_cert(folder / CA_CERT_NAME)
    if ca is None or not _fresh(ca, ca_key.public_key()):
        ca = _make_ca(ca_key)
        atomic_write(folder / CA_CERT_NAME, _pem(ca))
    signer = _load_cert(folder / SIGNER_CERT_NAME)
    issued = signer is not None and signer.issuer == ca.subject and _verifies(signer, ca)
    if not issued or not _fresh(signer, key.public_key()):
        signer = _make_signer(key.public_key(), ca_key, ca)
        atomic_write(folder / SIGNER_CERT_NAME, _pem(signer))
    return Credentials(key, signer, ca)


def _verifies(cert: x509.Certificate, ca: x509.Certificate) -> bool:
    try:
        cert.verify_directly_issued_by(ca)
        return True
    except (InvalidSignature, ValueError, TypeError):
        return False


def fingerprint(cert: x509.Certificate) -> str:
    """sha256 of the DER certificate, hex."""
    return cert.fingerprint(hashes.SHA256()).hex()


# -- embedding ----------------------------------------------------------------------------------


def definition(title: str, mime: str, assertions: dict, created: str, source_type: str | None = TRAINED) -> dict:
    """The C2PA manifest definition: a ``c2pa.created`` action with the AI label (none when a person wrote it all,
    ``source_type`` None), and ouvroir's assertions."""
    action = {"action": "c2pa.created", "softwareAgent": generator(), "when": created}
    if source_type:
        action["digitalSourceType"] = source_type
    custom = [{"label": label, "data": data} for label, data in assertions.items() if label != "c2pa.actions"]
    return {"claim_generator_info": [{"name": "ouvroir", "version": __version__}], "title": title, "format": mime,
            "assertions": [{"label": "c2pa.actions", "data": {"actions": [action]}}] + custom}  # fmt: skip


def embed(data: bytes, mime: str, manifest: dict, credentials: Credentials) -> bytes:
    """``data`` with a C2PA manifest built from ``manifest`` (see ``definition``), signed by the studio."""
    import c2pa

    try:
        info = c2pa.C2paSignerInfo(b"ed25519", credentials.chain_pem, _private_pem(credentials.key), None)
        with c2pa.Signer.from_info(info) as signer, c2pa.Builder(manifest) as builder:
            out = io.BytesIO()
            builder.sign(signer, mime, io.BytesIO(data), out)
    except c2pa.C2paError as exc:
        raise ProvenanceError(f"could not embed a C2PA manifest ({exc})") from exc
    return out.getvalue()


def sample_embedder(studio, record) -> Callable[..., bytes]:
    """A function embedding a C2PA manifest in each rendered file of ``record``'s samples.

    ``embed(data, mime, title, generation, created)`` returns the signed bytes; the
    assertions are the sidecar's (model, snapshot, generation). Key, certificates and
    snapshot are read once for a batch.
    """
    credentials = load_or_create_credentials(studio.root)
    chain = model_chain(studio, record)

    def embed_sample(data: bytes, mime: str, title: str, generation: dict, created: str) -> bytes:
        return embed(data, mime, definition(title, mime, chain | {"ouvroir.generation": generation}, created), credentials)

    return embed_sample


# -- reading and checking -----------------------------------------------------------------------


@dataclass
class Embedded:
    """What ``read`` found in a file: its active C2PA manifest and how it validated."""

    state: str | None  # "Valid", "Trusted", "Invalid", or None when the file has no manifest
    failures: list[dict] = field(default_factory=list)
    manifest: dict = field(default_factory=dict)  # the active manifest as c2pa's Reader gives it
    error: str | None = None
    label: str | None = None  # the active manifest's label (urn:c2pa:…)

    @property
    def assertions(self) -> dict:
        return {a.get("label"): a.get("data") for a in self.manifest.get("assertions", []) if isinstance(a, dict)}

    @property
    def signature_info(self) -> dict:
        info = self.manifest.get("signature_info")
        return info if isinstance(info, dict) else {}

    @property
    def failure_codes(self) -> list[str]:
        return [str(f.get("code")) for f in self.failures]


def read(data: bytes, mime: str, anchors: bytes | None = None) -> Embedded:
    """Read and validate the C2PA manifest in ``data``; ``anchors`` (PEM) are trusted CA certificates."""
    import c2pa

    try:
        context = c2pa.Context(c2pa.Settings.from_dict({"trust": {"user_anchors": anchors.decode()}})) if anchors else None
        reader = c2pa.Reader.try_create(mime, io.BytesIO(data), context=context)
        if reader is None:
            return Embedded(None)
        with reader:
            report = json.loads(reader.json())
            state = reader.get_validation_state()
    except (c2pa.C2paError, ValueError) as exc:
        return Embedded("Invalid", error=str(exc) or type(exc).__name__)
    active = report.get("manifests", {}).get(report.get("active_manifest"), {})
    results = (report.get("validation_results") or {}).get("activeManifest") or {}
    failures = results.get("failure") if isinstance(results.get("failure"), list) else report.get("validation_status") or []
    label = report.get("active_manifest") if isinstance(report.get("active_manifest"), str) else None
    return Embedded(state, [f for f in failures if isinstance(f, dict)], active if isinstance(active, dict) else {},
                    label=label)  # fmt: skip


def source_types(found: Embedded) -> list[str]:
    """The digital source types of the manifest's actions (c2pa-rs writes them as ``c2pa.actions.v2``)."""
    actions = found.assertions.get("c2pa.actions.v2") or found.assertions.get("c2pa.actions") or {}
    listed = actions.get("actions") if isinstance(actions, dict) else None
    return [a.get("digitalSourceType") for a in listed or [] if isinstance(a, dict)]


def _load(verdict, path: Path, studio) -> tuple[Embedded, bytes] | None:
    """The file's embedded manifest as read and validated (with the studio's CA as trust anchor when at hand)."""
    try:
        import c2pa  # noqa: F401
    except ImportError:
        verdict.add("c2pa", None, "embedded C2PA manifest not checked: c2pa-python is not installed")
        return None
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        verdict.add("c2pa", False, f"cannot read {path} ({exc.strerror or exc})")
        return None
    anchors = None
    if studio is not None:
        ca = _load_cert(keys_dir(studio.root) / CA_CERT_NAME)
        anchors = _pem(ca) if ca is not None else None
    return read(data, _mime(path), anchors), data


def _mime(path: Path) -> str:
    return mime_type(path) or "application/octet-stream"


def _valid(verdict, found: Embedded, studio) -> bool:
    """Add a failed ``c2pa`` check unless the manifest is intact (signature, hashes) and, with a studio, its own."""
    if found.error:
        verdict.add("c2pa", False, f"embedded C2PA manifest damaged: {found.error}")
        return False
    problems = [f"{f.get('code')} ({f.get('explanation')})" for f in found.failures if f.get("code") != ALLOWED_FAILURE]
    if found.state not in ("Valid", "Trusted") or problems:
        verdict.add("c2pa", False, "embedded C2PA manifest invalid: " + ("; ".join(problems) or f"state {found.state}"))
        return False
    if studio is not None and found.state != "Trusted":
        signer = found.signature_info.get("common_name") or "an unnamed certificate"
        verdict.add("c2pa", False, f"embedded C2PA manifest signed by a certificate this studio did not issue ({signer})")
        return False
    return True


def signer_key(found: Embedded, data: bytes) -> bytes | None:
    """The raw Ed25519 public key of the certificate that signed the manifest c2pa validated, or None."""
    cert = c2pa_signer.signer_certificate(data, found.label)
    if cert is None or str(cert.serial_number) != str(found.signature_info.get("cert_serial_number")):
        return None  # not the certificate c2pa checked the signature with: no key can be vouched for
    public = cert.public_key()
    return raw_public(public) if isinstance(public, Ed25519PublicKey) else None


def _described(found: Embedded, studio) -> str:
    signer = found.signature_info.get("common_name") or "an unnamed certificate"
    label = next((s.rsplit("/", 1)[-1] for s in source_types(found) if isinstance(s, str)), "no AI label")
    whose = "this studio's certificate" if studio is not None else "its certificate"
    return f"embedded C2PA manifest valid ({label}), signed by {whose} {signer!r}"


def check(verdict, path: Path, studio, sidecar_assertions: dict | None, sidecar_key: bytes | None = None) -> None:
    """Add a ``c2pa`` check to ``verdict`` for a file of a format C2PA embeds in (nothing for others).

    The embedded manifest must say what the sidecar says, signed by the sidecar's key, whose trust
    the sidecar's ``key`` check already decided.
    """
    if mime_type(path) is None:
        return
    loaded = _load(verdict, path, studio)
    if loaded is None:
        return
    found, data = loaded
    if found.state is None:
        verdict.add("c2pa", None, f"no embedded C2PA manifest in {Path(path).name} (the sidecar alone describes it)")
        return
    if not _valid(verdict, found, studio):
        return
    generation = found.assertions.get("ouvroir.generation")
    if isinstance(sidecar_assertions, dict) and generation != sidecar_assertions.get("ouvroir.generation"):
        verdict.add("c2pa", False, "the embedded C2PA manifest describes another generation than the sidecar manifest")
        return
    embedded_key = signer_key(found, data)
    if sidecar_key is not None and embedded_key != sidecar_key:
        whose = f"key {key_id(embedded_key)}" if embedded_key else "a certificate whose key cannot be read"
        verdict.add("c2pa", False, f"the embedded C2PA manifest is signed by {whose}, the sidecar by key {key_id(sidecar_key)}")
        return
    verdict.add("c2pa", True, _described(found, studio))


def check_alone(verdict, path: Path, studio) -> tuple[Embedded, bytes] | None:
    """A file without its sidecar: its embedded manifest stands in for it (None when it has none).

    Adds ``manifest`` and ``c2pa`` checks; returns the manifest and its signer's raw key when it is
    intact, or (manifest, None) when a check failed. The caller decides whether the key is trusted.
    """
    loaded = _load(verdict, path, studio)
    if loaded is None or loaded[0].state is None:
        return None
    found, data = loaded
    verdict.add("manifest", True, f"no sidecar: the C2PA manifest embedded in {Path(path).name}")
    if not _valid(verdict, found, studio):
        return found, None
    public = signer_key(found, data)
    if public is None:
        verdict.add("c2pa", False, "embedded C2PA manifest: the key of the certificate that signed it cannot be read")
        return found, None
    verdict.add("c2pa", True, _described(found, studio) + "; it binds the file's bytes by their hash")
    return found, public
