"""Every word of the model card and the corpus datasheet, in French and in English.

Read through the shared lookup (``CARD[lang]``); French gets its non-breaking spaces once, when the
catalogue is made.
"""

from __future__ import annotations

from . import Catalogue

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
    "license_item": ("{license} ({works})", "{license} ({works})"),
    "and": (" et ", " and "),
}
CARD = Catalogue("card", _TABLE)
