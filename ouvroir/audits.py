"""Auditing in the studio: a model's samples, or any texts, measured against the corpus.

Each audit is stored as ``reports/<id>/audit.json`` (every figure) and
``reports/<id>/report.html`` (self-contained, opens offline), and recorded in
the store. The instruments live in ``ouvroir.audit``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from .audit.figures import AuditText
from .audit.run import AuditOptions, AuditOutcome, add_baseline, assemble, model_corpus, store_audit, studio_corpus
from .errors import AuditError, IngestError
from .media.document import normalize_text
from .media.encoding import decode_text
from .store import models as model_store

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
    from .audit.diversity import matched_excerpts

    lines = []
    for excerpt in matched_excerpts(list(held), count * 3, 200, seed):
        for line in excerpt.splitlines():
            words = line.split()
            if len(words) >= 3 and line not in lines:
                lines.append(" ".join(words[: min(len(words) - 1, 3)]))
                break
        if len(lines) == count:
            break
    return lines


def audit_model(studio, model_ref: str | None, options: AuditOptions, progress: Progress | None = None) -> AuditOutcome:
    """Generate samples at each temperature and audit them against the model's training text."""
    from .samples import GenerationParams, generate_samples

    record = model_store.resolve_model(studio.conn, model_ref)
    corpus = model_corpus(studio, record, progress, options.min_copy, options.seed)
    prompts = options.prompts or default_prompts(corpus.held or [], options.samples, options.seed) or [""]
    texts: list[AuditText] = []
    reference = min(options.temperatures, key=lambda t: abs(t - 1.0))
    groups: dict[str, list[AuditText]] = {}
    for temperature in options.temperatures:
        params = GenerationParams(max_tokens=options.max_tokens, temperature=temperature, top_p=None)
        if progress:
            progress(f"generating {options.samples} samples at temperature {temperature}")
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
    texts = [t for t in texts if t.text.strip()]
    if not texts:
        raise AuditError(f"model {record.id} generated only empty samples: raise --max-tokens")
    length = round(sum(len(t.text) for t in texts) / len(texts))
    add_baseline(corpus, len(texts) // len(options.temperatures), length, options.seed)
    subject = {"kind": "model", "model_id": record.id, "snapshot_id": record.snapshot_id, "paths": []}
    data = assemble(corpus, subject, texts, options, groups, progress)
    return store_audit(studio, data, subject, corpus.index.id)


def read_texts(paths: Sequence[Path]) -> tuple[list[AuditText], list[Skipped]]:
    """Read text files in any encoding; bad ones are skipped with a reason, the rest go on."""
    texts, skipped = [], []
    for path in paths:
        try:
            data = path.read_bytes()
            if len(data) > MAX_TEXT_BYTES:
                raise IngestError(f"larger than {MAX_TEXT_BYTES >> 20} MB")
            text, _ = decode_text(data)
        except OSError as exc:
            skipped.append(Skipped(path, exc.strerror or str(exc)))
            continue
        except IngestError as exc:
            skipped.append(Skipped(path, str(exc)))
            continue
        text = normalize_text(text)
        if not text.strip():
            skipped.append(Skipped(path, "empty: there is no text to audit"))
            continue
        texts.append(AuditText(f"t{len(texts) + 1}", path.name, "texts", text))
    return texts, skipped


def audit_texts(
    studio, paths: Sequence[Path], options: AuditOptions, progress: Progress | None = None
) -> tuple[AuditOutcome, list[Skipped]]:
    """Audit the given files against every work of the studio; no model needed."""
    texts, skipped = read_texts(paths)
    if not texts:
        reasons = "; ".join(f"{s.path}: {s.reason}" for s in skipped)
        raise AuditError(f"no readable text to audit ({reasons})")
    corpus = studio_corpus(studio, progress, options.min_copy)
    length = min(2000, round(sum(len(t.text) for t in texts) / len(texts)))
    add_baseline(corpus, len(texts), length, options.seed)
    subject = {"kind": "texts", "model_id": None, "snapshot_id": None, "paths": [str(p) for p in paths]}
    data = assemble(corpus, subject, texts, options, {"texts": texts}, progress)
    return store_audit(studio, data, subject, corpus.index.id), skipped
