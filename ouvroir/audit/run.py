"""Running an audit: gather the texts and the corpus, run every instrument, store JSON and HTML.

Two subjects:

* a **model**: its samples at each temperature (a batch from one prompt, and one
  sample from each of several prompts), against the index of its snapshot's
  training text; the human baseline is excerpts of the works held out from
  training, checked the same way;
* **texts** (any files: a chatbot's output, a draft), against the studio's
  works, whatever their consent, since an audit reads and trains nothing; the
  baseline is excerpts of each work checked against the other works.

The copy index is built once per corpus and reused (see ``index``).
"""

from __future__ import annotations

import random
import secrets
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

from ..version import __version__
from ..errors import AuditError
from ..fileio import sha256_bytes
from ..i18n.report import AUDIT_NOTES
from ..i18n.stages import Stage
from ..store.audits import insert_audit
from ..store.db import now, transaction
from . import attribution, bootstrap, diversity, style, uniform
from .copying import Span
from .engines import copy_spans, shard_map, shard_sorter
from .figures import (
    AuditText,
    copy_stats,
    credit_table,
    mean_creativity,
    mean_curve,
    public,
    reconstruct_sizes,
    text_record,
)
from .index import CorpusIndex, Document, build_index, index_key
from .medium import TextMedium, fold, medium_for

Progress = Callable[[str], None]
MIN_BASELINE = 20  # baseline excerpts: fewer make the human figure too noisy to read

# Notes shown in the report's section they concern, in the report's language (ouvroir.i18n.report).
NOTES = {
    "no_held_out": "copying",
    "one_work": "copying",
    "few_authors": "style",
    "short_for_style": "style",
    "style_music": "style",
    "few_for_voices": "uniformization",
    "one_text": "uniformization",
}
STYLE_WORDS = 1000


def note(code: str, lang: str) -> dict:
    messages = AUDIT_NOTES.strings.get(lang, AUDIT_NOTES["en"])
    return {"code": code, "section": NOTES[code], "message": messages[code]}


@dataclass
class AuditOptions:
    samples: int = 10  # per temperature and per group (same prompt / different prompts)
    temperatures: tuple[float, ...] = (0.7, 1.0, 1.3)
    prompts: list[str] | None = None
    min_copy: int = 50
    lang: str = "fr"
    max_tokens: int = 200
    seed: int = 0
    device: str = "auto"
    workers: int | None = None  # processes searching the copy index's shards (None: all cores)
    cluster: str | None = None  # dask://HOST:PORT or ray://HOST:PORT (dask, ray: a local one) instead


@dataclass
class Corpus:
    """What the instruments compare against."""

    index: CorpusIndex
    works: list[tuple[str, str]]  # (work_id, text) the model learned from, for matched excerpts
    authors: dict[str, list[str]]  # author -> texts, for style
    baseline: list[AuditText]
    baseline_exclude: list[int] | None
    baseline_source: str
    snapshot_id: str | None = None
    held: list[tuple[str, str]] | None = None  # held-out (work_id, text); None: each work against the others
    medium: TextMedium = field(default_factory=TextMedium)
    warnings: list[str] = field(default_factory=list)  # codes of NOTES


@dataclass
class AuditOutcome:
    id: str
    folder: Path
    data: dict

    @property
    def html(self) -> Path:
        return self.folder / "report.html"

    @property
    def json(self) -> Path:
        return self.folder / "audit.json"


def _index(studio, works: list[Document], medium: TextMedium, min_copy: int, progress: Progress | None,
           cluster: str | None = None) -> CorpusIndex:  # fmt: skip
    """The copy index of ``works`` as the medium searches them (music: interval texts), built once."""
    documents = []
    for w in works:
        searchable = medium.searchable(w.text)
        documents.append(Document(w.work_id, w.title, w.author, sha256_bytes(searchable.encode()), searchable))
    _check_size(documents, min_copy)
    key = index_key([d.text_sha256 for d in documents])
    return build_index(studio.layout.index(key), documents, progress=progress, submit=shard_sorter(cluster))


def _excerpts(works: list[tuple[str, str]], count: int, length: int, seed: int, group: str) -> list[AuditText]:
    texts = diversity.matched_excerpts(works, count, length, seed) if works else []
    return [AuditText(f"e{i + 1}", f"{group} #{i + 1}", group, t) for i, t in enumerate(texts)]


def model_corpus(studio, record, progress: Progress | None, min_copy: int, seed: int, cluster: str | None = None) -> Corpus:
    """The training text of a model's snapshot (indexed) and its held-out text (baseline)."""
    from ..corpus.snapshot import load_snapshot, tail_split

    try:
        snapshot = load_snapshot(studio, record.snapshot_id)
    except (OSError, ValueError) as exc:
        raise AuditError(f"model {record.id}: its snapshot {record.snapshot_id} is gone or unreadable ({exc}); "
                         "train a new model with `ouvroir train`") from exc  # fmt: skip
    medium = medium_for(snapshot.medium)
    train, held, authors = [], [], {}
    for w in snapshot.works:
        try:
            text = studio.blobs.get(w.text_sha256).decode("utf-8")
        except OSError as exc:
            raise AuditError(f"model {record.id}: the text of {w.title!r} is missing from the studio ({exc})") from exc
        learned, kept = (text, "") if w.split == "train" else ("", text) if w.split == "val" else tail_split(text)
        if learned:
            train.append(Document(w.work_id, w.title, w.author, "", learned))
            if w.author:
                authors.setdefault(w.author, []).append(learned)
        if kept:
            held.append((w.work_id, kept))
    index = _index(studio, train, medium, min_copy, progress, cluster)
    works = [(d.work_id, d.text) for d in train]
    return Corpus(index, works, authors, [], None, "held-out works", snapshot.id, held,
                  medium=medium, warnings=[] if held else ["no_held_out"])  # fmt: skip


def studio_corpus(studio, progress: Progress | None, min_copy: int, medium: str = "text", cluster: str | None = None) -> Corpus:
    """Every work of the studio in the medium (indexed); the baseline compares each work with the others."""
    documents = []
    authors: dict[str, list[str]] = {}
    for w in sorted((w for w in studio.works() if w.medium == medium), key=lambda w: w.text_sha256):
        text = studio.text(w)
        documents.append(Document(w.id, w.title, w.author, w.text_sha256, text))
        if w.author:
            authors.setdefault(w.author, []).append(text)
    if not documents:
        kind = "scores" if medium == "music" else "works"
        raise AuditError(f"the studio has no {kind} to audit against: add some with `ouvroir add FILES`")
    index = _index(studio, documents, medium_for(medium), min_copy, progress, cluster)
    warnings = [] if len(documents) > 1 else ["one_work"]
    return Corpus(index, [(d.work_id, d.text) for d in documents], authors, [], None, "each work against the others",
                  None, None, medium=medium_for(medium), warnings=warnings)  # fmt: skip


def _check_size(documents: Sequence[Document], min_copy: int) -> None:
    chars = sum(len(d.text) for d in documents)
    if chars < min_copy:
        raise AuditError(f"the corpus holds {chars} characters, fewer than --min-copy {min_copy}: "
                         "nothing could be found copied; add works or lower --min-copy")  # fmt: skip


def add_baseline(corpus: Corpus, count: int, length: int, seed: int) -> None:
    """Human baseline: excerpts of held-out works, or of each work with that work left out of the search."""
    count = max(count, MIN_BASELINE)
    if corpus.held is not None:
        corpus.baseline = _excerpts(corpus.held, count, length, seed, "baseline")
        return
    if len(corpus.works) < 2:
        return
    rng = random.Random(seed)
    order = list(range(len(corpus.works)))
    items, exclude = [], []
    while len(items) < count:
        rng.shuffle(order)
        for w in order[: count - len(items)]:
            (text,) = diversity.matched_excerpts([corpus.works[w]], 1, length, rng.randrange(2**31)) or ("",)
            items.append(AuditText(f"b{len(items) + 1}", f"baseline #{len(items) + 1}", "baseline", text))
            exclude.append(w)
    corpus.baseline, corpus.baseline_exclude = items, exclude


def _measure(corpus: Corpus, texts: list[AuditText], options: AuditOptions) -> list[dict]:
    sizes = reconstruct_sizes(options.min_copy)
    exclude = corpus.baseline_exclude if texts and texts[0].group == "baseline" else None
    medium = corpus.medium
    if not medium.keeps_offsets:  # search the derived text, keep what it was made from
        texts = [replace(t, text=medium.searchable(t.text), source=t.text) for t in texts]
        bodies = [t.text for t in texts]
        spans = copy_spans(corpus.index, bodies, options.min_copy, exclude, options.workers, options.cluster)
    else:  # search the folded text; spans are mapped back into the text as written, and into the work
        folds = [fold(t.text) for t in texts]
        bodies = [f for f, _ in folds]
        found = copy_spans(corpus.index, bodies, options.min_copy, exclude, options.workers, options.cluster)
        originals, origins = dict(corpus.works), {}

        def work_origin(work: int):
            if work not in origins:  # the fold map of a work as written, once per work
                origins[work] = fold(originals.get(corpus.index.works[work].work_id, ""))[1]
            return origins[work]

        spans = [unfold_spans(found_t, folded, origin, work_origin) for found_t, (folded, origin) in zip(found, folds)]
    shards = shard_map(corpus.index, options.workers, options.cluster)
    runs = attribution.word_runs(corpus.index, bodies, exclude, medium.word_pattern, shards)
    originals = dict(corpus.works)

    def locate(work: int, offset: int) -> dict:
        return medium.locate(originals.get(corpus.index.works[work].work_id, ""), offset)

    records = [text_record(corpus.index, t, s, r, sizes, locate) for t, s, r in zip(texts, spans, runs)]
    if exclude is None:  # the held-out baseline's copies are counted, never shown
        medium.add_passages(records, originals)
    return records


def unfold_spans(spans: list[Span], folded: str, origin, work_origin: Callable[[int], object]) -> list[Span]:
    """Spans of a folded text, with their positions in the text and in the work as written.

    A span's edge on a whitespace run (a quotation starting at a line break) is
    trimmed, so the span begins and ends on what was quoted.
    """
    out = []
    for s in spans:
        start, end, work_start = s.start, s.end, s.work_start
        if folded[start] == " " and end - start > 1:
            start, work_start = start + 1, work_start + 1
        if folded[end - 1] == " " and end - start > 1:
            end -= 1
        in_work = work_origin(s.work)
        out.append(replace(s, start=int(origin[start]), end=int(origin[end - 1]) + 1,
                           work_start=int(in_work[min(work_start, len(in_work) - 1)])))  # fmt: skip
    return out


def _uniformization(corpus: Corpus, groups: dict[str, list[AuditText]], rare, seed: int, every_interval: bool = True) -> dict:
    out = {}
    for name, items in groups.items():
        if len(items) < 2:
            continue
        bodies = [t.text for t in items]
        length = max(1, round(sum(len(b) for b in bodies) / len(bodies)))
        excerpts = [t.text for t in _excerpts(corpus.works, len(bodies), length, seed, "corpus")]
        if len(excerpts) != len(bodies):
            continue
        reference = [t.text for t in _excerpts(corpus.works, uniform.REFERENCE_TEXTS, length, seed + 1, "reference")]
        out[name] = uniform.compare(bodies, excerpts, reference, rare, corpus.medium, seed, every_interval)
    return out


def _style(corpus: Corpus, texts: list[AuditText]) -> dict | None:
    if not corpus.authors or not texts or not corpus.medium.style:
        return None
    result = style.burrows_delta([t.text for t in texts], corpus.authors)
    return {"mfw": result.mfw, "nearest_author": result.nearest_author,
            "samples_to_authors": [{"author": a, "delta": round(d, 4)} for a, d in result.samples_to_authors],
            "between_authors": [{"a": a, "b": b, "delta": round(d, 4)} for a, b, d in result.between_authors]}  # fmt: skip


def assemble(corpus: Corpus, subject: dict, texts: list[AuditText], options: AuditOptions,
             groups: dict[str, list[AuditText]], progress: Progress | None) -> dict:  # fmt: skip
    """Run every instrument over ``texts`` (grouped) and return the audit's JSON document."""
    if progress:
        progress(Stage("audit_checking", f"checking {len(texts)} texts and {len(corpus.baseline)} baseline excerpts "
                       "against the corpus", texts=len(texts), baseline=len(corpus.baseline)))  # fmt: skip
    records = _measure(corpus, texts, options)
    baseline = _measure(corpus, corpus.baseline, options) if corpus.baseline else []
    by_id = {r["id"]: r for r in records}
    by_group: dict[str, list[dict]] = {}
    for r in records:
        by_group.setdefault(r["group"], []).append(r)
    credit, coverage = credit_table(corpus.index, records)
    if progress:
        progress(Stage("audit_measuring", "measuring diversity and style"))
    rare = diversity.rare_vocabulary([text for _, text in corpus.works])
    uniformization = _uniformization(corpus, groups, rare, options.seed)
    sweep = []
    for temperature in options.temperatures if subject["kind"] == "model" else []:
        at = [r for r in records if r["temperature"] == temperature]
        diverse = _uniformization(corpus, {"t": [t for t in texts if t.temperature == temperature]}, rare, options.seed,
                                  every_interval=False)
        sweep.append({"temperature": temperature, "mean_copied_share": copy_stats(at).get("mean_copied_share"),
                      "mean_copied_share_interval": _interval(at, "copied_share"),
                      "diversity_ratio": diverse.get("t", {}).get("summary_ratio"),
                      "diversity_ratio_interval": diverse.get("t", {}).get("summary_interval"),
                      "creativity_index": mean_creativity(at),
                      "creativity_index_interval": _interval(at, "creativity_index")})  # fmt: skip
    headline = next(iter(uniformization.values()), {})
    warnings = list(corpus.warnings)
    if not corpus.medium.style:
        warnings.append("style_music")
    elif len(corpus.authors) < 2:
        warnings.append("few_authors")
    elif sum(len(t.text.split()) for t in texts) < STYLE_WORDS:
        warnings.append("short_for_style")
    if not uniformization:
        warnings.append("one_text")
    elif any(g.get("below_minimum") for g in uniformization.values()):
        warnings.append("few_for_voices")
    data = {
        "format": "ouvroir-audit/1",
        "created": now(),
        "ouvroir_version": __version__,
        "lang": options.lang,
        "subject": subject,
        "medium": corpus.medium.name,
        "corpus": {"works": len(corpus.index.works), "authors": len({w.author for w in corpus.index.works if w.author}),
                   "chars": sum(w.chars for w in corpus.index.works), "index_id": corpus.index.id},
        "settings": {"min_copy": options.min_copy, "temperatures": list(options.temperatures) if subject["kind"] == "model" else [],
                     "samples_per_temperature": options.samples, "max_tokens": options.max_tokens, "seed": options.seed,
                     "reconstruct_words": reconstruct_sizes(options.min_copy)},
        "texts": [public(by_id[t.id]) for t in texts],
        "copying": {
            "by_group": {g: copy_stats(rs) for g, rs in by_group.items()},
            "all": copy_stats(records),
            "overall_copied_share": round(sum(r["copied_share"] * r["chars"] for r in records)
                                          / max(1, sum(r["chars"] for r in records)), 4),  # fmt: skip
            "baseline": copy_stats(baseline) | {"source": corpus.baseline_source},
            "reconstructibility": {"samples": mean_curve(records), "baseline": mean_curve(baseline)},
            "creativity_index": {"samples": mean_creativity(records), "baseline": mean_creativity(baseline)},
            "intervals": {"mean_copied_share": _interval(records, "copied_share"),
                          "baseline_copied_share": _interval(baseline, "copied_share"),
                          "creativity_index": _interval(records, "creativity_index"),
                          "baseline_creativity_index": _interval(baseline, "creativity_index"),
                          "resamples": bootstrap.RESAMPLES, "level": bootstrap.LEVEL},
        },
        "credit": credit,
        "credit_coverage": coverage,
        "uniformization": {"groups": uniformization, "summary_ratio": headline.get("summary_ratio"),
                           "summary_interval": headline.get("summary_interval"),
                           "summary_measure": headline.get("summary_measure"),
                           "indistinguishable": headline.get("indistinguishable"),
                           "texts_needed": headline.get("texts_needed"), "precise": headline.get("precise"),
                           "n_texts": headline.get("n_texts")},
        "sweep": sweep,
        "style": _style(corpus, texts),
        "warnings": [note(code, options.lang) for code in warnings],
    }  # fmt: skip
    return data


def _interval(records: Sequence[dict], key: str) -> list[float] | None:
    """The bootstrap interval of the mean of a per-text figure."""
    return bootstrap.mean_interval([r[key] for r in records])


def store_audit(studio, data: dict, subject: dict, index_id: str) -> AuditOutcome:
    """Write the JSON and the HTML report under reports/<id>/, sign them (provenance.json) and record the audit."""
    from ..provenance.manifest import label_audit
    from ..report.build import write_report

    audit_id = "a" + secrets.token_hex(5)
    data["id"] = audit_id
    folder = studio.layout.report(audit_id)
    write_report(data, folder, data["lang"])
    summary = summarize(data)
    label_audit(studio, folder, data, index_id, summary)
    with transaction(studio.conn):
        insert_audit(studio.conn, audit_id, data["created"], subject["kind"], subject.get("model_id"),
                     subject.get("snapshot_id"), index_id, data["lang"], summary, str(folder.relative_to(studio.root)))
    return AuditOutcome(audit_id, folder, data)


def summarize(data: dict) -> dict:
    """The few figures the terminal, the model card and `ouvroir audits` show."""
    copying = data["copying"]
    top = data["credit"][0] if data["credit"] else None
    return {
        "mean_copied_share": copying["all"].get("mean_copied_share"),
        "baseline_copied_share": copying["baseline"].get("mean_copied_share"),
        "texts_with_copy": copying["all"].get("texts_with_copy"),
        "texts": copying["all"].get("texts"),
        "longest_copy": copying["all"].get("longest_copy"),
        "creativity_index": copying["creativity_index"]["samples"],
        "baseline_creativity_index": copying["creativity_index"]["baseline"],
        "top_author": top and top["author"],
        "top_author_share": top and top["share"],
        "diversity_ratio": data["uniformization"]["summary_ratio"],
        "diversity_interval": data["uniformization"].get("summary_interval"),
        "diversity_measure": data["uniformization"].get("summary_measure"),
        "diversity_indistinguishable": data["uniformization"].get("indistinguishable"),
        "diversity_texts_needed": data["uniformization"].get("texts_needed"),
        "diversity_precise": data["uniformization"].get("precise"),
        "copied_share_interval": copying.get("intervals", {}).get("mean_copied_share"),
        "creativity_interval": copying.get("intervals", {}).get("creativity_index"),
        "nearest_author": data["style"] and data["style"]["nearest_author"],
    }
