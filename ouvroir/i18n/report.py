"""Every word the audit report shows a person, in French and in English.

Read through :class:`ReportTranslator`, the shared lookup with the report's own two
helpers: a group of texts (``T=0.7``) and a measure's plain name.
"""

from __future__ import annotations

import re

from . import NBSP, Catalogue, Translator

# key -> (French, English). Placeholders are str.format fields filled by the caller.
_TABLE: dict[str, tuple[str, str]] = {
    # -- header and navigation
    "title_model": ("Audit du modèle {model}", "Audit of model {model}"),
    "title_texts": ("Audit de textes", "Audit of texts"),
    "tagline": (
        "Ce que le modèle recopie, à qui il emprunte, et combien il uniformise votre corpus.",
        "What the model copies, whose words it borrows, and how much it flattens your corpus.",
    ),
    "tagline_texts": (
        "Ce que ces textes recopient de votre corpus, à qui ils empruntent, et combien ils l’uniformisent.",
        "What these texts copy from your corpus, whose words they borrow, and how much they flatten it.",
    ),
    "made_on": ("Audit {id}, {date}", "Audit {id}, {date}"),
    "corpus_line": ("Corpus : {works}, {authors}, {chars}.", "Corpus: {works}, {authors}, {chars}."),
    "works_one": ("{n} œuvre", "{n} work"),
    "works_other": ("{n} œuvres", "{n} works"),
    "authors_one": ("{n} auteur", "{n} author"),
    "authors_other": ("{n} auteurs", "{n} authors"),
    "chars_one": ("{n} caractère", "{n} character"),
    "chars_other": ("{n} caractères", "{n} characters"),
    "texts_one": ("{n} texte", "{n} text"),
    "texts_other": ("{n} textes", "{n} texts"),
    "samples_line": (
        "{texts} générés par température ({temperatures}), {tokens} jetons au plus chacun.",
        "{texts} generated per temperature ({temperatures}), at most {tokens} tokens each.",
    ),
    "samples_line_total": (
        "{texts} générés ({temperatures}), {tokens} jetons au plus chacun.",
        "{texts} generated ({temperatures}), at most {tokens} tokens each.",
    ),
    "contents": ("Sommaire", "Contents"),
    # -- headline
    "glance": ("En bref", "At a glance"),
    "card_copy": (
        "du texte généré est recopié mot pour mot de votre corpus (passages d’au moins {min}).",
        "of the generated text is copied verbatim from your corpus (passages of at least {min}).",
    ),
    "card_copy_texts": (
        "de ces textes est recopié mot pour mot de votre corpus (passages d’au moins {min}).",
        "of these texts is copied verbatim from your corpus (passages of at least {min}).",
    ),
    "card_copy_baseline": (
        "Vos propres œuvres en partagent {share} avec le reste du corpus.",
        "Your own works share {share} with the rest of the corpus.",
    ),
    "card_diversity_less": (
        "ratio de diversité : les textes sont {pct} moins divers que votre corpus.",
        "diversity ratio: the texts are {pct} less diverse than your corpus.",
    ),
    "card_diversity_more": (
        "ratio de diversité : les textes sont {pct} plus divers que votre corpus.",
        "diversity ratio: the texts are {pct} more diverse than your corpus.",
    ),
    "card_diversity_same": (
        "ratio de diversité : les textes sont aussi divers que votre corpus.",
        "diversity ratio: the texts are as diverse as your corpus.",
    ),
    "card_voices_less": (
        "étendue des voix : les textes sonnent comme moins de voix que votre corpus ({pct} de moins).",
        "spread of voices: the texts sound like fewer voices than your corpus ({pct} less).",
    ),
    "card_voices_more": (
        "étendue des voix : les textes sonnent comme plus de voix que votre corpus ({pct} de plus).",
        "spread of voices: the texts sound like more voices than your corpus ({pct} more).",
    ),
    "card_indistinct": (
        ("{measure} : à {n} textes, impossible de distinguer les textes de votre corpus "
         "(l'intervalle contient 1) ; il en faudrait environ {needed} pour voir un écart de 10 %."),
        ("{measure}: at {n} texts, the texts cannot be told apart from your corpus "
         "(the interval contains 1); about {needed} would show a 10% difference."),
    ),
    "card_indistinct_precise": (
        ("{measure} : à {n} textes, impossible de distinguer les textes de votre corpus (l'intervalle contient 1) ; "
         "un écart de 10 % se serait vu à cette taille : s'il y a un écart, il est plus petit."),
        ("{measure}: at {n} texts, the texts cannot be told apart from your corpus (the interval contains 1); "
         "a 10% difference would have shown at this size, so any difference is smaller."),
    ),
    "interval": ("intervalle à {level} : {lo} – {hi}", "{level} interval: {lo} – {hi}"),
    "intervals_note": (
        ("Entre crochets, l’intervalle à {level} : {resamples} tirages des textes avec remise (graine fixe) ; "
         "un ratio dont l’intervalle contient 1 ne distingue pas les textes du corpus à cette taille."),
        ("In brackets, the {level} interval: {resamples} resamples of the texts with replacement (fixed seed); "
         "a ratio whose interval contains 1 does not tell the texts from the corpus at this size."),
    ),
    "voices_glossary": (
        ("Étendue des voix : à quel point les textes sonnent comme des auteurs différents, d’après les "
         "fréquences de leurs mots outils et de leurs suites de trois caractères ; 0 pour un même texte répété. "
         "C’est la mesure du titre : celle qui distingue un seul auteur de plusieurs."),
        ("Spread of voices: how much the texts sound like different writers, from the frequencies of their "
         "function words and three-character sequences; 0 for one text repeated. It is the headline measure: "
         "the one that tells one author from many."),
    ),
    "card_creativity": (
        "indice de créativité (1 : rien ne se recompose à partir du corpus). Vos œuvres : {baseline}.",
        "creativity index (1: nothing can be pieced together from the corpus). Your works: {baseline}.",
    ),
    "card_style": ("style le plus proche, d’après les mots les plus fréquents.",
                   "nearest style, judging by the most frequent words."),
    "notes": ("À savoir", "Worth knowing"),
    "not_run": ("Cet instrument n’a pas été utilisé pour cet audit.", "This instrument was not run for this audit."),
    # -- copying
    "copying": ("Copie", "Copying"),
    "copying_intro": (
        ("Un passage compte comme copié quand au moins {min} consécutifs se retrouvent tels quels dans votre corpus. "
         "Pour savoir ce qui est normal, on mesure la même chose sur vos propres œuvres mises de côté : "
         "c’est la référence humaine, car les écrivains aussi partagent des tournures."),
        ("A passage counts as copied when at least {min} in a row appear as they are in your corpus. "
         "To know what is normal, the same is measured on your own works, held out: "
         "that is the human baseline, since writers share turns of phrase too."),
    ),
    "copying_caption": (
        ("Part recopiée de chaque texte, par groupe. La barre donne la moyenne, chaque point un texte, "
         "le triangle le texte qui copie le plus. Une barre vermillon bien plus haute que la bleue "
         "veut dire que le modèle recopie plus que vos auteurs ne se recopient entre eux."),
        ("Share of each text that is copied, per group. The bar is the mean, each dot one text, "
         "the triangle the text that copies most. A vermilion bar far above the blue one means "
         "the model copies more than your authors copy one another."),
    ),
    "copying_caption_texts": (
        ("Part recopiée de chaque texte. La barre donne la moyenne, chaque point un texte, "
         "le triangle le texte qui copie le plus. Une barre vermillon bien plus haute que la bleue "
         "veut dire que ces textes recopient plus que vos auteurs ne se recopient entre eux."),
        ("Share of each text that is copied. The bar is the mean, each dot one text, "
         "the triangle the text that copies most. A vermilion bar far above the blue one means "
         "these texts copy more than your authors copy one another."),
    ),
    "your_works": ("vos œuvres", "your works"),
    "baseline_label": ("vos œuvres (référence)", "your works (baseline)"),
    "group_texts": ("textes audités", "audited texts"),
    "axis_copied_share": ("part recopiée", "share copied"),
    "legend_mean": ("moyenne", "mean"),
    "legend_one_text": ("un texte", "one text"),
    "legend_max": ("maximum", "maximum"),
    "col_group": ("Groupe", "Group"),
    "col_texts": ("Textes", "Texts"),
    "col_with_copy": ("Avec copie", "With a copy"),
    "col_mean": ("Moyenne", "Mean"),
    "col_median": ("Médiane", "Median"),
    "col_p90": ("9 textes sur 10 sous", "9 texts in 10 below"),
    "col_max": ("Maximum", "Maximum"),
    "col_longest": ("Plus long passage", "Longest passage"),
    "reconstruct": ("Reconstructibilité", "Reconstructibility"),
    "reconstruct_caption": (
        ("Pour chaque longueur N, la part du texte que l’on peut recomposer avec des passages d’au moins N mots "
         "trouvés dans votre corpus. Des expressions de 5 mots se retrouvent partout, même chez vos auteurs : "
         "ce qui compte est l’écart entre les deux courbes à N égal, pas leur hauteur."),
        ("For each length N, the share of the text that can be pieced together from passages of at least N words "
         "found in your corpus. Five-word phrases turn up everywhere, even in your authors: "
         "what matters is the gap between the two curves at the same N, not their height."),
    ),
    "axis_n_words": ("N (mots consécutifs)", "N (words in a row)"),
    "axis_reconstructed": ("part recomposable", "share pieced together"),
    "legend_samples": ("textes générés", "generated texts"),
    "legend_texts": ("textes audités", "audited texts"),
    "creativity_line": (
        ("Indice de créativité : {samples} pour les textes, {baseline} pour vos œuvres. Il résume la courbe "
         "en un nombre : plus il est proche de 1, moins le texte se recompose à partir de fragments du corpus."),
        ("Creativity index: {samples} for the texts, {baseline} for your works. It sums the curve up "
         "in one number: the closer to 1, the less the text can be pieced together from fragments of the corpus."),
    ),
    # -- credit
    "credit": ("Crédit", "Credit"),
    "credit_intro": (
        ("À qui les textes empruntent-ils ? Chaque mot pris dans un passage d'au moins 3 mots trouvé "
         "dans le corpus est crédité aux œuvres où ce passage figure, avec plus de poids pour un passage "
         "rare (propre à peu d'œuvres) que pour une tournure que tout le monde emploie."),
        ("Whose words do the texts borrow? Each word inside a run of at least 3 words found in the corpus "
         "is credited to the works where that run occurs, with more weight for a rare run (found in few "
         "works) than for a turn of phrase everyone uses."),
    ),
    "credit_coverage": ("{share} des mots des textes se rattachent ainsi au corpus ; le reste n'a pas de source identifiable.",
                        "{share} of the texts' words trace back to the corpus this way; the rest has no identifiable source."),
    "credit_empty": ("Rien à créditer : aucun passage des textes ne remonte à une œuvre du corpus.",
                     "Nothing to credit: no passage of the texts traces back to a work of the corpus."),
    "col_author": ("Auteur", "Author"),
    "col_work": ("Œuvre", "Work"),
    "col_share": ("Part", "Share"),
    "no_source": ("(auteur inconnu)", "(unknown author)"),
    "untitled": ("(sans titre)", "(untitled)"),
    "bar_voice": ("mesure {bar}, voix {voice}", "bar {bar}, voice {voice}"),
    "passage_here": ("Ici : mesures {first}–{last}, voix {voice}", "Here: bars {first}–{last}, voice {voice}"),
    "passage_source": ("Dans la source : mesures {first}–{last}, voix {voice}",
                       "In the source: bars {first}–{last}, voice {voice}"),
    "other_works": ("{count} autres œuvres", "{count} other works"),
    "unknown_author": ("auteur inconnu", "unknown author"),
    # -- uniformization
    "uniformization": ("Uniformisation", "Uniformization"),
    "uniformization_intro": (
        ("Le modèle aplatit-il votre corpus ? Chaque mesure de diversité est calculée sur les textes et sur "
         "des extraits de votre corpus de même taille. Le ratio compare les deux, orienté pour que 1 veuille dire "
         "« aussi divers que votre corpus », et 0,80 « 20 % moins divers »."),
        ("Does the model flatten your corpus? Each diversity measure is computed on the texts and on "
         "excerpts of your corpus of the same size. The ratio compares the two, turned so that 1 means "
         "“as diverse as your corpus”, and 0.80 “20% less diverse”."),
    ),
    "uniformization_intro_texts": (
        ("Ces textes sont-ils plus uniformes que votre corpus ? Chaque mesure de diversité est calculée sur les "
         "textes et sur des extraits de votre corpus de même taille. Le ratio compare les deux, orienté pour que 1 "
         "veuille dire « aussi divers que votre corpus », et 0,80 « 20 % moins divers »."),
        ("Are these texts more uniform than your corpus? Each diversity measure is computed on the texts and on "
         "excerpts of your corpus of the same size. The ratio compares the two, turned so that 1 means "
         "“as diverse as your corpus”, and 0.80 “20% less diverse”."),
    ),
    "uniformization_caption": (
        ("Ratio par mesure. À gauche de la ligne 1, les textes sont moins divers que votre corpus ; "
         "à droite, plus divers. Même invite : le modèle dit-il toujours la même chose quand on lui demande "
         "la même chose ? Invites différentes : converge-t-il même quand on lui demande autre chose ?"),
        ("Ratio per measure. Left of the line at 1, the texts are less diverse than your corpus; "
         "right of it, more diverse. Same prompt: does the model always say the same thing when asked "
         "the same thing? Different prompts: does it converge even when asked something else?"),
    ),
    "uniformization_caption_texts": (
        ("Ratio par mesure. À gauche de la ligne 1, les textes sont moins divers que votre corpus ; "
         "à droite, plus divers."),
        ("Ratio per measure. Left of the line at 1, the texts are less diverse than your corpus; "
         "right of it, more diverse."),
    ),
    "axis_ratio": ("ratio (1 = aussi divers que votre corpus)", "ratio (1 = as diverse as your corpus)"),
    "line_corpus": ("votre corpus", "your corpus"),
    "group_all samples": ("tous les textes", "all texts"),
    "group_same prompt": ("même invite", "same prompt"),
    "group_different prompts": ("invites différentes", "different prompts"),
    "group_not_measured": ("{group} ({texts}) : pas mesuré.", "{group} ({texts}): not measured."),
    "col_measure": ("Mesure", "Measure"),
    "col_samples": ("Textes", "Texts"),
    "col_corpus": ("Corpus", "Corpus"),
    "col_ratio": ("Ratio", "Ratio"),
    "measures_glossary": (
        ("Distinct-n : part des suites de n mots qui ne se répètent pas. Compressibilité : un texte répétitif "
         "se compresse mieux. ROUGE-L : combien les textes se ressemblent deux à deux. Vendi : le nombre effectif "
         "de textes vraiment différents. Vocabulaire rare : la part des mots rares du corpus que l’on retrouve."),
        ("Distinct-n: the share of n-word runs that do not repeat. Compressibility: a repetitive text compresses "
         "better. ROUGE-L: how alike the texts are, two by two. Vendi: the effective number of truly different "
         "texts. Rare vocabulary: the share of the corpus’s rare words that turn up."),
    ),
    "form": ("Forme", "Form"),
    "form_caption": (
        "La forme des textes à côté de celle du corpus : longueur des lignes, des strophes, part de dialogue.",
        "The shape of the texts beside that of the corpus: length of lines and stanzas, share of dialogue.",
    ),
    # -- temperature sweep
    "sweep": ("Température : le compromis que vous choisissez", "Temperature: the trade-off you choose"),
    "sweep_short": ("Température", "Temperature"),
    "sweep_caption": (
        ("La température règle la prise de risque du modèle. Basse, il reste près de son corpus : il recopie "
         "davantage et varie moins. Haute, il invente davantage, au risque de perdre la forme. "
         "À gauche ce que vous risquez de copier, à droite la diversité que vous gagnez."),
        ("Temperature sets how many risks the model takes. Low, it stays close to its corpus: it copies more "
         "and varies less. High, it invents more, at the risk of losing the form. "
         "On the left what you risk copying, on the right the diversity you gain."),
    ),
    "sweep_texts": (
        "Cet audit porte sur des textes donnés, pas sur un modèle : il n’y a pas de température à comparer.",
        "This audit looks at given texts, not at a model: there is no temperature to compare.",
    ),
    "sweep_single": ("Une seule température dans cet audit : il n’y a rien à comparer.",
                     "Only one temperature in this audit: there is nothing to compare."),
    "axis_temperature": ("température", "temperature"),
    "axis_diversity_ratio": ("ratio de diversité", "diversity ratio"),
    "col_temperature": ("Température", "Temperature"),
    "col_creativity": ("Indice de créativité", "Creativity index"),
    # -- style
    "style": ("Style", "Style"),
    "style_caption": (
        ("Distance de style (Delta de Burrows sur les {mfw} mots les plus fréquents) : plus elle est petite, "
         "plus les styles se ressemblent. En gris, l’échelle : les distances entre vos auteurs eux-mêmes. "
         "Si les textes sont plus près d’un auteur que vos auteurs ne le sont entre eux, le modèle écrit comme lui."),
        ("Style distance (Burrows’s Delta over the {mfw} most frequent words): the smaller, the more alike "
         "the styles. In grey, the scale: the distances between your authors themselves. If the texts are "
         "closer to an author than your authors are to one another, the model writes like that author."),
    ),
    "style_caption_texts": (
        ("Distance de style (Delta de Burrows sur les {mfw} mots les plus fréquents) : plus elle est petite, "
         "plus les styles se ressemblent. En gris, l’échelle : les distances entre vos auteurs eux-mêmes. "
         "Si les textes sont plus près d’un auteur que vos auteurs ne le sont entre eux, ils écrivent comme lui."),
        ("Style distance (Burrows’s Delta over the {mfw} most frequent words): the smaller, the more alike "
         "the styles. In grey, the scale: the distances between your authors themselves. If the texts are "
         "closer to an author than your authors are to one another, they write like that author."),
    ),
    "most_frequent": ("les plus fréquents", "most frequent"),
    "axis_delta": ("distance de style (Delta) ; plus petite = plus proche", "style distance (Delta); smaller = closer"),
    "legend_to_author": ("textes → auteur", "texts → author"),
    "legend_between": ("entre vos auteurs", "between your authors"),
    "nearest_line": ("Style le plus proche : {author}.", "Nearest style: {author}."),
    "col_pair": ("Entre", "Between"),
    "col_delta": ("Distance", "Distance"),
    # -- the texts
    "texts": ("Les textes", "The texts"),
    "texts_intro": (
        ("Les passages surlignés se trouvent tels quels dans votre corpus : survolez-les pour voir leur source. "
         "Les numéros renvoient à la liste des sources sous chaque texte."),
        ("Highlighted passages appear as they are in your corpus: hover over them to see their source. "
         "The numbers point to the list of sources under each text."),
    ),
    "prompt": ("Invite : « {prompt} »", "Prompt: “{prompt}”"),
    "no_prompt": ("Sans invite", "No prompt"),
    "text_stats": (
        "recopié : {share} · plus long passage : {longest} · créativité : {creativity}",
        "copied: {share} · longest passage: {longest} · creativity: {creativity}",
    ),
    "source": ("{author}, {title}, position {position}", "{author}, {title}, position {position}"),
    "source_title_only": ("{title}, position {position}", "{title}, position {position}"),
    "occurrences": ("{n} fois dans le corpus", "{n} times in the corpus"),
    "no_copy": ("Aucun passage recopié.", "No copied passage."),
    "text_credit": ("Crédit : {credit}", "Credit: {credit}"),
    "no_texts": ("Aucun texte dans cet audit.", "No text in this audit."),
    # -- footer
    "footer": (
        ("Rapport produit par ouvroir {version} (format {format}). Il s’ouvre hors ligne ; "
         "chaque chiffre est aussi dans audit.json, à côté de ce fichier."),
        ("Report made by ouvroir {version} (format {format}). It opens offline; "
         "every figure is also in audit.json, next to this file."),
    ),
    "settings": ("Réglages : {settings}", "Settings: {settings}"),
}

_MEASURES: dict[str, tuple[str, str]] = {
    "voice_spread": ("étendue des voix (styles)", "spread of voices (styles)"),
    "compression_ratio": ("compressibilité", "compressibility"),
    "rouge_l_homogenization": ("ressemblance deux à deux (ROUGE-L)", "likeness two by two (ROUGE-L)"),
    "vendi_char5": ("nombre effectif de textes (Vendi)", "effective number of texts (Vendi)"),
    "rare_vocabulary_coverage": ("vocabulaire rare retrouvé", "rare vocabulary kept"),
    "line_chars_mean": ("longueur moyenne des lignes (caractères)", "mean line length (characters)"),
    "line_chars_sd": ("variation de la longueur des lignes (écart-type)", "spread of line length (std. dev.)"),
    "stanza_lines_mean": ("lignes par strophe (moyenne)", "lines per stanza (mean)"),
    "dialogue_share": ("part de dialogue", "share of dialogue"),
}

REPORT = Catalogue("report", _TABLE)

# The audit's notes, stored in audit.json in the report's language: kept exactly as written (plain spaces).
AUDIT_NOTES = Catalogue("audit notes", {
    "no_held_out": ("Aucun texte mis de côté : la référence humaine n'a pas pu être mesurée.",
                    "No held-out text: the human baseline could not be measured."),
    "one_work": ("Le corpus ne compte qu'une œuvre : pas de référence humaine à laquelle comparer.",
                 "The corpus has one work: there is no human baseline to compare with."),
    "few_authors": ("Moins de deux auteurs nommés dans le corpus : l'échelle de style ne peut être tracée.",
                    "Fewer than two named authors in the corpus: the style scale cannot be drawn."),
    "short_for_style": ("Les textes font moins de 1 000 mots : leur distance de style est approximative (le Delta de Burrows en veut quelques milliers).",
                        "The texts hold fewer than 1,000 words: their style distance is rough (Burrows' Delta wants a few thousand)."),
    "style_music": ("La distance de style (Delta de Burrows) mesure l'usage des mots : pour les partitions, voir les mesures musicales sous Uniformisation.",
                    "Style distance (Burrows' Delta) measures word use: for scores, read the music measures under Uniformization."),
    "few_for_voices": ("Trop peu de textes, ou trop courts (moins de 10 de 500 caractères, 20 de 300 ou 30 de 150) : l'étendue des voix ne distingue pas sûrement un auteur de plusieurs à cette taille.",
                       "Too few or too short texts (under 10 of 500 characters, 20 of 300 or 30 of 150): the spread of voices cannot reliably tell one author from many at this size."),
    "one_text": ("La diversité se mesure sur au moins deux textes.",
                 "Diversity needs at least two texts to compare."),
}, typography=False)  # fmt: skip


class ReportTranslator(Translator):
    """``tr("works", n=3)`` over the report's strings; ``tr.group("T=0.7")``, ``tr.measure("distinct_2")``."""

    def __init__(self, lang: str) -> None:
        super().__init__(lang, REPORT)

    def group(self, name: str) -> str:
        """A group of texts as a person reads it: ``T=0.7`` -> ``T = 0,7``, ``texts`` -> ``textes audités``."""
        match = re.fullmatch(r"T=(\d+(?:\.\d+)?)", name)
        if match:
            return f"T{NBSP}={NBSP}{self.decimal(float(match.group(1)), _digits(match.group(1)))}"
        key = "group_texts" if name == "texts" else f"group_{name}"
        return self(key) if key in self._strings else name

    def measure(self, name: str) -> str:
        """``distinct_2`` -> ``distinct-2``; known measures get a plain name, unknown ones keep theirs."""
        if name in _MEASURES:
            return _MEASURES[name][0 if self.lang == "fr" else 1]
        match = re.fullmatch(r"distinct_(\d+)", name)
        if match:
            return f"distinct-{match.group(1)}"
        return name.replace("_", " ")


def _digits(number: str) -> int:
    return max(1, len(number.partition(".")[2]))
