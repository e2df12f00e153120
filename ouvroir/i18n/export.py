"""The words of a co-written document's exported appendix (who wrote what), in French and in English.

Kept as exported files have always spelled them (plain spaces; the colon and the percent sign are
written here), so an export reads the same as before.
"""

from __future__ import annotations

from . import Catalogue

EXPORT = Catalogue("export", {
    "authorship": ("Autorat", "Authorship"),
    "chars": ("Caractères (espaces compris)", "Characters (spaces included)"),
    "written": ("écrit", "written"),
    "generated": ("généré et gardé", "generated and kept"),
    "edited": ("généré puis retouché", "generated, then edited"),
    "samples": ("Suggestions utilisées", "Suggestions used"),
    "model": ("modèle", "model"),
    "sample": ("échantillon", "sample"),
    "none": ("aucune", "none"),
    "by_person": ("tapé par la personne", "typed by the person"),
    "typed_in": ("tapé dans une suggestion", "typed inside a suggestion"),
    "legend": ("Légende", "Legend"),
    "provenance": ("Provenance signée", "Signed provenance"),
    "pct": ("{:.0f} %", "{:.0f}%"),
    "colon": (" : ", ": "),
}, typography=False)  # fmt: skip
