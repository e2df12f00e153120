"""Every word the web studio shows, in French and in English; each page registers its own strings.

The language comes from a ``lang`` cookie set by the switch, else from the
browser's ``Accept-Language``, else French.
"""

from __future__ import annotations

from ..report.i18n import LANGUAGES, Translator, _french_spacing

DEFAULT_LANG = "fr"
_FR: dict[str, str] = {}
_EN: dict[str, str] = {}


def register(table: dict[str, tuple[str, str]]) -> None:
    """Add ``key -> (French, English)`` strings; a key registered twice is a programming error."""
    for key, (fr, en) in table.items():
        if key in _FR:
            raise KeyError(f"web string {key!r} registered twice")
        _FR[key] = _french_spacing(fr)
        _EN[key] = en


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


class WebTranslator(Translator):
    """``t("corpus_title")`` in templates; ``t.percent(0.31)``; ``t.count("works", 3)``.

    The report's translator (same lookup, plural forms and number writing) over the web studio's
    strings; a missing figure is written "—".
    """

    def __init__(self, lang: str) -> None:
        self.lang = lang if lang in LANGUAGES else DEFAULT_LANG
        self._strings = _FR if self.lang == "fr" else _EN

    def percent(self, share: float | None) -> str:
        return "—" if share is None else super().percent(share)

    def decimal(self, value: float | None, digits: int = 2) -> str:
        return "—" if value is None else super().decimal(value, digits)

    def integer(self, value: int | None) -> str:
        return "—" if value is None else super().integer(value)

    def strings(self, *keys: str) -> dict[str, str]:
        """The strings a page's JavaScript needs (sent as JSON in the page, never as code)."""
        return {k: self._strings[k] for k in keys}


register({
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
    "too_large": ("Requête refusée : plus de {size} d’un coup. Envoyez les fichiers en plusieurs fois.",
                  "Request refused: more than {size} at once. Send the files in several batches."),
    "works_one": ("{n} œuvre", "{n} work"),
    "works_other": ("{n} œuvres", "{n} works"),
    "none": ("aucun", "none"),
    "save": ("Enregistrer", "Save"),
})  # fmt: skip
