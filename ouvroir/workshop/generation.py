"""Generating in the studio: every sample is stored with its model, prompt, parameters and seed.

A sample is written as a file in its medium's format (``samples/<id>.txt``, or
``.fountain`` when the model's corpus is screenplays) beside its signed
provenance manifest (``<id>.txt.provenance.json``: model, snapshot and works,
prompt, parameters, seed, AI label; see ``provenance.manifest``), and
registered in the store. The same model, prompt, parameters and seed give the
same text.
"""

from __future__ import annotations

import secrets
import unicodedata
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache, partial
from pathlib import Path

from ..provenance.c2pa_embed import sample_embedder
from ..provenance.manifest import label_export, sample_labeller
from ..store import models as model_store
from ..store import snapshots as snapshot_store
from ..store.blobs import atomic_write, sha256_bytes
from ..store.db import now, transaction
from . import constraining
from .steering import refuse_unsteerable, resolve


@dataclass
class GenerationParams:
    max_tokens: int = 300
    temperature: float = 0.8
    top_p: float | None = 0.95
    top_k: int | None = None

    def as_dict(self) -> dict:
        return {"max_tokens": self.max_tokens, "temperature": self.temperature, "top_p": self.top_p, "top_k": self.top_k}


@lru_cache(maxsize=2)
def _load(model_dir: str, device: str):
    from ..learn.generate import load

    return load(model_dir, device=device)


def sample_suffix(studio, snapshot_id: str) -> str:
    """``.fountain`` when most of the training text is screenplays, else ``.txt``."""
    forms: Counter[str] = Counter()
    for form, chars in snapshot_store.work_forms(studio.conn, snapshot_id):
        forms[form] += chars
    return ".fountain" if forms and forms.most_common(1)[0][0] == "screenplay" else ".txt"


def refuse_withdrawn(studio, record: model_store.ModelRecord, anyway: str | None,
                     allowed: bool = False) -> list[model_store.Withdrawal]:  # fmt: skip
    """See ``store.models.refuse_withdrawn``: consent follows the model wherever its weights are used."""
    return model_store.refuse_withdrawn(studio.conn, record, anyway, allowed)


def generate_samples(
    studio,
    model_ref: str | None = None,
    prompt: str = "",
    n: int = 1,
    params: GenerationParams | None = None,
    seed: int | None = None,
    device: str = "auto",
    on_text: Callable[[str], None] | None = None,
    allow_withdrawn: bool = False,
    render_audio: bool = True,
    controls: dict[str, list[str]] | None = None,
    after: str | None = None,
    constraint=None,
    precision: str = "auto",
    steps: int | None = None,
) -> list[model_store.SampleRecord]:
    """Generate ``n`` samples from a model (default: the latest) and store them; return their records.

    ``controls`` steer the model ({"author": ["Verlaine"], "form": ["poem"]}, see ``steering``);
    with ``after``, each sample is a middle written between ``prompt`` and ``after``, stored as
    the whole passage (before, middle, after), its manifest saying where the middle lies.

    A model trained on a work whose consent has since been withdrawn is refused unless
    ``allow_withdrawn``: consent follows the model. A music sample gets its MIDI, MusicXML
    and WAV beside it (``render_audio=False`` leaves the WAV out). A ``constraint``
    (``learn.constraints.Constraint``) is enforced on every token; what is kept then is a
    ``constraining.Samples`` (see ``constraining`` for what happens to a sample that cannot meet it).
    ``precision`` "bf16" decodes in PyTorch under bf16 autocast; "auto" is fp32 (``learn.generate``).
    """
    from ..learn.generate import generate

    params = params or GenerationParams()
    record = model_store.resolve_model(studio.conn, model_ref)
    if record.config.get("medium") == "image":  # PNG files from the flow's sampler (``steps``: its integration steps)
        from .image_generation import generate_images

        return generate_images(studio, record, n, seed, steps, device, allow_withdrawn)
    withdrawn = refuse_withdrawn(studio, record, "pass --allow-withdrawn to generate anyway", allow_withdrawn)
    seed = secrets.randbelow(2**31) if seed is None else seed
    prompt = unicodedata.normalize("NFC", prompt)
    if constraint is not None:
        constraining.refuse_unsuited(studio, record, constraint, infill=after is not None)
        if constraint.require:  # a sample is known to meet it only at its end: nothing streams
            on_text = None
    medium = model_store.snapshot_medium(studio.conn, record.snapshot_id)
    steering = resolve(studio, record, controls, medium)  # before anything is generated: a refusal stores nothing
    if after is not None:
        refuse_unsteerable(studio, record, "infilling")
        after = unicodedata.normalize("NFC", after)
    completes: list[bool | None] = [None] * n
    if after is not None:
        from ..learn.generate import infill

        loaded = _load(str(studio.layout.model(record.id)), device)
        middles = infill(loaded, loaded.tokenizer, prompt, after, n, steering.alternatives, seed=seed,
                         on_text=on_text if n == 1 else None, precision=precision, **params.as_dict())  # fmt: skip
        texts, completes = [m.text for m in middles], [m.complete for m in middles]
    elif "base" in record.config:  # fine-tuned from a pre-trained model: transformers generates (workshop.finetuning)
        from .finetuning import generate_finetuned

        texts = generate_finetuned(studio, record, prompt, n, seed, device, params.as_dict())
        if on_text and n == 1:
            on_text(texts[0])
    else:
        loaded = _load(str(studio.layout.model(record.id)), device)
        texts = generate(loaded, loaded.tokenizer, prompt, n=n, seed=seed, on_text=on_text if n == 1 else None,
                         controls=steering.alternatives, precision=precision, **params.as_dict(),
                         **({"constraint": constraint} if constraint else {}))  # fmt: skip
    indices, unmet = range(len(texts)), []
    if constraint is not None:
        texts, indices, unmet = constraining.sort_out(texts, prompt, constraint, params.max_tokens)
    suffix = sample_suffix(studio, record.snapshot_id)
    label = sample_labeller(studio, record)
    embedder = sample_embedder(studio, record) if medium == "music" and render_audio else None
    voices = corpus_voices(studio, record.snapshot_id) if medium == "music" else None
    folder = studio.layout.samples
    samples = []
    created = now()
    for index, text in zip(indices, texts):
        sample_id = "g" + secrets.token_hex(5)
        full = prompt + text + (after or "")
        data = full.encode("utf-8")
        path = folder / f"{sample_id}{suffix}"
        atomic_write(path, data)
        generation = {"sample_id": sample_id, "prompt": prompt, "params": params.as_dict(), "seed": seed, "n": n,
                      "index": index} | steering.record()  # fmt: skip
        if after is not None:  # the middle is full[len(prompt):len(prompt) + len(text)]
            generation["infill"] = {"before_chars": len(prompt), "middle_chars": len(text), "after_chars": len(after),
                                    "complete": completes[index]}  # fmt: skip
        if constraint is not None:
            generation["constraint"] = constraint.as_dict()
        if withdrawn:  # generated anyway (--allow-withdrawn): the label says so
            generation["consent_withdrawn_works"] = [w.work_id for w in withdrawn]
        label(path, generation, created)
        if medium == "music":
            embed = embedder and partial(embedder, generation=generation, created=created)
            for rendered in render_music(path, full, record.id, render_audio, embed, voices):
                label(rendered, generation, created)  # after embedding: the sidecar hashes the final bytes
        steered = {key: generation[key] for key in ("controls", "infill", "constraint") if key in generation}
        samples.append(model_store.SampleRecord(sample_id, record.id, created, prompt,
                                                params.as_dict() | {"n": n, "index": index} | steered, seed,
                                                sha256_bytes(data), str(path.relative_to(studio.root)), full))  # fmt: skip
    with transaction(studio.conn):
        for sample in samples:
            model_store.insert_sample(studio.conn, sample)
    return constraining.Samples(samples, unmet, n, params.max_tokens) if constraint is not None else samples


@dataclass
class InfillCandidate:
    """A middle written between two passages, stored as a sample (the whole passage, signed)."""

    sample: model_store.SampleRecord
    middle: str
    complete: bool  # it ended by itself (the model's end of middle), not at the token budget


def infill(studio, model_ref: str | None, before: str, after: str, n: int = 3, params: GenerationParams | None = None,
           seed: int | None = None, controls: dict[str, list[str]] | None = None, device: str = "auto",
           allow_withdrawn: bool = False) -> list[InfillCandidate]:  # fmt: skip
    """``n`` candidate middles between ``before`` and ``after`` (the co-creation editor's "rewrite the selection")."""
    samples = generate_samples(studio, model_ref, before, n, params, seed, device, allow_withdrawn=allow_withdrawn,
                               render_audio=False, controls=controls, after=after)  # fmt: skip
    out = []
    for sample in samples:
        spans = sample.params["infill"]
        start = spans["before_chars"]
        out.append(InfillCandidate(sample, sample.text[start : start + spans["middle_chars"]], spans["complete"]))
    return out


_VOICES: dict[tuple[str, str], int] = {}


def corpus_voices(studio, snapshot_id: str) -> int | None:
    """How many voices the snapshot's scores have (None when its texts cannot be read).

    A generated voice beyond them is an invalid word, not a part. Snapshots never change:
    the count is kept for the process, so a batch reads the corpus once.
    """
    key = (str(studio.root), snapshot_id)
    if key not in _VOICES:
        from ..corpus.snapshot import load_snapshot
        from ..media.music.encoding import voice_count

        try:
            snapshot = load_snapshot(studio, snapshot_id)
            _VOICES[key] = voice_count(studio.blobs.get(w.text_sha256).decode("utf-8") for w in snapshot.works)
        except (OSError, ValueError, KeyError):  # a damaged studio still renders, within the format's limits
            return None
    return _VOICES[key]


def render_music(path: Path, events: str, model_id: str, audio: bool = True,
                 embed: Callable[..., bytes] | None = None, voices: int | None = None) -> list[Path]:  # fmt: skip
    """A generated event text as MIDI, MusicXML and WAV beside it (no WAV when not ``audio``); return the files.

    Voices from ``voices`` on (the corpus's count) are skipped as invalid words. The MIDI
    file carries its AI label inside too, in a text meta-event; the WAV a C2PA manifest,
    when ``embed(data, mime, title)`` is given (see ``provenance.c2pa_embed``).
    """
    from ..media.music.encoding import MAX_VOICES, decode
    from ..media.music.render import to_midi, to_musicxml
    from ..media.music.synth import to_wav

    piece = decode(events, max_voices=voices or MAX_VOICES)
    stem = path.with_suffix("")
    label = f"AI-generated music (IPTC trainedAlgorithmicMedia) by ouvroir model {model_id}; provenance: {path.name}"
    outputs = {stem.with_suffix(".mid"): lambda: to_midi(piece, label=label),
               stem.with_suffix(".musicxml"): lambda: to_musicxml(piece, title=f"{path.stem} (ouvroir {model_id})")}
    if audio:
        wav = stem.with_suffix(".wav")
        outputs[wav] = lambda: embed(to_wav(piece), "audio/wav", wav.name) if embed else to_wav(piece)
    for target, render in outputs.items():
        atomic_write(target, render())
    return list(outputs)


def publish_card(studio, record: model_store.ModelRecord, folder: Path, lang: str, fmt: str = "hf",
                 card: dict | None = None) -> None:  # fmt: skip
    """Write the card as ``README.md``, the datasheet and the loss curve the card shows into an exported folder."""
    from ..provenance.card import build_card
    from ..provenance.hub_card import publish_files

    card = card or build_card(studio, record.id, lang)
    for name, text in publish_files(card, lang, fmt).items():
        atomic_write(folder / name, text.encode("utf-8"))
    plot = studio.layout.model_plot(record.id)
    if card["model"]["loss_curve"] and plot.exists():
        atomic_write(folder / plot.name, plot.read_bytes())


def export_model(studio, model_ref: str | None, out_dir: Path, allow_withdrawn: bool = False, lang: str = "en",
                 fmt: str = "hf", dtype: str = "f16") -> Path:  # fmt: skip
    """Export a model to ``out_dir`` and sign the folder (``out_dir/provenance.json`` lists every file).

    ``fmt`` "hf": a transformers folder (a fine-tuned model's LoRA merged into its base); "peft": a
    LoRA fine-tune's adapter alone, loadable by peft on the same base; "gguf": one ``<id>.gguf`` file
    (weights in ``dtype``, f16 or f32) and an Ollama ``Modelfile``, for llama.cpp, Ollama and LM Studio
    (see ``gguf_export``). The folder is ready to publish: its model card is ``README.md`` (in ``lang``,
    with the front matter the Hugging Face hub reads), beside the corpus datasheet ``datasheet.md`` and
    the loss curve.

    A model trained on works whose consent is withdrawn is refused unless ``allow_withdrawn``;
    the signed manifest of such an export names those works.
    """
    from ..errors import OuvroirError

    if fmt not in ("hf", "peft", "gguf"):
        raise OuvroirError(f"unknown export format {fmt!r}: hf, peft or gguf")
    record = model_store.resolve_model(studio.conn, model_ref)
    anyway = "pass --allow-withdrawn to export anyway (the signed manifest then says so)"
    withdrawn = refuse_withdrawn(studio, record, anyway, allow_withdrawn)
    folder, base, card = studio.layout.model(record.id), None, None
    if "base" in record.config:
        from ..learn import export_finetuned as xf

        base = xf.base_record(record.config)
    if fmt == "gguf":
        from ..provenance.card import build_card
        from ..provenance.hub_card import hub_license
        from .gguf_export import export_gguf_folder

        card = build_card(studio, record.id, lang)  # its licence goes into the file, its text beside it
        path = export_gguf_folder(studio, record, out_dir, dtype, hub_license(card["datasheet"]["licenses"])["license"])
    elif base is not None:
        export = xf.export_peft if fmt == "peft" else xf.export_merged
        path = export(folder, record.config, out_dir)
    elif fmt == "peft":
        raise OuvroirError(f"model {record.id} was trained from scratch: it has no adapter to export as peft "
                           "(--format hf exports it whole)")  # fmt: skip
    else:
        from ..learn.export_hf import export_hf

        path = export_hf(folder, out_dir)
    publish_card(studio, record, path, lang, fmt, card)
    # last: it hashes every file written before it
    label_export(studio, path, record, fmt, now(), withdrawn=[w.work_id for w in withdrawn], base=base)
    return path
