"""Words of the constraints at sampling (``learn.constraints``): refusals, unmet samples, descriptions."""

from __future__ import annotations

from . import Catalogue

CONSTRAINTS = Catalogue("constraints", {
    # a constraint that cannot be written (nothing is generated)
    "not_a_word": ("« {word} » n'est pas un mot (lettres et chiffres, sans espace ni ponctuation) : {option} "
                   "attend des mots entiers",
                   "'{word}' is not a word (letters and digits, no space or punctuation): {option} takes whole words"),
    "empty_alphabet": ("l'alphabet est vide : --alphabet attend les lettres permises",
                       "the alphabet is empty: --alphabet takes the letters allowed"),
    "max_line_low": ("une ligne d'au plus {value} caractères est impossible : --max-line attend 1 ou plus",
                     "a line of at most {value} characters is impossible: --max-line takes 1 or more"),
    "required_letter": ("le mot exigé « {word} » contient « {char} », que la contrainte interdit",
                        "the required word '{word}' holds '{char}', which the constraint forbids"),
    "required_forbidden": ("« {word} » est à la fois exigé et interdit",
                           "'{word}' is both required and forbidden"),
    "required_long": ("le mot exigé « {word} » a {length} caractères : il ne tient pas dans une ligne de {max_line}",
                      "the required word '{word}' has {length} characters: it does not fit a line of {max_line}"),
    "no_letter": ("cette contrainte ne laisse au modèle aucun jeton qui écrive une lettre ({what}) : rien n'est "
                  "généré",
                  "this constraint leaves the model no token that writes a letter ({what}): nothing is generated"),
    "music_model": ("les contraintes d'écriture (lipogramme, alphabet, mots, longueur de ligne) valent pour le "
                    "texte : le modèle {model} écrit de la musique",
                    "writing constraints (lipogram, alphabet, words, line length) are for text: model {model} "
                    "writes music"),
    "finetuned_model": ("les contraintes d'écriture valent pour les modèles entraînés dans l'atelier ; le modèle "
                        "{model} est affiné à partir d'un modèle pré-entraîné",
                        "writing constraints work on models trained from scratch in the studio; model {model} is "
                        "fine-tuned from a pre-trained model"),
    "infill_unsupported": ("les contraintes d'écriture ne s'appliquent pas encore à un passage écrit entre deux "
                           "autres : générez une suite",
                           "writing constraints do not apply yet to a passage written between two others: "
                           "generate a continuation"),
    # a sample that could not meet its constraint (it is not stored)
    "unmet_stuck": ("au jeton {step}, aucun jeton du vocabulaire ne respecte la contrainte",
                    "at token {step}, no token of the vocabulary keeps the constraint"),
    "unmet_missing": ("le budget de {budget} jetons s'est épuisé sans {words}",
                      "the budget of {budget} tokens ran out before {words} appeared"),
    "unmet_sample": ("l'échantillon {index}/{n} ne respecte pas la contrainte ({reason}) : il n'est pas conservé",
                     "sample {index}/{n} did not meet the constraint ({reason}): it is not stored"),
    "unmet_all": ("aucun échantillon ne respecte la contrainte ; rien n'est conservé. {reasons}",
                  "no sample met the constraint; nothing is stored. {reasons}"),
    # what a constraint is, in words (the sample's record keeps the exact values)
    "describe_lipogram": ("lipogramme en {letters}", "lipogram in {letters}"),
    "describe_alphabet": ("alphabet {letters}", "alphabet {letters}"),
    "describe_forbid": ("mots interdits : {words}", "forbidden words: {words}"),
    "describe_require": ("mots exigés : {words}", "required words: {words}"),
    "describe_max_line": ("lignes d'au plus {n} caractères", "lines of at most {n} characters"),
    "describe_folded": ("accents confondus", "accents folded"),
    "describe_unfolded": ("accents distingués", "accents kept apart"),
})  # fmt: skip
