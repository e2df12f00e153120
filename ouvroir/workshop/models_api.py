"""``studio.models``: the studio's models, what they were trained on, their samples, cards and exports.

Training, generation and export load the learning engine (torch) only when called, so opening
a studio or listing its models stays instant.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from ..store import models as model_store
from ..store.models import ModelRecord, SampleRecord, Withdrawal


class Models:
    def __init__(self, studio) -> None:
        self._studio = studio

    def _record(self, model: str | ModelRecord) -> ModelRecord:
        return model if isinstance(model, ModelRecord) else self.get(model, ready_only=False)

    # -- reading ------------------------------------------------------------------------------
    def all(self) -> list[ModelRecord]:
        """Every model, oldest first, whatever its status."""
        return model_store.list_models(self._studio.conn)

    def get(self, ref: str | None = None, ready_only: bool = True) -> ModelRecord:
        """A model by id, name or unique id prefix; with no reference, the latest ready model."""
        return model_store.resolve_model(self._studio.conn, ref, ready_only=ready_only)

    def ready(self, medium: str | None = None) -> list[ModelRecord]:
        """The ready models (of one medium, "text" or "music", if given), oldest first."""
        media = model_store.snapshot_media(self._studio.conn) if medium else {}
        return [m for m in self.all() if m.status == "ready" and (medium is None or media.get(m.snapshot_id) == medium)]

    def default_for(self, medium: str | None = None, prompt: str = "") -> ModelRecord:
        """The model a request without a model id means: the latest ready model of its medium.

        The medium is ``medium`` if given, else the prompt's: event text (its first word a bar
        signature, ``B4/4``) means music, any other text means text. With neither, the latest
        model is taken when the studio has trained one medium only; when it has several, nothing
        is guessed: ``ModelNotFound`` names the latest model of each (id, medium, created).
        """
        from ..errors import ModelNotFound
        from ..media.music.encoding import is_event_text

        if medium is None and prompt.strip():
            medium = "music" if is_event_text(prompt) else "text"
        latest = model_store.latest_ready_by_medium(self._studio.conn)
        if medium is not None:
            if medium not in latest:
                raise ModelNotFound(f"the studio has no ready {medium} model: train one with `ouvroir train --medium {medium}`")
            return latest[medium]
        if not latest:
            return self.get(None)  # its error says there is no model yet
        if len(latest) == 1:
            return next(iter(latest.values()))
        names = "; ".join(f"{m.id} ({kind}, {m.created_at[:16].replace('T', ' ')})" for kind, m in latest.items())
        raise ModelNotFound(f"the studio has models of several media, name one (or give the medium): {names}")

    def withdrawals(self, model: str | ModelRecord) -> list[Withdrawal]:
        """Works the model learned from whose consent is no longer ``train`` (or that were removed)."""
        return model_store.withdrawals(self._studio.conn, self._record(model).id)

    def medium(self, model: str | ModelRecord) -> str | None:
        """What the model learned: "text" or "music" (None if its snapshot is gone)."""
        return model_store.snapshot_medium(self._studio.conn, self._record(model).snapshot_id)

    def validation_works(self, model: str | ModelRecord) -> list[str]:
        """The titles of the works the model was validated on (its bits per byte compare only on these)."""
        return model_store.validation_titles(self._studio.conn, self._record(model).snapshot_id)

    def work_count(self, model: str | ModelRecord) -> int:
        """How many works the model's snapshot holds."""
        return model_store.snapshot_work_count(self._studio.conn, self._record(model).snapshot_id)

    def trained_on(self, work_id: str) -> list[dict]:
        """The models that learned from a work (id, status, created_at, val_bpb), oldest first."""
        return model_store.models_of_work(self._studio.conn, work_id)

    def sample_images(self, model: str | ModelRecord | None = None):
        """An image model's samples as uint8 [N, R, R, 3] and their sample ids (``image_generation.sample_arrays``)."""
        from .image_generation import sample_arrays

        return sample_arrays(self._studio, model.id if isinstance(model, ModelRecord) else model)

    def samples(self, model: str | ModelRecord | None = None) -> list[SampleRecord]:
        """The samples of one model (or of all), oldest first."""
        return model_store.list_samples(self._studio.conn, self._record(model).id if model else None)

    def score(self, sample_id: str):
        """A music sample's engraved score (a ``workshop.scores.SampleScore``), engraved on first request and kept."""
        from .scores import sample_score

        return sample_score(self._studio, sample_id)

    def folder(self, model: str | ModelRecord) -> Path:
        return self._studio.layout.model(self._record(model).id)

    def rename(self, ref: str, name: str) -> ModelRecord:
        """Give the model a name, unique in the studio, usable wherever an id is accepted."""
        from ..store.db import transaction

        name = model_store.check_name(name)
        record = self.get(ref, ready_only=False)
        with transaction(self._studio.conn):
            model_store.rename_model(self._studio.conn, record.id, name)
        return self.get(record.id, ready_only=False)

    # -- making -------------------------------------------------------------------------------
    def train(self, **settings) -> ModelRecord:
        """Train a model on the consenting works (see ``workshop.training.train_model`` for the settings)."""
        from .training import train_model

        return train_model(self._studio, **settings)

    def finetune(self, source: str, **settings) -> ModelRecord:
        """Fine-tune the pre-trained model in folder ``source`` on the consenting works (see ``workshop.finetuning``)."""
        from .finetuning import finetune_model

        return finetune_model(self._studio, source, **settings)

    def check_finetune(self, source: str, method: str = "lora", rank: int | None = None) -> None:
        """Refuse, in ``finetune``'s one-line words, what it would refuse about its base before loading it."""
        from .finetuning import check_source

        check_source(self._studio, source, method, rank)

    def retrain(self, ref: str, **settings) -> ModelRecord:
        """Train ``ref``'s configuration again on the works whose consent is ``train`` now."""
        from .training import retrain_model

        return retrain_model(self._studio, ref, **settings)

    def generate(self, ref: str | None = None, prompt: str = "", n: int = 1, params=None, seed: int | None = None,
                 device: str = "auto", on_text: Callable[[str], None] | None = None, allow_withdrawn: bool = False,
                 render_audio: bool = False, controls: dict[str, list[str]] | None = None,
                 after: str | None = None, constraint=None, precision: str = "auto",
                 steps: int | None = None) -> list[SampleRecord]:  # fmt: skip
        """Generate ``n`` samples (a ``GenerationParams`` as ``params``) and store each with its provenance.

        An image model writes PNG files and a contact sheet (``image_generation``); ``steps`` are its sampler's.

        ``controls`` steer it ({"author": ["Verlaine"]}); with ``after`` each sample fills the middle
        between ``prompt`` and ``after`` (see ``generation.generate_samples``); a ``Constraint`` is
        kept on every token, and a ``constraining.Samples`` says which samples could not meet it."""
        from .generation import generate_samples

        return generate_samples(self._studio, ref, prompt, n, params, seed, device, on_text=on_text,
                                allow_withdrawn=allow_withdrawn, render_audio=render_audio, controls=controls,
                                after=after, constraint=constraint, precision=precision, steps=steps)  # fmt: skip

    def infill(self, ref: str | None, before: str, after: str, n: int = 3, params=None, seed: int | None = None,
               controls: dict[str, list[str]] | None = None, device: str = "auto", allow_withdrawn: bool = False):
        """``n`` candidate middles between ``before`` and ``after``, each stored as a sample (``InfillCandidate``)."""
        from .generation import infill

        return infill(self._studio, ref, before, after, n, params, seed, controls, device, allow_withdrawn)

    def controls(self, model: str | ModelRecord) -> dict[str, list[str]]:
        """The control values a model knows ({"author": [...], "form": [...]}; empty for one trained before them)."""
        from .steering import known_controls

        return known_controls(self._studio, self._record(model))

    def can_infill(self, model: str | ModelRecord) -> bool:
        from .steering import can_infill

        return can_infill(self._studio, self._record(model))

    def export(self, ref: str | None, out_dir: Path, allow_withdrawn: bool = False, **options) -> Path:
        """The model as a Hugging Face folder in ``out_dir`` (``fmt="peft"``: a LoRA fine-tune's adapter), signed."""
        from .generation import export_model

        return export_model(self._studio, ref, out_dir, allow_withdrawn=allow_withdrawn, **options)

    # -- cards --------------------------------------------------------------------------------
    def card(self, ref: str | None, lang: str = "fr") -> dict:
        """The model card's data (the datasheet's too), read from the studio."""
        from ..provenance.card import build_card

        return build_card(self._studio, ref, lang)

    @staticmethod
    def card_markdown(card: dict, lang: str = "fr", works_shown: int | None = None) -> tuple[str, str]:
        """The card and the datasheet in Markdown (the datasheet's first ``works_shown`` works, when given)."""
        from ..provenance.card import render_datasheet, render_markdown

        return render_markdown(card, lang), render_datasheet(card, lang, works_shown)

    def write_card(self, ref: str | None, lang: str = "fr"):
        """Write the card and the datasheet (Markdown and JSON) beside the model; their paths."""
        from ..provenance.card import write_card

        return write_card(self._studio, ref, lang)
