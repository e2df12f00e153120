"""Auditing in the studio: a model's samples, or any texts, measured against the corpus.

Each audit is stored as ``reports/<id>/audit.json`` (every figure) and
``reports/<id>/report.html`` (self-contained, opens offline), and recorded in
the store. The instruments live in ``ouvroir.audit``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from ..audit.engines import check_cluster
from ..audit.figures import AuditText
from ..audit.run import AuditOptions, AuditOutcome, add_baseline, assemble, model_corpus, store_audit, studio_corpus
from ..corpus.ingest import parse_bytes
from ..errors import AuditError, IngestError
from ..i18n.stages import Stage
from ..media.document import normalize_text
from ..media.encoding import decode_text
from ..media.formats import MUSIC_SUFFIXES, reader_for
from ..media.safexml import is_musicxml
from ..store import models as model_store

Progress = Callable[[str], None]
MAX_TEXT_BYTES = 20 << 20


@dataclass
class Skipped:
    path: Path
    reason: str


def default_prompts(held: Sequence[tuple[str, str]], count: int, seed: int) -> list[str]:
    """Openings for samples: the first words of lines drawn from held-out text (never trained on).

    >>> default_prompts([("w", "Le vent se lève.\\nIl faut tenter de vivre.")], 2, 0)
    ['Le vent se', 'Il faut tenter']
    """
    from ..audit.diversity import matched_excerpts

    lines = []
    for excerpt in matched_excerpts(list(held), count * 3, 200, seed):
        for line in excerpt.splitlines():
            words = line.split()
            prompt = " ".join(words[: min(len(words) - 1, 3)])
            if len(words) >= 3 and prompt not in lines:  # the prompt, not its line: two excerpts may share a line
                lines.append(prompt)
                break
        if len(lines) == count:
            break
    return lines


def stored_samples(studio, model_id: str) -> tuple[list[AuditText], dict[str, list[AuditText]], tuple[float, ...]]:
    """The model's stored samples as audit texts, grouped like generated ones (by temperature; by prompt)."""
    records = model_store.list_samples(studio.conn, model_id)
    if not records:
        raise AuditError(f"model {model_id} has no stored samples: run `ouvroir audit` without --reuse to generate some")
    texts = []
    for r in records:
        temperature = r.params.get("temperature")
        body = r.text or (studio.root / r.path).read_text("utf-8")
        texts.append(AuditText(r.id, f"T={temperature} · {r.id}", f"T={temperature}", body[len(r.prompt):], temperature, r.prompt))
    by_prompt: dict[str, list[AuditText]] = {}
    for t in texts:
        by_prompt.setdefault(t.prompt or "", []).append(t)
    groups = {"same prompt": max(by_prompt.values(), key=len)}
    if len(by_prompt) > 1:
        groups["different prompts"] = [items[0] for items in by_prompt.values()]
    temperatures = tuple(sorted({t.temperature for t in texts if t.temperature is not None}))
    return texts, groups, temperatures


def audit_model(studio, model_ref: str | None, options: AuditOptions, progress: Progress | None = None,
                reuse: bool = False) -> AuditOutcome:  # fmt: skip
    """Generate samples at each temperature (or reuse the stored ones) and audit them against the training text."""
    check_cluster(options.cluster)
    record = model_store.resolve_model(studio.conn, model_ref)
    if not reuse and "base" in record.config:  # before the copy index is built: a changed base is refused at once
        from .finetuning import check_base_of

        check_base_of(record)
    corpus = model_corpus(studio, record, progress, options.min_copy, options.seed, options.cluster)
    if reuse:
        texts, groups, temperatures = stored_samples(studio, record.id)
        options = replace(options, temperatures=temperatures)
    else:
        texts, groups = _generate(studio, record, corpus, options, progress)
    texts = [t for t in texts if t.text.strip()]
    if not texts:
        raise AuditError(f"model {record.id} generated only empty samples: raise --max-tokens")
    length = round(sum(len(t.text) for t in texts) / len(texts))
    add_baseline(corpus, len(texts) // max(1, len(options.temperatures)), length, options.seed)
    subject = {"kind": "model", "model_id": record.id, "snapshot_id": record.snapshot_id, "paths": []}
    data = assemble(corpus, subject, texts, options, groups, progress)
    return store_audit(studio, data, subject, corpus.index.id)


def _generate(studio, record, corpus, options: AuditOptions, progress: Progress | None):
    """Per temperature: a batch from one prompt, and one sample from each of several prompts."""
    from .generation import GenerationParams, generate_samples

    prompts = options.prompts or default_prompts(corpus.held or [], options.samples, options.seed) or [""]
    texts: list[AuditText] = []
    reference = min(options.temperatures, key=lambda t: abs(t - 1.0))
    groups: dict[str, list[AuditText]] = {}
    for temperature in options.temperatures:
        params = GenerationParams(max_tokens=options.max_tokens, temperature=temperature, top_p=None)
        if progress:
            progress(Stage("audit_generating", f"generating {options.samples} samples at temperature {temperature}",
                           n=options.samples, temperature=temperature))  # fmt: skip
        batches = [("same prompt", prompts[0], options.samples)]
        if len(prompts) > 1:
            batches += [("different prompts", p, 1) for p in prompts[: options.samples]]
        for group, prompt, n in batches:
            made = generate_samples(studio, record.id, prompt, n=n, params=params, seed=options.seed, device=options.device)
            for sample in made:
                item = AuditText(sample.id, f"T={temperature} · {sample.id}", f"T={temperature}",
                                 sample.text[len(prompt):], temperature, prompt)  # fmt: skip
                texts.append(item)
                if temperature == reference:
                    groups.setdefault(group, []).append(item)
    return texts, groups


def read_texts(paths: Sequence[Path]) -> tuple[list[AuditText], list[Skipped]]:
    """Read text files in any encoding, and scores (MIDI, MusicXML, ABC, Humdrum) as event text.

    Bad files are skipped with a reason, the rest go on. A score's text says it is music
    (``AuditText.group`` is "scores").
    """
    texts, skipped = [], []
    for path in paths:
        try:
            data = path.read_bytes()
            if len(data) > MAX_TEXT_BYTES:
                raise IngestError(f"larger than {MAX_TEXT_BYTES >> 20} MB")
            if path.suffix.lower() in MUSIC_SUFFIXES or (path.suffix.lower() == ".xml" and is_musicxml(data)):
                text, group = parse_bytes(reader_for(path.suffix), data, path.name).text, "scores"
            else:
                text, group = normalize_text(decode_text(data)[0]), "texts"
        except OSError as exc:
            skipped.append(Skipped(path, exc.strerror or str(exc)))
            continue
        except IngestError as exc:
            skipped.append(Skipped(path, str(exc)))
            continue
        if not text.strip():
            skipped.append(Skipped(path, "empty: there is no text to audit"))
            continue
        texts.append(AuditText(f"t{len(texts) + 1}", path.name, group, text))
    return texts, skipped


def audit_texts(
    studio, paths: Sequence[Path], options: AuditOptions, progress: Progress | None = None
) -> tuple[AuditOutcome, list[Skipped]]:
    """Audit the given files against every work of the studio; no model needed."""
    check_cluster(options.cluster)
    texts, skipped = read_texts(paths)
    if not texts:
        reasons = "; ".join(f"{s.path}: {s.reason}" for s in skipped)
        raise AuditError(f"no readable text to audit ({reasons})")
    if len({t.group for t in texts}) > 1:
        raise AuditError("give texts or scores, not both: each is audited against its own kind of work")
    medium = "music" if texts[0].group == "scores" else "text"
    corpus = studio_corpus(studio, progress, options.min_copy, medium, options.cluster)
    length = min(2000, round(sum(len(t.text) for t in texts) / len(texts)))
    add_baseline(corpus, len(texts), length, options.seed)
    subject = {"kind": "texts", "model_id": None, "snapshot_id": None, "paths": [str(p) for p in paths]}
    data = assemble(corpus, subject, texts, options, {texts[0].group: texts}, progress)
    return store_audit(studio, data, subject, corpus.index.id), skipped
