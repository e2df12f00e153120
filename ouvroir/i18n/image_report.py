"""Every word the image audit's report shows a person, in French and in English."""

from __future__ import annotations

from . import Catalogue, Translator

_TABLE: dict[str, tuple[str, str]] = {
    "title_model": ("Audit d’images du modèle {model}", "Image audit of model {model}"),
    "title_images": ("Audit d’images", "Image audit"),
    "tagline": (
        "Ce que les images générées recopient de vos œuvres, et combien elles uniformisent votre corpus.",
        "What the generated images copy from your works, and how much they flatten your corpus.",
    ),
    "tagline_images": (
        "Ce que ces images recopient des œuvres de l’atelier, et combien elles sont diverses.",
        "What these images copy from the studio's works, and how diverse they are.",
    ),
    "made_on": ("Audit {id}, {date}", "Audit {id}, {date}"),
    "corpus_line": (
        "Corpus : {works} œuvres, {images} images d’entraînement, {held} images réservées, à {resolution} px.",
        "Corpus: {works} works, {images} training images, {held} held-out images, at {resolution} px.",
    ),
    "glance": ("En bref", "At a glance"),
    "card_flagged_one": (
        "{flagged} image sur {images} est une copie d’une œuvre (au-delà de ce que vos propres images réservées en sont proches).",
        "{flagged} of {images} images is a copy of a work (nearer to it than your own held-out images come).",
    ),
    "card_flagged_other": (
        "{flagged} images sur {images} sont des copies d’une œuvre (au-delà de ce que vos propres images réservées en sont proches).",
        "{flagged} of {images} images are copies of a work (nearer to it than your own held-out images come).",
    ),
    # The copy threshold's baseline, as audit.json names it (image_run.ImageCorpus.baseline_source).
    "source_held-out images": ("les images réservées du cliché", "the snapshot's held-out images"),
    "source_each work against the others": ("chaque œuvre face aux autres", "each work against the others"),
    "card_test": (
        "Test à trois échantillons (Meehan, Chaudhuri et Dasgupta) : C_T = {c_t} ; {verdict}",
        "Three-sample test (Meehan, Chaudhuri and Dasgupta): C_T = {c_t}; {verdict}",
    ),
    "verdict_copying": (
        "les images sont bien plus proches de l’entraînement que vos images réservées : le modèle recopie.",
        "the images stand much nearer the training set than your held-out images do: the model copies.",
    ),
    "verdict_far": (
        "les images sont plus loin de l’entraînement que vos images réservées.",
        "the images stand farther from the training set than your held-out images do.",
    ),
    "verdict_like": (
        "les images sont à la même distance de l’entraînement que vos images réservées.",
        "the images stand as near the training set as your held-out images do.",
    ),
    "copies": ("Copies", "Copies"),
    "copies_intro": (
        "Une image est signalée quand elle est plus proche d’une œuvre d’entraînement que {threshold} (pixels normalisés, décalage d’un pixel permis), la moitié du 5ᵉ centile des distances de vos images réservées ({source}, {baseline} images) ; ou à moins de {bits} bits d’empreinte perceptuelle d’une œuvre, ses pixels étant déjà parmi les plus proches.",
        "An image is flagged when it stands nearer a training work than {threshold} (normalized pixels, a one-pixel shift allowed), half the 5th percentile of your held-out images' distances ({source}, {baseline} images); or within {bits} bits of a work's perceptual hash while its pixels are already among the nearest.",
    ),
    "no_copy": ("Aucune image signalée.", "No image flagged."),
    "pair_generated": ("Image auditée", "Audited image"),
    "pair_work": ("Œuvre la plus proche", "Nearest work"),
    "pair_line": (
        "{label} — copie de « {title} » ({author}) : distance {distance}, {bits} bits d’empreinte.",
        "{label} — copy of “{title}” ({author}): distance {distance}, {bits} hash bits.",
    ),
    "unknown_author": ("auteur inconnu", "unknown author"),
    "histogram": ("Distances à l’œuvre la plus proche", "Distance to the nearest work"),
    "histogram_caption": (
        "En couleur, les images auditées ; en gris, vos images réservées ; le trait, le seuil de copie.",
        "In colour, the audited images; in grey, your held-out images; the line, the copy threshold.",
    ),
    "diversity": ("Diversité", "Diversity"),
    "diversity_intro": (
        "Chaque mesure sur les images auditées et sur autant d’images du corpus ; ratio sous 1 : moins divers que vos œuvres. Intervalles bootstrap à {level} quand les ensembles sont petits.",
        "Each measure on the audited images and on as many corpus images; a ratio below 1: less diverse than your works. Bootstrap intervals at {level} when the sets are small.",
    ),
    "space_pixels": ("Pixels", "Pixels"),
    "space_features": ("Palette et traits", "Palette and strokes"),
    "measure": ("Mesure", "Measure"),
    "samples": ("Images auditées", "Audited images"),
    "corpus": ("Corpus", "Corpus"),
    "ratio": ("Ratio", "Ratio"),
    "measure_vendi": ("Score de Vendi", "Vendi score"),
    "measure_coverage": ("Couverture (Naeem et al.)", "Coverage (Naeem et al.)"),
    "measure_distinct_share": ("Part d’images distinctes", "Share of distinct images"),
    "clusters": ("Groupes d’images quasi identiques", "Groups of near-identical images"),
    "no_cluster": ("Aucun groupe d’images quasi identiques.", "No group of near-identical images."),
    "sheet": ("Les images auditées", "The audited images"),
    "flagged_mark": ("copie", "copy"),
    "footer": ("Produit par ouvroir {version}, format {format}.", "Made by ouvroir {version}, format {format}."),
}

IMAGE_REPORT = Catalogue("image report", _TABLE)


class ImageReportTranslator(Translator):
    def __init__(self, lang: str) -> None:
        super().__init__(lang, IMAGE_REPORT)
