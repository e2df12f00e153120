"""What a long job says while it runs (training and audit stages) and why it stopped, keyed so that each face
speaks its own language.

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
    "snapshot_augmented": ("{copies} copie(s) transposée(s) des pièces d’entraînement (les pièces de validation ne le sont jamais)",
                           "{copies} transposed copies of the training pieces (held-out pieces are never transposed)"),
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
    "speed_plan": ("Plan : modèle {size} en {precision}, {rate} jetons par seconde mesurés sur cette machine "
                   "({probe}) ; en fp32 : minuscule {fp32_tiny}, petit {fp32_small}, moyen {fp32_base} jetons/s",
                   "Plan: {size} model in {precision}, {rate} tokens per second measured on this machine ({probe}); "
                   "fp32: tiny {fp32_tiny}, small {fp32_small}, base {fp32_base} tokens/s"),
    "speed_plan_bf16": ("Plan : modèle {size} en {precision}, {rate} jetons par seconde mesurés sur cette machine "
                        "({probe}) ; en fp32 : minuscule {fp32_tiny}, petit {fp32_small}, moyen {fp32_base} ; en bf16 : "
                        "minuscule {bf16_tiny}, petit {bf16_small}, moyen {bf16_base} jetons/s",
                        "Plan: {size} model in {precision}, {rate} tokens per second measured on this machine ({probe}); "
                        "fp32: tiny {fp32_tiny}, small {fp32_small}, base {fp32_base}; bf16: tiny {bf16_tiny}, small "
                        "{bf16_small}, base {bf16_base} tokens/s"),
    "probe_measured": ("mesuré en {seconds} s, gardé pour les prochaines fois",
                       "measured in {seconds} s, kept for next time"),
    "probe_cached": ("mesure du {date}", "measured on {date}"),
    "probe_given": ("débits donnés par OUVROIR_PROBE_RATES", "rates given by OUVROIR_PROBE_RATES"),
    "bf16_emulated": ("Attention : ce processeur ({cpu}) n’a pas d’unités bf16 (ni AMX ni AVX-512-bf16) : le bf16 y "
                      "est émulé et entraîne plus lentement que le fp32 ; --precision auto garde le fp32.",
                      "Warning: this CPU ({cpu}) has no bf16 units (neither AMX nor AVX-512-bf16): bf16 is emulated "
                      "there and trains slower than fp32; --precision auto keeps fp32."),
    "audit_indexing": ("Indexation de {works} œuvre(s) ({mb} Mo) en {shards} partie(s)",
                       "Indexing {works} work(s) ({mb} MB) in {shards} shard(s)"),
    "audit_generating": ("Génération de {n} texte(s) à la température {temperature}",
                         "Generating {n} sample(s) at temperature {temperature}"),
    "audit_checking": ("Comparaison de {texts} texte(s) et de {baseline} extrait(s) de référence avec le corpus",
                       "Checking {texts} text(s) and {baseline} baseline excerpt(s) against the corpus"),
    "audit_measuring": ("Mesure de la diversité et du style", "Measuring diversity and style"),
    "audit_generating_images": ("Génération de {n} image(s)", "Generating {n} image(s)"),
    "audit_checking_images": ("Comparaison de {images} image(s) avec {works} œuvre(s)",
                              "Checking {images} image(s) against {works} work(s)"),
    "audit_measuring_images": ("Mesure de la diversité", "Measuring diversity"),
    # Why a job failed, when the error's message is a Stage (TrainingError(Stage(...))).
    "corpus_too_small": ("Le corpus à entraîner est trop petit ({tokens} jetons d’entraînement ; il en faut au moins "
                         "{needed}) : ajoutez des œuvres ou donnez le consentement « entraîner » à d’autres.",
                         "the trainable corpus is too small ({tokens} training tokens; at least {needed} are needed): "
                         "add works or give consent to more of them"),
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


# Fine-tuning a pre-trained model (``ouvroir train --from``): its stages, and why a base model is refused. The
# refusals' English lines are the command line's, word for word; the stages speak to the web page (no Ctrl-C there).
STAGES.add({
    "finetune_base": ("Modèle de base {folder} ({model_type}, {parameters} paramètres), chargé depuis {path}",
                      "Base model {folder} ({model_type}, {parameters} parameters), loaded from {path}"),
    "finetune_measuring": ("Mesure des bits par octet du modèle de base sur les {works} œuvres mises de côté (avant "
                           "l’affinage)",
                           "Measuring the base's bits per byte on the {works} held-out works (zero-shot)"),
    "finetune_start": ("Avant l’affinage : {zero_shot} bits par octet. Affinage du modèle {model} ({how}) sur {device} "
                       "— {budget}. « Arrêter » garde le dernier point de reprise ; « Reprendre » continue de là.",
                       "Zero-shot: {zero_shot} bits per byte. Fine-tuning model {model} ({how}) on {device} — {budget}. "
                       "“Stop” keeps the last checkpoint; “Resume” continues from there."),
    "finetune_resuming": ("Avant l’affinage : {zero_shot} bits par octet. Reprise de l’affinage du modèle {model} ({how}) "
                          "sur {device} — {budget}. « Arrêter » garde le dernier point de reprise ; « Reprendre » "
                          "continue de là.",
                          "Zero-shot: {zero_shot} bits per byte. Resuming the fine-tuning of model {model} ({how}) on "
                          "{device} — {budget}. “Stop” keeps the last checkpoint; “Resume” continues from there."),
    "finetune_lora": ("LoRA de rang {rank}", "LoRA rank {rank}"),
    "finetune_full": ("tous les poids", "every weight"),
    "base_not_a_folder": ("« {name} » n’est pas un dossier de cet ordinateur, et ouvroir ne télécharge jamais de "
                          "modèle : récupérez-le vous-même, par exemple `huggingface-cli download {name} --local-dir "
                          "models/{local}` (ou `git clone https://huggingface.co/{name} models/{local}`), puis donnez "
                          "ici le dossier models/{local}.",
                          "'{name}' is not a folder on this computer, and ouvroir never downloads models: fetch it "
                          "yourself, e.g. `huggingface-cli download {name} --local-dir models/{local}` (or `git clone "
                          "https://huggingface.co/{name} models/{local}`), then `ouvroir train --from models/{local}`"),
    "base_no_config": ("{path} n’est pas un dossier de modèle transformers : il n’a pas de config.json.",
                       "{path} is not a transformers model folder: it has no config.json"),
    "base_config_unreadable": ("{path}/config.json ne peut pas être lu ({detail}).",
                               "{path}/config.json cannot be read ({detail})"),
    "base_unknown_architecture": ("{path} : transformers {version} ne connaît pas cette architecture (model_type "
                                  "{model_type}) : {detail}",
                                  "{path}: transformers {version} does not know this architecture (model_type "
                                  "{model_type}): {detail}"),
    "base_not_causal": ("{path} : un modèle {model_type} n’est pas un modèle de langue causal (AutoModelForCausalLM "
                        "ne peut pas le charger).",
                        "{path}: a {model_type} model is not a causal language model (AutoModelForCausalLM cannot "
                        "load it)"),
    "base_no_tokenizer": ("{path} n’a pas de tokenizer (ni tokenizer.json, ni tokenizer.model, ni vocab.json) : "
                          "copiez dans le dossier les fichiers du tokenizer du modèle.",
                          "{path} has no tokenizer (no tokenizer.json, tokenizer.model or vocab.json): copy the "
                          "model's tokenizer files into the folder"),
    "base_index_corrupt": ("{index} est abîmé ({detail}).", "{index} is corrupt ({detail})"),
    "base_partial": ("{path} est incomplet : {missing}, nommé par son index, manque.",
                     "{path} is partial: {missing} named by its index is missing"),
    "base_no_weights": ("{path} n’a pas de poids .safetensors.", "{path} has no .safetensors weights (found: none)"),
    "base_no_weights_pickle": ("{path} n’a pas de poids .safetensors, seulement pytorch_model.bin (un pickle, "
                               "qu’ouvroir ne charge pas).",
                               "{path} has no .safetensors weights (found: pytorch_model.bin (a pickle, which ouvroir "
                               "does not load))"),
    "base_corrupt_weights": ("{file} est abîmé ou incomplet ({detail}) : récupérez-le à nouveau.",
                             "{file} is corrupt or partial ({detail}): fetch it again"),
    "base_shape_mismatch": ("{path} : son config.json décrit un modèle d’environ {declared} paramètres, et ses "
                            "poids n’en contiennent que {stored} : le config ne correspond pas aux poids.",
                            "{path}: its config.json describes a model of about {declared} parameters and its weights "
                            "hold {stored}: the config does not match the weights"),
    "base_memory_full": ("{path} : affiner tous les poids de ses {millions} M de paramètres demande environ {need} Go "
                         "de mémoire, et {free} Go sont libres : essayez LoRA.",
                         "{path}: a full fine-tune of its {millions} M parameters needs about {need} GB of memory and "
                         "{free} GB is free: try --lora"),
    "base_memory_lora": ("{path} : LoRA sur ses {millions} M de paramètres demande environ {need} Go de mémoire, et "
                         "{free} Go sont libres : choisissez un modèle plus petit.",
                         "{path}: LoRA of its {millions} M parameters needs about {need} GB of memory and {free} GB "
                         "is free: choose a smaller model"),
    "base_tokenizer_unloadable": ("{path} : son tokenizer ne peut pas être chargé ({detail}).",
                                  "{path}: its tokenizer cannot be loaded ({detail})"),
    "base_weights_unloadable": ("{path} : ses poids ne peuvent pas être chargés ({detail}).",
                                "{path}: its weights cannot be loaded ({detail})"),
    "base_rank": ("Le rang LoRA {rank} ne convient pas à ce modèle : donnez un rang de 1 à {most} (la plus étroite de "
                  "ses couches {targets}).",
                  "LoRA rank {rank} does not fit this model: give a rank from 1 to {most} (the narrowest of its "
                  "{targets} layers)"),
    "base_full_with_rank": ("Affiner tous les poids n’a pas de rang LoRA : laissez le rang vide.",
                            "--full fine-tunes every weight: leave out the LoRA rank"),
})  # fmt: skip
