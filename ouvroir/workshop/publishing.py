"""``studio.publish``: co-written documents, samples and the owner's works as HTML, EPUB and PDF, signed, with a QR code.

The workshop finds each item in the store and says what its sidecars assert (the authorship ledger,
the model and snapshot chain, the generation); :mod:`ouvroir.publish` renders, signs and writes.
``verify_qr`` checks a QR code offline against the studio's keys and the keys a reader was given.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path

from ..cocreate import documents as docs
from ..cocreate.export import ledger_record
from ..cocreate.ledger import GENERATED, MODEL, PERSON, WRITTEN, summarize
from ..errors import DocumentNotFound, PublishError, WorkNotFound
from ..i18n import Translator
from ..i18n.publish import PUBLISH
from ..provenance import manifest as mf
from ..provenance.keys import load_or_create_key, trusted_keys
from ..publish.bundle import Published, Voice, parse_formats, publish as write_bundle
from ..publish.item import Item
from ..store import models as model_store
from ..store import works as works_store
from ..store.db import now
from .documents_api import source_type


def _model_chains(studio, model_ids: list[str], allow_withdrawn: bool = False) -> dict:
    """The models' provenance chains; refused when one learned a work whose consent is withdrawn, unless allowed
    (then the works are listed): consent follows a model's output out of the studio as it follows its weights."""
    records = [model_store.resolve_model(studio.conn, m, ready_only=False) for m in model_ids]
    withdrawn = [w.work_id for r in records for w in model_store.refuse_withdrawn(
        studio.conn, r, "pass --allow-withdrawn to publish anyway", allow_withdrawn)]  # fmt: skip
    chains = [mf.model_chain(studio, r) for r in records]
    marked = {"ouvroir.publication": {"consent_withdrawn_works": sorted(set(withdrawn))}} if withdrawn else {}
    if len(chains) == 1:  # as a sample's: verify's chain checks apply as they are
        return chains[0] | marked
    return ({"ouvroir.models": chains} if chains else {}) | marked


def document_item(studio, doc: docs.Doc, title: str | None, lang: str | None, allow_withdrawn: bool = False) -> Item:
    record = ledger_record(doc, "publication")
    used = list(dict.fromkeys(p["sample_id"] for p in record["pieces"]))
    assertions = {"ouvroir.ledger": record, "ouvroir.samples": used}
    assertions |= _model_chains(studio, sorted({p["model_id"] for p in record["pieces"]}), allow_withdrawn)
    return Item("co-creation", doc.id, title or doc.title, lang or doc.lang, doc.text, record["spans"], record["summary"],
                record["pieces"], source_type(record["spans"]), assertions)  # fmt: skip


def sample_item(studio, row, title: str | None, lang: str | None, allow_withdrawn: bool = False) -> Item:
    medium = model_store.snapshot_medium(studio.conn, _model(studio, row).snapshot_id)
    if medium not in (None, "text", "music", "image"):
        raise PublishError(f"sample {row['id']} is a {medium} sample: ouvroir publishes documents and text, music "
                           "and image samples")  # fmt: skip
    media, prompt = {}, row["prompt"]
    if medium == "image":
        text, media = _image(studio, row, lang or "fr")
        prompt = None
    else:
        text = docs.checked_sample_text(studio, row, PublishError, "sample")
    if medium == "music":
        text, prompt, media = _music(studio, row, text, prompt)
    written = len(prompt or "")
    spans = [{"start": 0, "end": written, "category": WRITTEN, "origin": PERSON, "piece": None}] if written else []
    if len(text) > written:
        spans.append({"start": written, "end": len(text), "category": GENERATED, "origin": MODEL, "piece": 0,
                      "sample_id": row["id"], "model_id": row["model_id"], "offset": 0})  # fmt: skip
    summary = summarize(Counter({WRITTEN: written, GENERATED: len(text) - written}), len(text))
    lang = lang or "fr"
    generation = {"sample_id": row["id"], "prompt": row["prompt"], "params": json.loads(row["params"]), "seed": row["seed"]}
    assertions = _model_chains(studio, [row["model_id"]], allow_withdrawn) | {"ouvroir.generation": generation}
    return Item("sample", row["id"], title or Translator(lang, PUBLISH)("sample_title", sample=row["id"]), lang, text,
                spans, summary, [{"sample_id": row["id"], "model_id": row["model_id"]}], mf.TRAINED, assertions,
                prompt=prompt, **media)  # fmt: skip


def _image(studio, row, lang: str) -> tuple[str, dict]:
    """An image sample's PNG, checked against the hash taken when it was generated, and the line naming it."""
    data = docs.checked_sample_bytes(studio, row, PublishError, "sample", what="image")
    line = Translator(lang, PUBLISH)("picture_bytes", sample=row["id"], sha256=row["text_sha256"])
    return line, {"picture": data}


def _music(studio, row, events: str, prompt: str) -> tuple[str, str, dict]:
    """A music sample's events as its score plays them, its prompt likewise, its engraved score and its WAV.

    What a model writes may hold words that are no music (a tiny model's stray bytes): they are
    skipped when the score is rendered, and left out of what is published too, so the events a
    reader checks against the QR code are the score's, in characters every format prints.
    """
    from ..errors import OuvroirError
    from ..media.music.encoding import MAX_VOICES, decode, encode
    from .generation import corpus_voices
    from .scores import sample_score

    try:
        score = sample_score(studio, row["id"])
    except OuvroirError as exc:
        raise PublishError(f"sample {row['id']}'s score cannot be engraved: {exc}") from exc
    voices = corpus_voices(studio, _model(studio, row).snapshot_id) or MAX_VOICES
    played = encode(decode(events, max_voices=voices))
    opening = encode(decode(prompt, max_voices=voices)) if prompt.strip() else ""
    if not played.strip():
        raise PublishError(f"sample {row['id']} holds no playable event: nothing to publish")
    wav = (studio.root / row["path"]).with_suffix(".wav")
    found = {"score_svg": score.svg, "wav": wav.read_bytes() if wav.is_file() else None}
    return played, opening if played.startswith(opening) else "", found


def _model(studio, row):
    return model_store.resolve_model(studio.conn, row["model_id"], ready_only=False)


def find_item(studio, ref: str, title: str | None = None, lang: str | None = None, allow_withdrawn: bool = False) -> Item:
    """A sample by its id, else a document by id, id prefix or title, else a work by id, id prefix or title."""
    row = model_store.sample_row(studio.conn, ref)
    if row is not None:
        return sample_item(studio, row, title, lang, allow_withdrawn)
    try:
        doc = docs.get_document(studio, ref)
    except DocumentNotFound as exc:
        try:
            work = works_store.resolve(studio.conn, ref)
        except WorkNotFound as missing:
            if re.search(r" matches \d+ works", str(missing)):  # several works: say which, never guess
                raise PublishError(str(missing)) from missing
            raise PublishError(f"nothing to publish matches {ref!r}: give a document (`ouvroir docs list`), a sample "
                               f"id (samples/g….txt) or a work of yours (`ouvroir works`)") from exc  # fmt: skip
        return work_item(studio, work, title, lang)
    return document_item(studio, doc, title, lang, allow_withdrawn)


def work_item(studio, work, title: str | None, lang: str | None) -> Item:
    """A work of the studio's owner, with its rights record; refused for anyone else's, with the reason.

    The author compared is the one the studio stored for the work, by the owner rule's own comparison
    (``corpus.intake.same_name``): a studio publishes its owner's works, never the corpus it learns from.
    """
    from ..corpus.intake import same_name
    from ..store.meta import owner as studio_owner

    owner = studio_owner(studio.conn)
    named = f"work {work.id} ({work.title!r})"
    if not owner:
        raise PublishError(f"{named} not published: this studio has no owner to compare its author with "
                           "(`ouvroir init --owner NAME` names you)")  # fmt: skip
    if not work.author or not same_name(owner, work.author):
        by = f"by {work.author}" if work.author else "by an unknown author"
        raise PublishError(f"{named} not published: it is {by}, not by the studio's owner, {owner}; ouvroir "
                           "publishes its owner's own works only")  # fmt: skip
    if work.medium != "text":
        raise PublishError(f"{named} not published: it is a {work.medium} work; ouvroir publishes its owner's text works")
    text = studio.blobs.get(work.text_sha256).decode("utf-8")
    history = [{"consent": e.consent, "reason": e.reason, "origin": e.origin, "at": e.at}
               for e in works_store.consent_history(studio.conn, work.id)]  # fmt: skip
    rights = {"work_id": work.id, "title": work.title, "author": work.author, "owner": owner, "license": work.license,
              "source": work.source, "consent": work.consent, "consent_history": history,
              "original_sha256": work.original_sha256, "text_sha256": work.text_sha256}  # fmt: skip
    spans = [{"start": 0, "end": len(text), "category": WRITTEN, "origin": PERSON, "piece": None}] if text else []
    summary = summarize(Counter({WRITTEN: len(text)}), len(text))
    language = (work.metadata.get("language") or "")[:2].lower()
    lang = lang or (language if language in ("fr", "en") else "fr")
    return Item("work", work.id, title or work.title, lang, text, spans, summary, [], None, {"ouvroir.work": rights},
                rights=rights)  # fmt: skip


def publish(studio, refs: list[str], formats: str | list[str], out: Path, title: str | None = None,
            lang: str | None = None, tdm_reservation: bool = True, url: str | None = None,
            force: bool = False, voice_command: str | None = None, allow_withdrawn: bool = False) -> Published:  # fmt: skip
    """Write each item in each format into ``out`` (refused if it exists, unless ``force``); all or nothing.

    An item from a model trained on a work whose consent is withdrawn is refused unless ``allow_withdrawn``.

    ``audio`` reads the text aloud with ``voice_command`` (default: espeak-ng, see ``publish.audio``);
    without its engine it is skipped with a warning in ``Published.warnings``.
    """
    wanted, items = _prepare(studio, refs, formats, title, lang, allow_withdrawn)
    return write_bundle(items, wanted, Path(out), load_or_create_key(studio.root), now(), tdm_reservation, url, force,
                        _voice(studio, wanted, voice_command))  # fmt: skip


def publish_site(studio, refs: list[str], formats: str | list[str], site: Path, lang: str | None = None,
                 tdm_reservation: bool = True, url: str | None = None, force: bool = False,
                 voice_command: str | None = None, allow_withdrawn: bool = False) -> Published:  # fmt: skip
    """A static gallery in ``site``: an index, a page per item with its formats, QR code and provenance."""
    from ..publish import site as gallery

    wanted, items = _prepare(studio, refs, formats, None, lang, allow_withdrawn)
    return gallery.write(items, wanted, Path(site), load_or_create_key(studio.root), now(), lang, tdm_reservation,
                         url, force, _voice(studio, wanted, voice_command))  # fmt: skip


def publish_archive(studio, ref: str, formats: list[str], lang: str | None = None) -> tuple[str, bytes]:
    """One item published in ``formats``, every file and sidecar in one zip: (its file name, its bytes)."""
    import io
    import shutil
    import tempfile
    import zipfile

    if not formats:
        raise PublishError("choose at least one format to publish (html, epub, pdf)")
    scratch = Path(tempfile.mkdtemp(prefix="ouvroir-publish-"))
    try:
        made = publish(studio, [ref], formats, scratch / "out", lang=lang)
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            for file in sorted(made.folder.iterdir()):
                archive.write(file, file.name)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return f"{made.entries[0][1]}.zip", buffer.getvalue()


def _voice(studio, wanted: list[str], command: str | None) -> Voice:
    """The voice engine and, for the WAV's embedded C2PA manifest, the studio's certificate chain."""
    if "audio" not in wanted:
        return Voice(command)
    from ..provenance.c2pa_embed import load_or_create_credentials

    return Voice(command, load_or_create_credentials(studio.root))


def _prepare(studio, refs: list[str], formats: str | list[str], title: str | None, lang: str | None,
             allow_withdrawn: bool = False):  # fmt: skip
    wanted = parse_formats(formats) if isinstance(formats, str) else parse_formats(",".join(formats))
    if lang is not None and lang not in ("fr", "en"):
        raise PublishError(f"--lang {lang!r}: ouvroir publishes in fr or en")
    if title is not None and len(refs) > 1:
        raise PublishError("--title names one item: publish the items one at a time to give each its title")
    return wanted, [find_item(studio, ref, title, lang, allow_withdrawn) for ref in refs]


def verify_qr(path: Path, studio=None, keys=()):
    """The verdict on the QR code in ``path``, against the studio's keys (current and former) and ``keys``."""
    from ..publish.check import verify_qr as check

    trusted = [k.public_bytes for k in trusted_keys(studio.root)] if studio is not None else []
    return check(path, trusted + [k.public_bytes for k in keys])
