"""Every word the web studio shows, in French and in English: the common words, then each page's.

The language comes from a ``lang`` cookie set by the switch, else from the
browser's ``Accept-Language``, else French.
"""

from __future__ import annotations

import re

from . import LANGUAGES, Catalogue, Translator
from .images import WEB_IMAGES
from .publish import WEB_PUBLISH
from .steering import WEB_STEERING

DEFAULT_LANG = "fr"
WEB = Catalogue("web")


def negotiate(cookie: str | None, accept_language: str | None) -> str:
    """The cookie's language if valid, else the browser's first French or English preference.

    >>> negotiate(None, "de-CH,de;q=0.9,en;q=0.8,fr;q=0.5")
    'en'
    >>> negotiate("en", "fr-FR")
    'en'
    """
    if cookie in LANGUAGES:
        return cookie
    ranked = []
    for position, part in enumerate((accept_language or "").split(",")):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                quality = 0.0
        ranked.append((-quality, position, tag.strip().lower()[:2]))
    for _, _, lang in sorted(ranked):
        if lang in LANGUAGES:
            return lang
    return DEFAULT_LANG


def error_key(error: BaseException) -> str:
    """The key of the sentence a French page says an error with: its class's, or the nearest parent's that has one.

    >>> from ouvroir.errors import BaseModelError
    >>> error_key(BaseModelError("no weights")), error_key(ValueError("bug"))
    ('error_TrainingError', 'error_OuvroirError')
    """
    return next((f"error_{k.__name__}" for k in type(error).__mro__ if f"error_{k.__name__}" in WEB["fr"]),
                "error_OuvroirError")  # fmt: skip


class WebTranslator(Translator):
    """``t("corpus_title")`` in templates; ``t.percent(0.31)``; ``t.count("works", 3)``.

    The one lookup (plural forms and number writing) over the web studio's strings; a missing figure
    is written "—".
    """

    def __init__(self, lang: str) -> None:
        super().__init__(lang if lang in LANGUAGES else DEFAULT_LANG, WEB)

    def percent(self, share: float | None) -> str:
        return "—" if share is None else super().percent(share)

    def decimal(self, value: float | None, digits: int = 2) -> str:
        return "—" if value is None else super().decimal(value, digits)

    def integer(self, value: int | None) -> str:
        return "—" if value is None else super().integer(value)

    def word(self, prefix: str, value: object) -> str:
        """``word("form_", "poetry")``: a stored value as the page words it (the value itself if it has no word)."""
        return self._strings.get(f"{prefix}{value}", str(value))

    def reason(self, stored: str | None) -> str:
        """A consent reason as the page says it: one the library wrote (stored in English, as the command line
        shows it) in the page's language; a person's own reason as they typed it.

        >>> WebTranslator("fr").reason("given by you at ingest: --consent train")
        'donné par vous à l’ajout\xa0: entraîner'
        >>> WebTranslator("fr").reason("author 'ada MARTIN' declared by the file; the owner rule needs an author "
        ...                            "you give (--author, --author-from-dir or a manifest)")[:35]
        'auteur·ice «\u202fada MARTIN\u202f» déclaré·e'
        >>> WebTranslator("fr").reason("mes poèmes")
        'mes poèmes'
        """
        if not stored or self.lang == "en":
            return stored or ""
        for key, pattern in _stored_reasons():
            if found := pattern.fullmatch(stored):
                values = found.groupdict()
                if "consent" in values:
                    values["consent"] = self.word("consent_", values["consent"])
                if "reason" in values:
                    values["reason"] = self.reason(values["reason"])
                if "author" in values:  # written with Python's quotes ('Ada'): the page puts its own
                    values["author"] = values["author"][1:-1] if values["author"][:1] in "'\"" else values["author"]
                return self(key, **values)
        return stored

    def strings(self, *keys: str) -> dict[str, str]:
        """The strings a page's JavaScript needs (sent as JSON in the page, never as code)."""
        return {k: self._strings[k] for k in keys}


WEB.add({
    "app_name": ("ouvroir — atelier", "ouvroir — studio"),
    "nav_corpus": ("Corpus", "Corpus"),
    "nav_train": ("Entraîner", "Train"),
    "nav_write": ("Écrire", "Write"),
    "nav_audit": ("Auditer", "Audit"),
    "nav_models": ("Modèles", "Models"),
    "switch_lang": ("English", "Français"),
    "studio_at": ("Atelier : {path}", "Studio: {path}"),
    "error_title": ("Quelque chose ne va pas", "Something went wrong"),
    "back": ("Retour", "Back"),
    "not_found": ("Cette page n’existe pas.", "This page does not exist."),
    "forbidden_csrf": ("Requête refusée : elle ne vient pas de cette page de l’atelier (jeton CSRF absent ou faux). "
                       "Rechargez la page et recommencez.",
                       "Request refused: it did not come from this studio's page (missing or wrong CSRF token). "
                       "Reload the page and try again."),
    "forbidden_origin": ("Requête refusée : elle vient d’un autre site ({origin}).",
                         "Request refused: it comes from another site ({origin})."),
    "forbidden_host": ("Requête refusée : l’adresse {host} n’est pas celle de l’atelier.",
                       "Request refused: {host} is not this studio's address."),
    "token_needed": ("Cet atelier demande un jeton d’accès : ouvrez l’adresse complète affichée au démarrage "
                     "(…?token=…).",
                     "This studio needs an access token: open the full address printed when it started (…?token=…)."),
    "too_large": ("Requête refusée : plus de {mb}\u00a0Mo d’un coup. Envoyez les fichiers en plusieurs fois.",
                  "Request refused: more than {mb} MB at once. Send the files in several batches."),
    "works_one": ("{n} œuvre", "{n} work"),
    "works_other": ("{n} œuvres", "{n} works"),
    "none": ("aucun", "none"),
    "save": ("Enregistrer", "Save"),
})  # fmt: skip

# -- the values pages show as badges and columns, the errors a French page words itself (the library's line below)
WEB.add({
    "model_status_training": ("en entraînement", "training"),
    "model_status_ready": ("prêt", "ready"),
    "model_status_failed": ("échec", "failed"),
    "size_tiny": ("minuscule", "tiny"),
    "size_small": ("petit", "small"),
    "size_base": ("moyen", "base"),
    "job": ("Tâche", "Job"),
    "job_kind_train": ("Entraînement", "Training"),
    "job_kind_audit-model": ("Audit d’un modèle", "Model audit"),
    "job_kind_audit-texts": ("Audit de textes", "Text audit"),
    "form_poetry": ("poésie", "poetry"),
    "form_prose": ("prose", "prose"),
    "form_theatre": ("théâtre", "theatre"),
    "form_screenplay": ("scénario", "screenplay"),
    "form_score": ("partition", "score"),
    "origin_user": ("vous", "you"),
    "origin_owner-default": ("règle du propriétaire", "owner rule"),
    "origin_ingest": ("ajout", "ingest"),
    "origin_tdm-reservation": ("réserve TDM du fichier", "the file's TDM reservation"),
    "origin_manifest": ("manifeste", "manifest"),
    "origin_copy-hold": ("copie retenue", "copy held"),
    "origin_c2pa-training-mining": ("refus C2PA du fichier", "the file's C2PA refusal"),
    "origin_plus-data-mining": ("refus IPTC/PLUS du fichier", "the file's IPTC/PLUS refusal"),
    "form_image": ("image", "image"),
    "sample_settings": ("température {temperature} · graine {seed}", "temperature {temperature} · seed {seed}"),
    "suggest_shortcut": ("Ctrl+Entrée", "Ctrl+Enter"),
    "upload_reason": ("choisi par vous à l’ajout, dans l’atelier", "chosen by you when adding it, in the studio"),
    "outcome_added_detail": ("{id} « {title} » ({form}, {chars} caractères) ; consentement : {consent}",
                             "{id} “{title}” ({form}, {chars} characters); consent: {consent}"),
    "outcome_added_image": ("{id} « {title} » (image, {width} × {height} pixels) ; consentement : {consent}",
                            "{id} “{title}” (image, {width} × {height} pixels); consent: {consent}"),
    "outcome_duplicate_detail": ("même contenu que {id} « {title} » : pas gardé deux fois",
                                 "same content as {id} “{title}”: not stored twice"),
    "unknown_size": ("Taille inconnue « {size} » : {sizes}.", "Unknown size “{size}”: {sizes}."),
    "unknown_medium": ("Nature inconnue « {medium} » : texte, musique ou image.",
                       "Unknown medium “{medium}”: text, music or image."),
    "bad_number": ("Un réglage n’est pas un nombre ({detail}).", "A setting is not a number ({detail})."),
    "bad_samples": ("Le nombre de textes doit être un nombre entier.", "The number of texts must be a whole number."),
    "not_resumable": ("Le modèle {model} est {status} : ce n’est pas un entraînement interrompu.",
                      "Model {model} is {status}: not an interrupted run."),
    "error_OuvroirError": ("L’opération n’a pas pu se faire.", "The operation could not be done."),
    "error_StudioError": ("L’atelier ne peut pas être ouvert.", "The studio cannot be opened."),
    "error_IngestError": ("Ce fichier ne peut pas être ajouté.", "This file cannot be added."),
    "error_WorkNotFound": ("Aucune œuvre de l’atelier ne correspond.", "No work of the studio matches."),
    "error_ConsentError": ("Le consentement des œuvres ne le permet pas.", "The works’ consent does not allow it."),
    "error_TrainingError": ("L’entraînement ne peut pas commencer ou continuer.", "Training cannot start or continue."),
    "error_BaseModelChanged": ("Le modèle de base de ce modèle affiné manque ou a changé depuis l’affinage.",
                               "This fine-tuned model’s base model is missing or has changed since fine-tuning."),
    "error_ModelNotFound": ("Aucun modèle prêt de l’atelier ne correspond.", "No ready model of the studio matches."),
    "error_AuditError": ("L’audit ne peut pas se faire.", "The audit cannot run."),
    "error_ProvenanceError": ("La provenance ne peut pas être signée ou lue.", "The provenance cannot be signed or read."),
    "error_DocumentError": ("Le document ne peut pas être changé ainsi.", "The document cannot be changed this way."),
    "error_DocumentNotFound": ("Aucun document de l’atelier ne correspond.", "No document of the studio matches."),
    "error_EnvironmentFailure": ("La machine manque de place ou de mémoire.", "The machine is short of space or memory."),
})  # fmt: skip

# -- the corpus page
WEB.add({
    "corpus_title": ("Votre corpus", "Your corpus"),
    "corpus_lede": ("Chaque œuvre garde ses droits et l’historique de son consentement. Seules les œuvres dont le "
                    "dernier consentement dit « entraîner » servent à entraîner un modèle.",
                    "Every work keeps its rights and its consent history. Only works whose latest consent says "
                    "“train” are ever trained on."),
    "upload_title": ("Ajouter des œuvres", "Add works"),
    "upload_drop": ("Déposez ici vos fichiers (textes, pièces, scénarios, partitions, MIDI, images), ou",
                    "Drop your files here (texts, plays, screenplays, scores, MIDI, images), or"),
    "upload_choose": ("choisissez-les", "choose them"),
    "upload_formats": ("Formats lus : {formats}. {mb}\u00a0Mo au plus par fichier.",
                       "Formats read: {formats}. At most {mb} MB per file."),
    "upload_button": ("Ajouter", "Add"),
    "author": ("Auteur·ice", "Author"),
    "license": ("Licence (SPDX)", "License (SPDX)"),
    "consent": ("Consentement", "Consent"),
    "reason": ("Raison", "Reason"),
    "consent_default": ("(selon l’atelier)", "(studio default)"),
    "consent_train": ("entraîner", "train"),
    "consent_no-train": ("ne pas entraîner", "do not train"),
    "consent_unknown": ("inconnu", "unknown"),
    "filter": ("Filtrer", "Filter"),
    "search_title": ("Titre ou auteur·ice", "Title or author"),
    "all": ("tous", "all"),
    "medium": ("Nature", "Medium"),
    "medium_text": ("texte", "text"),
    "medium_music": ("musique", "music"),
    "medium_image": ("image", "image"),
    "title": ("Titre", "Title"),
    "form": ("Forme", "Form"),
    "chars": ("Caractères", "Characters"),
    "added": ("Ajoutée", "Added"),
    "no_works": ("Aucune œuvre pour l’instant : ajoutez-en ci-dessus.", "No work yet: add some above."),
    "no_match": ("Aucune œuvre ne correspond au filtre.", "No work matches the filter."),
    "set_consent": ("Changer le consentement des œuvres cochées", "Change the consent of the checked works"),
    "apply": ("Appliquer", "Apply"),
    "set_consent_one": ("Changer son consentement", "Change its consent"),
    "reason_needed": ("Un changement de consentement demande une raison, gardée dans l’historique.",
                      "A consent change needs a reason, kept in the history."),
    "select_some": ("Cochez au moins une œuvre.", "Check at least one work."),
    "outcome_added": ("ajoutée", "added"),
    "outcome_duplicate": ("déjà présente", "already present"),
    "outcome_failed": ("refusée", "refused"),
    "upload_summary": ("{added} ajoutée(s), {duplicate} déjà présente(s), {failed} refusée(s).",
                       "{added} added, {duplicate} already present, {failed} refused."),
    "refused_name": ("nom de fichier refusé (chemin ou nom caché) : seul un nom simple est accepté",
                     "file name refused (a path or a hidden name): only a plain name is accepted"),
    "refused_size": ("trop gros : {mb}\u00a0Mo au plus par fichier", "too large: at most {mb} MB per file"),
    "refused_format": ("format non pris en charge ({suffix}) : {formats}", "unsupported format ({suffix}): {formats}"),
    "refused_count": ("trop de fichiers d’un coup : {n} au plus", "too many files at once: at most {n}"),
    "work_history": ("Historique du consentement", "Consent history"),
    "work_models": ("Modèles entraînés sur cette œuvre", "Models trained on this work"),
    "work_no_models": ("Aucun modèle n’a encore été entraîné sur cette œuvre.", "No model has been trained on this work yet."),
    "work_text": ("Début du texte", "Beginning of the text"),
    "when": ("Date", "When"),
    "origin": ("Origine", "Origin"),
    "source": ("Source", "Source"),
    "file": ("Fichier", "File"),
    "encoding": ("Encodage", "Encoding"),
    "notes": ("Remarques", "Notes"),
    "model": ("Modèle", "Model"),
    "status": ("État", "Status"),
    "refresh_list": ("Voir la liste à jour", "See the updated list"),
    "remove_title": ("Retirer de l’atelier", "Remove from the studio"),
    "remove_help": ("L’œuvre et ses fichiers quittent l’atelier (les instantanés déjà pris gardent leur copie, et les "
                    "modèles entraînés dessus sont signalés).",
                    "The work and its files leave the studio (snapshots already taken keep their copy, and the models "
                    "trained on it are flagged)."),
    "remove_confirm": ("Je veux retirer cette œuvre", "I want to remove this work"),
    "remove_button": ("Retirer", "Remove"),
    "remove_unconfirmed": ("Cochez la case pour confirmer le retrait.", "Check the box to confirm the removal."),
    "consent_changed": ("Consentement enregistré pour {n} œuvre(s).", "Consent recorded for {n} work(s)."),
    "corpus_showing": ("Œuvres {first}–{last} sur {n}", "Works {first}–{last} of {n}"),
    "corpus_page": ("page {page} sur {pages}", "page {page} of {pages}"),
    "corpus_prev": ("← Précédentes", "← Previous"),
    "corpus_next": ("Suivantes →", "Next →"),
    "reversal_title": ("Revenir sur des refus ?", "Reverse refusals?"),
    "reversal_lede": ("{n} des {total} œuvres cochées ont refusé l’entraînement (leur dernier consentement dit "
                      "« ne pas entraîner »). « Entraîner » reviendrait sur ces refus :",
                      "{n} of the {total} checked works refused training (their latest consent says “do not "
                      "train”). “Train” would reverse these refusals:"),
    "reversal_confirm": ("Oui, revenir sur ces {n} refus", "Yes, reverse these {n} refusals"),
    "reversal_cancel": ("Annuler : ne rien changer", "Cancel: change nothing"),
    "reversal_json": ("{n} des {total} œuvres ont refusé l’entraînement : {works}. Renvoyez-les dans « reverse » "
                      "pour confirmer.",
                      "{n} of the {total} works refused training: {works}. Send their ids as “reverse” to confirm."),
})  # fmt: skip

# -- correcting a work's details (the work page)
WEB.add({
    "work_date": ("Date de l’œuvre", "Date of the work"),
    "work_date_hint": ("1857, 1857-04 ou 1857-04-12", "1857, 1857-04 or 1857-04-12"),
    "work_edit_title": ("Corriger les informations", "Correct the details"),
    "work_edit_help": ("Le texte, son empreinte et le consentement ne changent pas : la correction est datée dans "
                       "l’historique, et les modèles déjà entraînés gardent dans leur fiche les informations de "
                       "leur instantané.",
                       "The text, its hash and the consent do not change: the correction is dated in the history, "
                       "and models already trained keep their snapshot’s details in their datasheet."),
    "work_edits": ("Corrections des informations", "Metadata edits"),
    "work_no_edits": ("Aucune correction pour l’instant.", "No correction yet."),
    "work_edit_field": ("Champ", "Field"),
    "work_edit_before": ("Avant", "Before"),
    "work_edit_after": ("Après", "After"),
})  # fmt: skip

# -- the training page
WEB.add({
    "train_title": ("Entraîner un modèle", "Train a model"),
    "train_lede": ("Le modèle apprend seulement des œuvres dont le consentement dit « entraîner » ({works}). "
                   "Il s’entraîne sur cet ordinateur ; vous pouvez l’arrêter et le reprendre.",
                   "The model learns only from works whose consent says “train” ({works}). It trains on this "
                   "computer; you can stop it and resume it."),
    "size": ("Taille", "Size"),
    "size_auto": ("automatique (selon le corpus et le temps)", "automatic (from the corpus and the time)"),
    "minutes": ("Minutes", "Minutes"),
    "seed": ("Graine", "Seed"),
    "start": ("Lancer l’entraînement", "Start training"),
    "stop": ("Arrêter", "Stop"),
    "resume": ("Reprendre", "Resume"),
    "step": ("Pas", "Step"),
    "train_loss": ("Entraînement (bits par octet)", "Training (bits per byte)"),
    "train_loss_nats": ("Entraînement (nats par jeton)", "Training (nats per token)"),
    "val_bpb": ("Validation (bits par octet)", "Validation (bits per byte)"),
    "best_val": ("Meilleure validation", "Best validation"),
    "tokens_per_s": ("Jetons par seconde", "Tokens per second"),
    "time_left": ("Temps restant", "Time left"),
    "job_running": ("en cours", "running"),
    "job_finished": ("terminé", "finished"),
    "job_failed": ("échec", "failed"),
    "job_stopped": ("arrêté", "stopped"),
    "job_interrupted": ("interrompu", "interrupted"),
    "resumable": ("Entraînements à reprendre", "Training runs to resume"),
    "resumable_none": ("Aucun entraînement interrompu.", "No interrupted training run."),
    "recent_jobs": ("Derniers entraînements", "Recent training runs"),
    "model_ready": ("Modèle {model} prêt : validation {bpb} bits par octet.", "Model {model} ready: validation {bpb} bits per byte."),
    "go_write": ("Écrire avec ce modèle", "Write with this model"),
    "no_trainable": ("Aucune œuvre n’a le consentement « entraîner » : donnez-le à vos œuvres dans le corpus.",
                     "No work has consent “train”: give it to your works on the corpus page."),
    "bad_minutes": ("Le temps d’entraînement doit être entre 0 et {max} minutes.", "The training time must be between 0 and {max} minutes."),
    "started_at": ("Lancé", "Started"),
    "result": ("Résultat", "Result"),
    "resume_withdrawn": ("Le consentement de {works} a été retiré depuis le début de cet entraînement : il ne peut pas "
                         "reprendre sur ces œuvres. Réentraînez le modèle sans elles.",
                         "Consent for {works} was withdrawn since this run started: it cannot resume on those works. "
                         "Retrain the model without them."),
})  # fmt: skip

# -- the writing page
WEB.add({
    "write_title": ("Écrire avec le modèle", "Write with the model"),
    "write_lede": ("Écrivez ; au curseur, demandez au modèle une suite ou plusieurs variantes, puis gardez-les, "
                   "rejetez-les ou retouchez-les. L’atelier garde trace de qui a écrit chaque passage.",
                   "Write; at the cursor, ask the model for a continuation or several variations, then keep, reject "
                   "or edit them. The studio keeps track of who wrote every passage."),
    "documents": ("Vos documents", "Your documents"),
    "documents_none": ("Aucun document pour l’instant.", "No document yet."),
    "new_document": ("Nouveau document", "New document"),
    "doc_title": ("Titre", "Title"),
    "create": ("Créer", "Create"),
    "untitled": ("Sans titre", "Untitled"),
    "suggest": ("Suggérer au curseur", "Suggest at the cursor"),
    "variations": ("Variantes", "Variations"),
    "length": ("Longueur (jetons)", "Length (tokens)"),
    "temperature": ("Température", "Temperature"),
    "accept": ("Garder", "Keep"),
    "reject": ("Rejeter", "Reject"),
    "undo": ("Annuler", "Undo"),
    "redo": ("Rétablir", "Redo"),
    "export": ("Exporter", "Export"),
    "export_help": ("Chaque export contient le registre d’autorat et un manifeste de provenance signé "
                    "(compositeWithTrainedAlgorithmicMedia).",
                    "Each export carries the authorship ledger and a signed provenance manifest "
                    "(compositeWithTrainedAlgorithmicMedia)."),
    "cat_written": ("écrit par vous", "written by you"),
    "cat_generated": ("généré et gardé", "generated and kept"),
    "cat_edited": ("généré puis retouché", "generated, then edited"),
    "ledger": ("Autorat", "Authorship"),
    "thinking": ("Le modèle écrit…", "The model is writing…"),
    "saved": ("Enregistré", "Saved"),
    "saving": ("Enregistrement…", "Saving…"),
    "conflict": ("Le document a changé ailleurs : il a été rechargé.", "The document changed elsewhere: it was reloaded."),
    "at_cursor": ("Au curseur : {what}", "At the cursor: {what}"),
    "by_model": ("modèle {model}, échantillon {sample}", "model {model}, sample {sample}"),
    "no_model": ("Aucun modèle de texte prêt : entraînez-en un pour recevoir des suggestions.",
                 "No ready text model: train one to get suggestions."),
    "model_withdrawn": ("retrait de consentement", "consent withdrawn"),
    "updated": ("Modifié", "Changed"),
    "write_placeholder": ("Écrivez ici. Au curseur, Ctrl+Entrée demande une suite au modèle.",
                          "Write here. At the cursor, Ctrl+Enter asks the model for a continuation."),
})  # fmt: skip

# -- the audit page
WEB.add({
    "audit_title": ("Auditer", "Audit"),
    "audit_lede": ("Ce qu’un modèle — ou n’importe quel texte — recopie de votre corpus, à qui il emprunte, "
                   "et combien il uniformise.",
                   "What a model — or any text — copies from your corpus, whose words it borrows, and how much it "
                   "flattens."),
    "audit_model": ("Auditer un modèle", "Audit a model"),
    "audit_samples": ("Textes par température", "Texts per temperature"),
    "audit_run": ("Lancer l’audit", "Run the audit"),
    "audit_paste": ("Auditer un texte", "Audit a text"),
    "audit_paste_help": ("Collez un texte (la réponse d’un agent conversationnel, un manuscrit…) : il est comparé à "
                         "toutes les œuvres de l’atelier.",
                         "Paste a text (a chatbot's answer, a manuscript…): it is compared with every work in the "
                         "studio."),
    "audit_paste_title": ("Nom du texte", "Name of the text"),
    "audit_reports": ("Rapports", "Reports"),
    "audit_none": ("Aucun audit pour l’instant.", "No audit yet."),
    "audit_subject_model": ("modèle {model}", "model {model}"),
    "audit_subject_texts": ("textes", "texts"),
    "copied": ("Recopié", "Copied"),
    "baseline": ("Référence humaine", "Human baseline"),
    "diversity": ("Diversité", "Diversity"),
    "open_report": ("Ouvrir le rapport", "Open the report"),
    "download_json": ("Chiffres (JSON)", "Figures (JSON)"),
    "download_provenance": ("Provenance signée", "Signed provenance"),
    "no_ready_model": ("Aucun modèle prêt : entraînez-en un d’abord.", "No ready model: train one first."),
    "empty_text": ("Le texte à auditer est vide.", "The text to audit is empty."),
    "text_too_long": ("Texte trop long : {n} caractères au plus.", "Text too long: at most {n} characters."),
    "report_of": ("Rapport {id}", "Report {id}"),
})  # fmt: skip

# -- the models page
WEB.add({
    "models_title": ("Modèles", "Models"),
    "models_lede": ("Chaque modèle garde son instantané du corpus : s’il a appris d’une œuvre dont le consentement "
                    "a été retiré depuis, il est signalé, et on peut le réentraîner sans elle.",
                    "Every model keeps its snapshot of the corpus: if it learned from a work whose consent was "
                    "withdrawn since, it is flagged, and it can be retrained without it."),
    "models_none": ("Aucun modèle : entraînez-en un.", "No model yet: train one."),
    "size_col": ("Taille", "Size"),
    "params": ("Paramètres", "Parameters"),
    "val_col": ("Validation (bits/octet)", "Validation (bits/byte)"),
    "model_name": ("Nom", "Name"),
    "rename": ("Renommer", "Rename"),
    "validated_on": ("Validé sur", "Validated on"),
    "held_out_one": ("{n} œuvre tenue à l’écart", "{n} work held out"),
    "held_out_other": ("{n} œuvres tenues à l’écart", "{n} works held out"),
    "bpb_compare_note": ("Les bits par octet ne se comparent qu’entre modèles validés sur les mêmes œuvres de validation.",
                         "Bits per byte compare between models only on the same validation works."),
    "train_time": ("Entraînement", "Training"),
    "snapshot": ("Instantané", "Snapshot"),
    "withdrawn": ("consentement retiré", "consent withdrawn"),
    "withdrawn_warning": ("Ce modèle a appris d’œuvres dont le consentement a été retiré : {works}. Réentraînez-le "
                          "sans elles ; la génération est refusée en attendant.",
                          "This model learned from works whose consent was withdrawn: {works}. Retrain it without "
                          "them; generation is refused meanwhile."),
    "retrain": ("Réentraîner sans elles", "Retrain without them"),
    "export_hf": ("Exporter (dossier Hugging Face, zip)", "Export (Hugging Face folder, zip)"),
    "card": ("Fiche du modèle", "Model card"),
    "datasheet": ("Fiche du corpus", "Corpus datasheet"),
    "download_card": ("Télécharger la fiche (Markdown)", "Download the card (Markdown)"),
    "loss_curve": ("Courbe d’apprentissage", "Learning curve"),
    "minutes_short": ("{n} min", "{n} min"),
    "generate": ("Générer", "Generate"),
    "prompt": ("Début (facultatif)", "Opening (optional)"),
    "count": ("Nombre", "How many"),
    "samples_title": ("Derniers textes générés", "Latest generated samples"),
    "samples_none": ("Rien de généré pour l’instant.", "Nothing generated yet."),
    "provenance": ("provenance signée", "signed provenance"),
    "generate_music_note": ("Chaque pièce est écrite en MIDI, MusicXML et WAV (synthétiseur intégré).",
                            "Each piece is written as MIDI, MusicXML and WAV (built-in synthesizer)."),
    "model_not_ready": ("Ce modèle n’est pas prêt ({status}) : sa fiche viendra à la fin de l’entraînement.",
                        "This model is not ready ({status}): its card comes when training ends."),
})  # fmt: skip

# -- authors in uploads, and works without a known licence (corpus and train pages)
WEB.add({
    "upload_choose_folder": ("ou un dossier", "or a folder"),
    "author_from_folder": ("Auteur·ice d’après le dossier de chaque fichier",
                           "Author from each file’s folder"),
    "file_author": ("Auteur·ice de ce fichier", "Author of this file"),
    "file_authors_hint": ("Une case vide laisse l’auteur·ice général·e, le dossier ou celui que le fichier nomme.",
                          "An empty box leaves the author above, the folder or the one the file names."),
    "unlicensed_one": ("{n} œuvre n’a pas de licence connue (« unknown »).",
                       "{n} work has no known licence (“unknown”)."),
    "unlicensed_other": ("{n} œuvres n’ont pas de licence connue (« unknown »).",
                         "{n} works have no known licence (“unknown”)."),
    "require_license": ("Refuser les œuvres sans licence connue", "Refuse works without a known licence"),
    "unlicensed_refused": ("Une licence connue est exigée, et {n} des {total} œuvres à entraîner n’en ont pas : {works}. "
                           "Donnez-leur une licence sur leur page.",
                           "A known licence is required, and {n} of the {total} works to train on have none: {works}. "
                           "Give them one on their page."),
})  # fmt: skip

# -- the consent reasons the library writes in a work's history (ouvroir/corpus/ingest.py), said in the page's
# language: each English value is exactly the stored line, its {fields} standing for what varies.
WEB.add({
    "ingest_reason_no_consent": ("aucun consentement donné à l’ajout", "no consent given at ingest"),
    "ingest_reason_given": ("donné par vous à l’ajout : {consent}", "given by you at ingest: --consent {consent}"),
    "ingest_reason_owner_rule": ("règle du propriétaire : l’auteur·ice que vous avez indiqué·e est le ou la "
                                 "propriétaire de l’atelier, {owner}",
                                 "owner rule: the author you gave is the studio's owner, {owner}"),
    "ingest_reason_author_declared": ("auteur·ice « {author} » déclaré·e par le fichier ; la règle du propriétaire "
                                      "demande un·e auteur·ice que vous indiquez vous-même",
                                      "author {author} declared by the file; the owner rule needs an author you give "
                                      "(--author, --author-from-dir or a manifest)"),
    "ingest_reason_tdm": ("le fichier réserve ses droits de fouille de textes et de données (TDMRep "
                          "tdm-reservation=1)",
                          "the file reserves its text-and-data-mining rights (TDMRep tdm-reservation=1)"),
    "ingest_reason_tdm_override": ("outrepasse explicitement la réserve TDM du fichier : {reason}",
                                   "explicit override of the file's TDM reservation: {reason}"),
    "ingest_reason_c2pa": ("le manifeste C2PA du fichier refuse l’entraînement ({detail})",
                           "the file's C2PA manifest refuses training ({detail})"),
    "ingest_reason_plus": ("le champ IPTC/PLUS de fouille de données du fichier l’interdit (plus:DataMining {value})",
                           "the file's IPTC/PLUS data-mining field prohibits it (plus:DataMining {value})"),
    "ingest_reason_refusal_override": ("outrepasse explicitement le refus d’entraînement du fichier : {reason}",
                                       "explicit override of the file's refusal of training: {reason}"),
})  # fmt: skip
_REASONS: list[tuple[str, re.Pattern]] = []


def _stored_reasons() -> list[tuple[str, re.Pattern]]:
    """(key, pattern) for each stored reason, the pattern made from the English string once."""
    if not _REASONS:
        for key, english in WEB["en"].items():
            if key.startswith("ingest_reason_"):
                pieces = re.split(r"\{(\w+)\}", english)  # fixed text, field, fixed text, ...
                _REASONS.append((key, re.compile("".join(re.escape(p) if i % 2 == 0 else f"(?P<{p}>.+)"
                                                         for i, p in enumerate(pieces)))))  # fmt: skip
    return _REASONS

# -- fine-tuning a pre-trained model on disk (train page, model page); its refusals are in i18n.stages (base_*)
WEB.add({
    "from_base_title": ("Partir d’un modèle pré-entraîné", "Start from a pre-trained model"),
    "from_base_hint": ("Donnez le dossier d’un modèle que vous avez sur cet ordinateur (format transformers : Qwen3, "
                       "Llama, GPT-2…) : il sera affiné sur les œuvres consentantes. ouvroir ne télécharge rien. "
                       "Laissez vide pour entraîner un modèle de zéro.",
                       "Give the folder of a model you have on this computer (transformers format: Qwen3, Llama, "
                       "GPT-2…): it is fine-tuned on the consenting works. ouvroir downloads nothing. Leave it empty "
                       "to train a model from scratch."),
    "base_folder": ("Dossier du modèle", "Model folder"),
    "base_placeholder": ("~/modèles/Qwen3-0.6B", "~/models/Qwen3-0.6B"),
    "finetune_method": ("Méthode", "Method"),
    "method_lora": ("LoRA (adaptateurs légers)", "LoRA (light adapters)"),
    "method_full": ("tous les poids", "every weight"),
    "lora_rank": ("Rang LoRA", "LoRA rank"),
    "finetune_no_size": ("La taille vaut pour un modèle entraîné de zéro : laissez-la sur « automatique » pour partir "
                         "d’un modèle pré-entraîné.",
                         "The size is for a model trained from scratch: leave it on “automatic” to start from a "
                         "pre-trained model."),
    "finetune_text_only": ("Un modèle pré-entraîné s’affine sur du texte : choisissez le texte.",
                           "A pre-trained model is fine-tuned on text: choose text."),
    "size_full": ("tous les poids", "full"),
    "base_model": ("Modèle de base", "Base model"),
    "zero_shot_to_tuned": ("Avant → après l’affinage (bits/octet)", "Zero-shot → fine-tuned (bits/byte)"),
    "model_ready_finetuned": ("Modèle {model} prêt : {zero} → {bpb} bits par octet sur les œuvres mises de côté (le "
                              "modèle de base avant l’affinage, puis le modèle affiné).",
                              "Model {model} ready: {zero} → {bpb} bits per byte on the held-out works (the base model "
                              "before fine-tuning, then the fine-tuned model)."),
})  # fmt: skip

# -- a music sample's page: its engraved score and its sound
WEB.add({
    "sample_title": ("Pièce {id}", "Piece {id}"),
    "sample_of_model": ("générée par le modèle {model}", "generated by model {model}"),
    "see_score": ("partition", "score"),
    "score_title": ("Partition", "Score"),
    "score_listen": ("Écouter", "Listen"),
    "score_follow": ("La mesure jouée est surlignée pendant l’écoute.", "The bar being played is highlighted as it sounds."),
    "score_cut": ("Partition longue : seules les {pages} premières pages sur {total} sont gravées ici ; le fichier "
                  "MusicXML la contient en entier.",
                  "A long score: only its first {pages} pages of {total} are engraved here; the MusicXML file holds "
                  "all of it."),
    "score_no_audio": ("Cette pièce n’a pas de fichier WAV (générée sans le son).",
                       "This piece has no WAV file (generated without its sound)."),
    "score_failed": ("La partition n’a pas pu être gravée : {reason}", "The score could not be engraved: {reason}"),
    "sample_not_music": ("{id} n’est pas une pièce de musique : seule la musique a une partition.",
                         "{id} is not a piece of music: only music has a score."),
})  # fmt: skip

# -- controls, infilling and constraints: the model page's Generate form and the Write page
WEB.add(WEB_STEERING)

# -- publishing: the Publish form of the Write page and of a text sample
WEB.add(WEB_PUBLISH)

# -- images: the gallery, an image work's page, image models, their samples and audits
WEB.add(WEB_IMAGES)
