"""What a long job says while it runs (training and audit stages), keyed so that each face speaks its own language.

A :class:`Stage` is the English line the terminal has always printed (it is a ``str``), and it also
carries a catalogue key and its values. The web studio shows ``key`` and ``values`` in the page's
language through :func:`stage_text`, never the terminal's line: that line may name commands
(``ouvroir train --resume``) a person in the browser has buttons for instead.

A value may itself be a word of this catalogue, ``word("medium_text")``: it is translated too.

>>> s = Stage("audit_measuring", "measuring diversity and style")
>>> s, s.key, stage_text("fr", s.key, s.values, str(s))
('measuring diversity and style', 'audit_measuring', 'Mesure de la diversité et du style')
>>> stage_text("fr", "no such key", {}, "as it came")
'as it came'
"""

from __future__ import annotations

from . import Catalogue, check_lang, integer


class Stage(str):
    """``Stage(key, english_line, **values)``: prints as ``english_line``; ``key`` and ``values`` are for the web."""

    key: str
    values: dict

    def __new__(cls, key: str, text: str, **values: object) -> Stage:
        self = super().__new__(cls, text)
        self.key, self.values = key, values
        return self


def word(key: str) -> dict:
    """A value that is itself a word of the catalogue (a medium, a split rule, a budget)."""
    return {"key": key}


STAGES = Catalogue("stages", {
    "medium_text": ("de texte", "text"),
    "medium_music": ("de musique", "music"),
    "split_by_work": ("des œuvres entières tenues à l’écart pour la validation",
                      "whole works held out for validation"),
    "split_by_tail": ("les derniers 10 % de chaque œuvre tenus à l’écart (trop peu d’œuvres pour en écarter des entières)",
                      "the last 10% of every work held out (too few works to hold out whole ones)"),
    "size_tiny": ("minuscule", "tiny"),
    "size_small": ("petit", "small"),
    "size_base": ("moyen", "base"),
    "budget_minutes": ("{minutes} min en tout", "{minutes} min in all"),
    "budget_steps": ("{steps} pas", "{steps} steps"),
    "budget_both": ("{minutes} min en tout ou {steps} pas", "{minutes} min in all or {steps} steps"),
    "snapshot_taking": ("Instantané des œuvres {medium} dont le dernier consentement dit « entraîner »",
                        "Taking a snapshot of the {medium} works whose latest consent is “train”"),
    "snapshot_taken": ("Instantané {snapshot} : {train} œuvre(s) pour l’entraînement, {val} pour la validation ({rule})",
                       "Snapshot {snapshot}: {train} work(s) for training, {val} for validation ({rule})"),
    "snapshot_copy": ("Attention : une copie dans l’instantané : {detail}", "Warning: a copy in the snapshot: {detail}"),
    "tiny_corpus": ("Attention : le corpus est minuscule pour ce temps ({kb} Ko de texte d’entraînement, parcouru "
                    "environ {passes} fois) : le modèle l’apprendra par cœur au lieu d’en apprendre. Ajoutez des "
                    "œuvres ou donnez moins de temps.",
                    "Warning: the corpus is tiny for this budget ({kb} KB of training text, gone over about {passes} "
                    "times): the model will memorize it rather than learn from it. Add works or give a shorter budget."),
    "memorized": ("Attention : le modèle a appris son corpus par cœur : {train_bpb} bits par octet sur le texte "
                  "d’entraînement contre {val_bpb} sur les œuvres qu’il n’a jamais vues. Ajoutez des œuvres ou "
                  "entraînez moins longtemps.",
                  "Warning: the model memorized its corpus: {train_bpb} bits per byte on the training text against "
                  "{val_bpb} on the works it never saw. Add works or train for less time."),
    "training_start": ("Entraînement du modèle {model} ({size}) sur {device} — {budget}. « Arrêter » garde le dernier "
                       "point de reprise ; « Reprendre » continue de là.",
                       "Training model {model} ({size}) on {device} — {budget}. “Stop” keeps the last checkpoint; "
                       "“Resume” continues from there."),
    "resuming_start": ("Reprise du modèle {model} ({size}) sur {device} — {budget}. « Arrêter » garde le dernier point "
                       "de reprise ; « Reprendre » continue de là.",
                       "Resuming model {model} ({size}) on {device} — {budget}. “Stop” keeps the last checkpoint; "
                       "“Resume” continues from there."),
    "extending_start": ("Prolongation du modèle {model} ({size}) sur {device} — {budget}. « Arrêter » garde le dernier "
                        "point de reprise ; « Reprendre » continue de là.",
                        "Extending model {model} ({size}) on {device} — {budget}. “Stop” keeps the last checkpoint; "
                        "“Resume” continues from there."),
    "audit_indexing": ("Indexation de {works} œuvre(s) ({mb} Mo) en {shards} partie(s)",
                       "Indexing {works} work(s) ({mb} MB) in {shards} shard(s)"),
    "audit_generating": ("Génération de {n} texte(s) à la température {temperature}",
                         "Generating {n} sample(s) at temperature {temperature}"),
    "audit_checking": ("Comparaison de {texts} texte(s) et de {baseline} extrait(s) de référence avec le corpus",
                       "Checking {texts} text(s) and {baseline} baseline excerpt(s) against the corpus"),
    "audit_measuring": ("Mesure de la diversité et du style", "Measuring diversity and style"),
})  # fmt: skip


def _value(lang: str, value: object) -> str:
    if isinstance(value, dict) and "key" in value:
        return _text(lang, value["key"], value.get("values") or {})
    if isinstance(value, bool) or not isinstance(value, int | float):
        return str(value)
    if isinstance(value, int) or float(value).is_integer():
        return integer(int(value), lang)
    text = f"{value:g}"
    return text.replace(".", ",") if lang == "fr" else text


def _text(lang: str, key: str, values: dict) -> str:
    return STAGES[lang][key].format(**{name: _value(lang, v) for name, v in values.items()})


def stage_text(lang: str, key: str | None, values: dict | None, fallback: str) -> str:
    """The stage in ``lang``; an event without a key this catalogue knows (an older job's) shows as it came."""
    check_lang(lang)
    if not key or key not in STAGES[lang]:
        return fallback
    try:
        return _text(lang, key, values or {})
    except (KeyError, IndexError, ValueError):  # values of another version of the message: the line as it came
        return fallback
