"""Every word of the model card and the corpus datasheet, in French and in English.

Read through the shared lookup (``CARD[lang]``); French gets its non-breaking spaces once, when the
catalogue is made.
"""

from __future__ import annotations

from . import Catalogue
from .steering import CARD_STEERING

# key -> (French, English)
_TABLE: dict[str, tuple[str, str]] = {
    "card_title": ("Fiche du modèle {id}", "Model card: {id}"),
    "card_lead": (
        ("*Écrite par `ouvroir card` à partir des registres du studio. La fiche du corpus, œuvre par œuvre : "
         "[{datasheet}]({datasheet}).*"),
        ("*Written by `ouvroir card` from the studio's records. The corpus datasheet, work by work: "
         "[{datasheet}]({datasheet}).*"),
    ),
    "glance": ("En bref", "At a glance"),
    "medium_text": ("de texte", "text"),
    "medium_music": ("de musique (partitions)", "music (scores)"),
    "medium_image": ("d’images", "images"),
    "glance_what": (
        "**Le modèle** : un modèle {medium} de {size}, de {params}, entraîné le {date}.",
        "**The model**: a {size} {medium} model of {params}, trained on {date}.",
    ),
    "glance_corpus": (
        ("**Entraîné sur** {works} de {authors} ({chars}), chacune avec un consentement à l'entraînement enregistré "
         "dans le studio au moment de l'entraînement."),
        ("**Trained on** {works} by {authors} ({chars}), each with a consent to training recorded in the studio "
         "when it was trained."),
    ),
    "glance_image_error": (
        ("**Qualité** : erreur quadratique {error} du flot sur des images qu'il n'a jamais vues (plus bas = mieux ; "
         "un modèle qui n'a rien appris donne environ 1,5)."),
        "**Quality**: squared error {error} of the flow on images it never saw (lower is better; a model that learned "
        "nothing gives about 1.5).",
    ),
    "quality_image": (
        ("Sur les images mises de côté, l'erreur quadratique moyenne de la vitesse que le modèle prédit, à huit instants "
         "fixés entre l'image et le bruit et avec un bruit fixé, est de {error}. Plus elle est basse, mieux le modèle "
         "sait ramener le bruit vers des images comme celles du corpus ; elle ne dit pas s'il copie : l'audit le dit."),
        ("On the held-out images, the mean squared error of the velocity the model predicts, at eight fixed times "
         "between image and noise and with fixed noise, is {error}. The lower, the better the model brings noise back "
         "to images like the corpus's; it does not say whether it copies: the audit does."),
    ),
    "glance_bpb": (
        ("**Qualité** : {bpb} bits par octet sur des œuvres qu'il n'a jamais vues (plus bas = mieux ; deviner au "
         "hasard donne 8)."),
        "**Quality**: {bpb} bits per byte on works it never saw (lower is better; a blind guess gives 8).",
    ),
    "glance_audit": (
        "**Audit** : {copy} du texte généré est recopié mot pour mot du corpus (vos propres œuvres : {baseline}).",
        "**Audit**: {copy} of the generated text is copied verbatim from the corpus (your own works: {baseline}).",
    ),
    "glance_withdrawn": (
        "**Consentement retiré** depuis l'entraînement pour {works} : voir « Consentement ».",
        "**Consent withdrawn** since training for {works}: see “Consent”.",
    ),
    "glance_unlicensed": (
        "**Licence inconnue** (`unknown`) pour {works} du corpus : à établir avant de publier ce modèle.",
        "**Unknown licence** (`unknown`) for {works} of the corpus: to be settled before publishing this model.",
    ),
    "no_audit": (
        "Pas encore d'audit : lancez `ouvroir audit {id}` pour mesurer ce que le modèle recopie.",
        "No audit yet: run `ouvroir audit {id}` to measure what the model copies.",
    ),
    "what": ("Ce qu'est ce modèle", "What the model is"),
    "what_image": (
        ("{id} est un petit modèle d'images (un transformeur de diffusion entraîné par flot rectifié) de {params}, "
         "entraîné de zéro sur les seules images de ce studio : il n'a rien appris ailleurs. Il compte {layers} "
         "couches de largeur {width} avec {heads} têtes d'attention et voit des images de {resolution} × {resolution} "
         "pixels découpées en carrés de {patch} pixels. Il s'est entraîné pendant {steps} pas, en {seconds} secondes "
         "sur `{device}` (graine {seed})."),
        ("{id} is a small image model (a diffusion transformer trained by rectified flow) of {params}, trained from "
         "scratch on this studio's images only: it learned nothing elsewhere. It has {layers} layers of width {width} "
         "with {heads} attention heads and sees {resolution} × {resolution}-pixel images cut into {patch}-pixel "
         "patches. It trained for {steps} steps, in {seconds} seconds on `{device}` (seed {seed})."),
    ),
    "what_text": (
        ("{id} est un petit modèle de langue (un transformeur de la famille GPT) de {params}, entraîné de zéro sur "
         "les seules œuvres de ce studio : il n'a rien appris ailleurs. Il compte {layers} couches de largeur "
         "{width} avec {heads} têtes d'attention, lit jusqu'à {context} jetons à la fois et connaît {vocab} jetons, "
         "des morceaux de mots appris sur le corpus. Il s'est entraîné pendant {steps} pas, en {seconds} secondes "
         "sur `{device}` (graine {seed})."),
        ("{id} is a small language model (a transformer of the GPT family) of {params}, trained from scratch on "
         "this studio's works only: it learned nothing elsewhere. It has {layers} layers of width {width} with "
         "{heads} attention heads, reads up to {context} tokens at a time and knows {vocab} tokens, pieces of words "
         "learned from the corpus. It trained for {steps} steps in {seconds} seconds on `{device}` (seed {seed})."),
    ),
    "weights": (
        "Ses poids sont dans `model.safetensors`, à côté de cette fiche (sha256 `{sha}`).",
        "Its weights are in `model.safetensors`, next to this card (sha256 `{sha}`).",
    ),
    "loss_curve": ("Courbe d'apprentissage", "Training curve"),
    "retrained": (
        "Ce modèle remplace {old} : il a été réentraîné sans {titles}, dont le consentement avait été retiré.",
        "This model replaces {old}: it was retrained without {titles}, whose consent had been withdrawn.",
    ),
    "retrained_plain": ("Ce modèle a été réentraîné à partir de {old}.", "This model was retrained from {old}."),
    "corpus": (
        "Sur quoi il a été entraîné, et avec quel consentement",
        "What it was trained on, and with whose consent",
    ),
    "corpus_text": (
        ("Au début de l'entraînement, l'instantané `{snapshot}` ({date}) a figé les {works} dont le dernier "
         "consentement disait « train », de {authors}, {chars} en tout : {train} ont servi à l'entraînement et "
         "{val} ont été mis de côté pour le mesurer ({split}). Les œuvres sans ce consentement n'ont jamais été "
         "lues. La fiche du corpus donne chaque œuvre avec son auteur, sa licence et la date du consentement."),
        ("When training started, snapshot `{snapshot}` ({date}) froze the {works} whose latest consent said "
         "“train”, by {authors}, {chars} in all: {train} were used for training and {val} held out to measure it "
         "({split}). Works without that consent were never read. The corpus datasheet lists each work with its "
         "author, its license and the date consent was given."),
    ),
    "split_works": ("des œuvres entières mises de côté pour la validation", "whole works held out for validation"),
    "split_tail": (
        "le dernier dixième de chaque œuvre mis de côté, les œuvres étant trop peu nombreuses",
        "the last tenth of every work held out, as there were too few works to hold out whole ones",
    ),
    "licenses_line": ("Licences : {items}.", "Licenses: {items}."),
    "consent": ("Consentement", "Consent"),
    "consent_ok": (
        ("Toutes ces œuvres ont encore aujourd'hui un consentement à l'entraînement dans le studio. S'il est retiré "
         "(à la demande d'un auteur, d'ayants droit…), ouvroir marque le modèle et refuse de générer avec lui jusqu'à "
         "ce qu'il soit réentraîné."),
        ("Every one of these works still has a consent to training in the studio today. If it is withdrawn (because "
         "an author or rights holder asked…), ouvroir marks the model and refuses to generate with it until it is "
         "retrained."),
    ),
    "consent_withdrawn": (
        ("**Ce modèle a été entraîné sur des œuvres dont le consentement a été retiré depuis** ({works}) : il ne "
         "doit plus servir. ouvroir refuse de générer avec lui ; `ouvroir retrain {id}` en entraîne un nouveau sans "
         "ces œuvres."),
        ("**This model was trained on works whose consent has since been withdrawn** ({works}): it must not be used "
         "any more. ouvroir refuses to generate with it; `ouvroir retrain {id}` trains a new one without them."),
    ),
    "withdrawn_item": ("{title} : {state} depuis le {date}", "{title}: {state} since {date}"),
    "state_no-train": ("consentement refusé", "consent refused"),
    "state_unknown": ("consentement incertain", "consent uncertain"),
    "state_removed": ("retirée du studio", "removed from the studio"),
    "quality": ("Sa qualité", "How good it is"),
    "quality_text": (
        ("Sur les œuvres mises de côté, le modèle obtient {bpb} bits par octet. Ce chiffre dit combien le modèle "
         "est surpris, en moyenne, par chaque octet d'un texte qu'il n'a jamais vu : plus il est bas, mieux c'est. "
         "Deviner à l'aveugle parmi les 256 valeurs possibles d'un octet donnerait 8. Les bits par octet comparent "
         "des modèles quel que soit leur découpage en jetons, mais seulement sur le même corpus."),
        ("On the held-out works, the model scores {bpb} bits per byte. The figure says how surprised the model is, "
         "on average, by each byte of a text it never saw: lower is better. Guessing blindly among the 256 possible "
         "values of a byte would give 8. Bits per byte compare models whatever their tokenizer, but only on the "
         "same corpus."),
    ),
    "audit": ("Ce que l'audit a trouvé", "What the audit found"),
    "audit_text": (
        ("L'audit {id} ({date}) a fait générer {texts} au modèle et les a comparés au texte d'entraînement ; le "
         "détail est dans [le rapport]({report})."),
        ("Audit {id} ({date}) had the model generate {texts} and compared them with the training text; the details "
         "are in [the report]({report})."),
    ),
    "audit_copy": (
        ("**Copie** : {copy} du texte généré est recopié mot pour mot du corpus{min} ; {with_copy} sur {texts} "
         "contiennent un tel passage, le plus long de {longest}."),
        ("**Copying**: {copy} of the generated text is copied verbatim from the corpus{min}; {with_copy} of {texts} "
         "hold such a passage, the longest {longest} long."),
    ),
    "audit_no_copy": (
        "**Copie** : aucun des {texts} ne contient de passage recopié mot pour mot du corpus{min}.",
        "**Copying**: none of the {texts} holds a passage copied verbatim from the corpus{min}.",
    ),
    "audit_min": (", par passages d'au moins {chars}", ", in passages of at least {chars}"),
    "audit_baseline": (
        ("Vos propres œuvres mises de côté en partagent {share} avec le texte d'entraînement : c'est la référence "
         "humaine, car les écrivains aussi partagent des tournures."),
        ("Your own held-out works share {share} with the training text: that is the human baseline, since writers "
         "share turns of phrase too."),
    ),
    "audit_creativity": (
        ("**Indice de créativité** : {value} (vos œuvres : {baseline}), la part du texte qui ne se recompose pas à "
         "partir d'expressions du corpus ; plus haut veut dire plus neuf."),
        ("**Creativity index**: {value} (your works: {baseline}), the share of the text that cannot be pieced "
         "together from phrases of the corpus; higher means newer."),
    ),
    "audit_diversity": (
        ("**Ratio de diversité** : {value}. Sous un, les textes générés sont moins variés que des extraits "
         "comparables du corpus (le modèle l'uniformise) ; au-dessus d'un, plus variés."),
        ("**Diversity ratio**: {value}. Below one, the generated texts are less varied than matched excerpts of the "
         "corpus (the model flattens it); above one, more varied."),
    ),
    "audit_style": (
        "**Style le plus proche** (Delta de Burrows, sur les mots les plus fréquents) : {author}.",
        "**Nearest style** (Burrows' Delta, on the most frequent words): {author}.",
    ),
    "audit_credit": (
        "**Crédit** : ce que le modèle reprend du corpus vient d'abord de {author} ({share} du crédit).",
        "**Credit**: what the model takes from the corpus comes first from {author} ({share} of the credit).",
    ),
    "uses": ("Usages prévus", "Intended uses"),
    "use_drafting": (
        "Écrire des brouillons : proposer des suites à retravailler, à la manière du corpus.",
        "Drafting: proposing continuations to rework, in the manner of the corpus.",
    ),
    "use_style": (
        "Explorer son propre style : voir quelles habitudes du corpus un modèle saisit d'abord.",
        "Exploring one's own style: seeing which habits of the corpus a model picks up first.",
    ),
    "use_study": (
        "Étudier ce qu'un modèle recopie : l'audit montre ce qu'il reprend mot pour mot, et à qui.",
        "Studying what a model copies: the audit shows what it takes verbatim, and from whom.",
    ),
    "limits": ("Limites", "Limits"),
    "limit_small": (
        ("C'est un petit modèle entraîné sur {chars} : il imite des motifs de surface (orthographe, rythme, "
         "tournures fréquentes), pas le sens ; il se trompe et se contredit."),
        ("It is a small model trained on {chars}: it imitates surface patterns (spelling, rhythm, frequent "
         "phrases), not meaning; it makes mistakes and contradicts itself."),
    ),
    "limit_memorized": (
        ("**Il a appris son corpus par cœur** : {train} bits par octet sur son texte d'entraînement contre {val} sur "
         "les œuvres mises de côté ; le corpus ({size}) était trop petit pour le temps d'entraînement, parcouru "
         "environ {passes} fois. Il recopie plus qu'il n'invente : ajoutez des œuvres ou entraînez moins longtemps."),
        ("**It memorized its corpus**: {train} bits per byte on its training text against {val} on the works held "
         "out; the corpus ({size}) was too small for the training time, gone over about {passes} times. It copies "
         "more than it invents: add works or train for less time."),
    ),
    "limit_copy": (
        ("Il peut recopier des passages de son corpus : à l'audit, {copy} du texte généré était recopié mot pour "
         "mot, le plus long passage faisant {longest}. Vérifiez avant de publier."),
        ("It can copy passages of its corpus: in its audit, {copy} of the generated text was copied verbatim, the "
         "longest passage {longest} long. Check before publishing."),
    ),
    "limit_no_copy": (
        ("Il peut recopier des passages de son corpus : son audit n'a trouvé aucun passage recopié{min}, ce qui ne "
         "prouve pas qu'il ne recopie jamais. Vérifiez avant de publier."),
        ("It can copy passages of its corpus: its audit found no passage copied verbatim{min}, which does not prove "
         "that it never copies. Check before publishing."),
    ),
    "limit_copy_unknown": (
        ("Il peut recopier des passages de son corpus ; combien n'est pas encore mesuré : lancez `ouvroir audit "
         "{id}`."),
        "It can copy passages of its corpus; how much is not measured yet: run `ouvroir audit {id}`.",
    ),
    "limit_authorship": (
        ("Ses textes ne doivent pas être présentés comme l'œuvre des auteurs dont il a appris, ni comme une "
         "écriture humaine."),
        "Its texts must not be presented as the work of the authors it learned from, nor as human writing.",
    ),
    "limit_withdrawn": (
        "Le consentement a été retiré pour {works} après l'entraînement : ne l'utilisez plus, réentraînez-le.",
        "Consent was withdrawn for {works} after training: do not use it any more; retrain it.",
    ),
    "limit_withdrawal_rule": (
        "Si le consentement d'une œuvre est retiré, le modèle est marqué et ouvroir refuse de générer avec lui.",
        "If a work's consent is withdrawn, the model is marked and ouvroir refuses to generate with it.",
    ),
    "ds_title": ("Fiche du corpus : instantané {snapshot}", "Corpus datasheet: snapshot {snapshot}"),
    "ds_lead": (
        ("Les œuvres sur lesquelles le modèle {id} a été entraîné, telles que l'instantané `{snapshot}` les a "
         "figées le {date} : {works} de {authors}, {chars}. Seules les œuvres dont le dernier consentement disait « "
         "train » entrent dans un instantané ; chacune y est enregistrée par l'empreinte de son texte (dans "
         "`datasheet.json`), avec l'événement de consentement sur lequel elle repose."),
        ("The works model {id} was trained on, as snapshot `{snapshot}` froze them on {date}: {works} by {authors}, "
         "{chars}. Only works whose latest consent said “train” enter a snapshot; each is recorded there by the "
         "hash of its text (in `datasheet.json`), with the consent event it relies on."),
    ),
    "works": ("Œuvres", "Works"),
    "ds_more_works": (
        "Les {shown} premières œuvres seulement ; {more} autres suivent dans la fiche complète (`datasheet.md`).",
        "The first {shown} works only; {more} more follow in the whole datasheet (`datasheet.md`).",
    ),
    "col_title": ("Titre", "Title"),
    "col_author": ("Auteur", "Author"),
    "col_license": ("Licence", "License"),
    "col_consent": ("Consentement donné le", "Consent given on"),
    "col_chars": ("Caractères", "Characters"),
    "col_use": ("Usage", "Used for"),
    "col_works": ("Œuvres", "Works"),
    "col_form": ("Forme", "Form"),
    "col_language": ("Langue", "Language"),
    "withdrawn_since": ("retiré depuis", "withdrawn since"),
    "authors": ("Auteurs", "Authors"),
    "licenses": ("Licences", "Licenses"),
    "forms": ("Formes", "Forms"),
    "languages": ("Langues", "Languages"),
    "consent_today": ("Consentement aujourd'hui", "Consent today"),
    "unknown_author": ("auteur inconnu", "unknown author"),
    "split_train": ("entraînement", "training"),
    "split_val": ("validation", "validation"),
    "split_both": ("les deux", "both"),
    "size_tiny": ("très petite taille", "tiny"),
    "size_small": ("petite taille", "small"),
    "size_base": ("taille moyenne", "mid-sized"),
    "form_prose": ("prose", "prose"),
    "form_poetry": ("poésie", "poetry"),
    "form_theatre": ("théâtre", "theatre"),
    "form_screenplay": ("scénario", "screenplay"),
    "parameters": ("{n} paramètres", "{n} parameters"),
    # -- a model fine-tuned from a pre-trained base (``ouvroir train --from``)
    "glance_what_finetuned": (
        "**Le modèle** : un modèle {medium} affiné à partir du modèle de base {base} ({method}), de {params}, le {date}.",
        "**The model**: a {medium} model fine-tuned from the base model {base} ({method}), of {params}, on {date}.",
    ),
    "glance_base": (
        ("**Modèle de base** : entraîné ailleurs, sur des données qui échappent au registre des consentements de ce "
         "studio : voir « Le modèle de base »."),
        ("**Base model**: trained elsewhere, on data outside this studio's consent record: see “The base "
         "model”."),
    ),
    "glance_corpus_finetuned": (
        ("**Affiné sur** {works} de {authors} ({chars}), chacune avec un consentement à l'entraînement enregistré "
         "dans le studio au moment de l'entraînement."),
        ("**Fine-tuned on** {works} by {authors} ({chars}), each with a consent to training recorded in the studio "
         "when it was trained."),
    ),
    "glance_bpb_finetuned": (
        ("**Qualité** : {zero} → {bpb} bits par octet sur des œuvres qu'il n'a jamais vues, le modèle de base "
         "avant l'affinage puis le modèle affiné (plus bas = mieux ; deviner au hasard donne 8)."),
        ("**Quality**: {zero} → {bpb} bits per byte on works it never saw, the base model before fine-tuning then "
         "the fine-tuned model (lower is better; a blind guess gives 8)."),
    ),
    "method_lora": ("LoRA de rang {rank}", "LoRA of rank {rank}"),
    "method_full": ("tous ses poids affinés", "every weight fine-tuned"),
    "what_finetuned": (
        ("{id} est le modèle de base {base} affiné sur les œuvres de ce studio : {how}. Il ne part donc pas de "
         "zéro : il garde ce que son modèle de base a appris ailleurs. Le modèle de base compte {layers} couches de "
         "largeur {width} avec {heads} têtes d'attention, lit jusqu'à {context} jetons à la fois et connaît {vocab} "
         "jetons de son propre découpage. L'affinage a duré {steps} pas, en {seconds} secondes sur `{device}` "
         "(graine {seed})."),
        ("{id} is the base model {base} fine-tuned on this studio's works: {how}. So it does not start from "
         "scratch: it keeps what its base model learned elsewhere. The base model has {layers} layers of width "
         "{width} with {heads} attention heads, reads up to {context} tokens at a time and knows {vocab} tokens of "
         "its own tokenizer. Fine-tuning ran for {steps} steps in {seconds} seconds on `{device}` (seed {seed})."),
    ),
    "how_lora": (
        ("des adaptateurs LoRA de rang {rank} sur ses couches {targets} ({trainable} paramètres entraînés), les "
         "poids du modèle de base restant tels quels"),
        ("LoRA adapters of rank {rank} on its {targets} layers ({trainable} parameters trained), the base model's "
         "own weights left as they are"),
    ),
    "how_full": ("tous ses poids ont été entraînés", "every one of its weights was trained"),
    "weights_lora": (
        ("Son adaptateur LoRA est dans `adapter_model.safetensors`, à côté de cette fiche (sha256 `{sha}`). Il ne "
         "fonctionne que sur le modèle de base ci-dessous, dont ouvroir vérifie les empreintes avant chaque usage."),
        ("Its LoRA adapter is in `adapter_model.safetensors`, next to this card (sha256 `{sha}`). It works only on "
         "the base model below, whose hashes ouvroir checks before each use."),
    ),
    "weights_full": (
        "Ses poids, tout le modèle affiné, sont dans `model.safetensors`, à côté de cette fiche (sha256 `{sha}`).",
        "Its weights, the whole fine-tuned model, are in `model.safetensors`, next to this card (sha256 `{sha}`).",
    ),
    "base_title": ("Le modèle de base", "The base model"),
    "base_named": (
        ("Le modèle de base est le dossier {folder} (architecture {type}, {params}), tel qu'il était au moment de "
         "l'affinage : `config.json` sha256 `{config}`, et ses poids :"),
        ("The base model is the folder {folder} (architecture {type}, {params}), as it was when fine-tuned: "
         "`config.json` sha256 `{config}`, and its weights:"),
    ),
    "base_weight_file": ("{file} : sha256 `{sha}`", "{file}: sha256 `{sha}`"),
    "base_declares_both": (
        "Sa propre fiche déclare la licence {licence} et les données d'entraînement {datasets}.",
        "Its own model card declares the licence {licence} and the training data {datasets}.",
    ),
    "base_declares_licence": (
        "Sa propre fiche déclare la licence {licence}, mais pas ses données d'entraînement.",
        "Its own model card declares the licence {licence}, but not its training data.",
    ),
    "base_declares_data": (
        "Sa propre fiche déclare les données d'entraînement {datasets}, mais pas de licence.",
        "Its own model card declares the training data {datasets}, but no licence.",
    ),
    "base_declares_nothing": (
        ("Sa propre fiche ne déclare ni licence ni données d'entraînement : renseignez-vous auprès de ses auteurs "
         "avant de publier quoi que ce soit qui en vienne."),
        ("Its own model card declares neither a licence nor its training data: ask its makers before publishing "
         "anything that comes from it."),
    ),
    "base_outside": (
        ("**Les données sur lesquelles le modèle de base a été entraîné échappent au registre des consentements "
         "de ce studio.** ouvroir ne garantit que les données de l'affinage : les œuvres consentantes de la fiche "
         "du corpus, chacune avec son consentement enregistré. Ce que le modèle de base a appris avant, de qui et "
         "avec quel consentement, c'est à ses auteurs de le dire."),
        ("**The data the base model was trained on lies outside this studio's consent record.** ouvroir "
         "guarantees only the fine-tuning data: the consenting works of the corpus datasheet, each with its recorded "
         "consent. What the base model learned before, from whom and with what consent, is for its makers to say."),
    ),
    "base_choice": (
        ("Les modèles de base entraînés uniquement sur des données sous licence libre ou du domaine public (par "
         "exemple les modèles Pleias, entraînés sur Common Corpus) sont le choix le plus cohérent avec la règle du "
         "consentement."),
        ("Base models trained only on openly licensed or public-domain data (for instance the Pleias models, "
         "trained on Common Corpus) are the choice most consistent with the consent rule."),
    ),
    "quality_finetuned": (
        ("Avant l'affinage, le modèle de base obtenait {zero} bits par octet sur ces mêmes œuvres : {zero} → {bpb} "
         "dit ce que l'affinage a apporté."),
        ("Before fine-tuning, the base model scored {zero} bits per byte on the same works: {zero} → {bpb} is what "
         "fine-tuning brought."),
    ),
    "limit_finetuned": (
        ("Il a été affiné sur {chars} : il penche vers les motifs de surface du corpus (orthographe, rythme, "
         "tournures fréquentes) mais garde ce que le modèle de base {base} a appris ailleurs ; il se trompe et se "
         "contredit."),
        ("It was fine-tuned on {chars}: it leans towards the corpus's surface patterns (spelling, rhythm, frequent "
         "phrases) but keeps what the base model {base} learned elsewhere; it makes mistakes and contradicts "
         "itself."),
    ),
    "limit_base_data": (
        ("Il peut aussi reproduire des textes des données d'entraînement de son modèle de base, que l'audit ne "
         "cherche pas : l'audit ne compare qu'avec le corpus de ce studio."),
        ("It can also reproduce text from its base model's own training data, which the audit does not search: the "
         "audit compares only with this studio's corpus."),
    ),
    "license_item": ("{license} ({works})", "{license} ({works})"),
    "and": (" et ", " and "),
}
CARD = Catalogue("card", _TABLE)
CARD.add(CARD_STEERING)  # a key in both is refused
