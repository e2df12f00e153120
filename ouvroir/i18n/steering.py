"""Words about steering a model (its controls, infilling, rewriting a selection) on the card and in the web studio.

``CARD_STEERING`` joins the card's catalogue, ``WEB_STEERING`` the web studio's (each read through its
own lookup); ``REWRITE`` names why a selection cannot be rewritten, for the error the workshop raises.
"""

from __future__ import annotations

from . import Catalogue

# The controls' names, as the card and the pages say them (the values are the corpus's own).
_CONTROL_NAMES = {
    "author": ("Auteur·ice", "Author"),
    "form": ("Forme", "Form"),
    "key": ("Tonalité", "Key"),
    "meter": ("Mesure", "Meter"),
    "voices": ("Voix", "Voices"),
}

CARD_STEERING: dict[str, tuple[str, str]] = {
    "steering": ("Ce qu'on peut lui demander", "How to steer it"),
    "steering_lead": ("Le modèle connaît ces contrôles, appris des métadonnées des œuvres consentantes ; on lui "
                      "demande d'écrire comme l'une ou plusieurs de ces valeurs :",
                      "The model knows these controls, learned from the metadata of the consenting works; it can be "
                      "asked to write as one or several of these values:"),
    **{f"control_{name}": words for name, words in _CONTROL_NAMES.items()},
    "control_line": ("**{name}** : {values}", "**{name}**: {values}"),
    "steering_infill": ("**Remplissage** : disponible ; {rate} des fenêtres d'entraînement étaient en forme "
                        "préfixe–suffixe–milieu, si bien qu'il écrit un passage entre deux autres (« réécrire la "
                        "sélection » dans l'éditeur).",
                        "**Infilling**: available; {rate} of the training windows were in prefix–suffix–middle form, "
                        "so it writes a passage between two others ('rewrite the selection' in the editor)."),
    "steering_no_infill": ("**Remplissage** : non (entraîné sans fenêtres préfixe–suffixe–milieu).",
                           "**Infilling**: no (trained without prefix–suffix–middle windows)."),
    "steering_none_before": ("Ce modèle ne connaît aucun contrôle (auteur·ice, forme…) et ne sait pas remplir un "
                             "passage : il a été entraîné avant leur arrivée ; le réentraîner les lui donne.",
                             "This model knows no controls (author, form…) and cannot fill in a passage: it was "
                             "trained before they existed; retraining it gives them."),
    "steering_none_finetuned": ("Ce modèle ne connaît aucun contrôle et ne sait pas remplir un passage : il est affiné "
                                "à partir d'un modèle pré-entraîné, dont le tokeniseur n'a pas leurs jetons.",
                                "This model knows no controls and cannot fill in a passage: it is fine-tuned from a "
                                "pre-trained model, whose tokenizer has none of their tokens."),
}

WEB_STEERING: dict[str, tuple[str, str]] = {
    **{f"control_{name}": words for name, words in _CONTROL_NAMES.items()},
    "controls_title": ("Contrôles", "Controls"),
    "control_any": ("(tous)", "(any)"),
    "controls_mix": ("Plusieurs choix se mélangent (Ctrl+clic).", "Several choices are mixed (Ctrl+click)."),
    "controls_none": ("Ce modèle ne connaît aucun contrôle : il a été entraîné avant leur arrivée, ou affiné à partir "
                      "d’un modèle pré-entraîné.",
                      "This model knows no controls: it was trained before they existed, or fine-tuned from a "
                      "pre-trained model."),
    "infill_rate": ("Remplissage : {rate} des fenêtres d’entraînement (il réécrit une sélection dans l’éditeur).",
                    "Infilling: {rate} of the training windows (it rewrites a selection in the editor)."),
    "infill_none": ("Ce modèle ne sait pas remplir un passage entre deux autres.",
                    "This model cannot fill in a passage between two others."),
    "constraints_title": ("Contraintes (suggestions au curseur)", "Constraints (suggestions at the cursor)"),
    "constraint_lipogram": ("Lettres interdites", "Forbidden letters"),
    "constraint_forbid": ("Mots interdits", "Forbidden words"),
    "constraint_require": ("Mots exigés", "Required words"),
    "constraint_max_line": ("Longueur de ligne maximale", "Maximum line length"),
    "constraint_help": ("Mots séparés par des espaces ou des virgules. Une suggestion qui ne peut pas tenir la "
                        "contrainte n’est ni montrée ni conservée.",
                        "Words separated by spaces or commas. A suggestion that cannot keep the constraint is neither "
                        "shown nor kept."),
    "rewrite": ("Réécrire la sélection", "Rewrite the selection"),
    "rewrite_help": ("Sélectionnez un passage : le modèle propose des variantes qui tiennent entre ce qui le précède "
                     "et ce qui le suit.",
                     "Select a passage: the model offers variations that fit between what comes before and after it."),
    "rewrite_select_first": ("Sélectionnez d’abord le passage à réécrire.", "Select the passage to rewrite first."),
    "rewrite_replacing": ("À remplacer : « {text} »", "To replace: “{text}”"),
    "rewrite_choose": ("Remplacer", "Replace"),
    "rewrite_unfinished": ("(coupé à la longueur demandée)", "(cut at the length asked for)"),
    "rewrites_title": ("Passages réécrits", "Rewritten passages"),
    "rewrite_entry": ("« {old} » → « {new} » (échantillon {sample})", "“{old}” → “{new}” (sample {sample})"),
    "unmet_some": ("{n} suggestion(s) ne tenaient pas la contrainte : elles ne sont pas montrées.",
                   "{n} suggestion(s) could not keep the constraint: they are not shown."),
}

REWRITE = Catalogue("rewrite", {
    "outside": ("la sélection {start}–{end} est hors du document (0 à {length} caractères) : rien n'est réécrit",
                "the selection {start}–{end} is outside the document (0 to {length} characters): nothing is "
                "rewritten"),
    "empty": ("la sélection est vide : sélectionnez le passage à réécrire",
              "the selection is empty: select the passage to rewrite"),
    "music": ("le modèle {model} écrit de la musique, pas du texte : choisissez un modèle de texte pour réécrire",
              "model {model} writes music, not text: choose a text model to rewrite with"),
    "finetuned": ("le modèle {model} est affiné à partir d'un modèle pré-entraîné, dont le tokeniseur n'a pas de "
                  "jetons de remplissage : il ne sait pas réécrire une sélection ; choisissez un modèle entraîné dans "
                  "l'atelier",
                  "model {model} is fine-tuned from a pre-trained model whose tokenizer has no infilling tokens: it "
                  "cannot rewrite a selection; choose a model trained in the studio"),
    "before_infill": ("le modèle {model} a été entraîné avant le remplissage : il ne sait pas réécrire une "
                      "sélection ; réentraînez-le (ouvroir retrain {model})",
                      "model {model} was trained before infilling: it cannot rewrite a selection; retrain it "
                      "(ouvroir retrain {model})"),
    "moved": ("la variante {sample} a été écrite entre d'autres passages que ceux qui entourent maintenant la "
              "sélection (le texte a changé depuis) : demandez de nouvelles variantes",
              "variation {sample} was written between other passages than those around the selection now (the text "
              "changed since): ask for new variations"),
    "count": ("demandez de 1 à {most} variantes, pas {n!r}", "ask for 1 to {most} variations, not {n!r}"),
})  # fmt: skip
