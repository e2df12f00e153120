"""A quotation is found whole whatever its layout: line breaks, indentation and stanza breaks are one space.

The audit searches the folded text (``ouvroir.audit.medium.fold``) and maps every
span back into the text and the work as written.
"""

from __future__ import annotations

import random
import re

import pytest

from ouvroir.audit.copying import find_spans
from ouvroir.audit.figures import AuditText
from ouvroir.audit.index import Document, build_index
from ouvroir.audit.medium import TextMedium, fold
from ouvroir.audit.run import AuditOptions, Corpus, _measure
from tests.conftest import SHARED, needs_shared
from tests.test_copying import brute_spans

MEDIUM = TextMedium()


def corpus_of(tmp_path, works: list[tuple[str, str, str]]) -> Corpus:
    """(work id, author, text as written) → a corpus indexed as the audit indexes it."""
    docs = [Document(wid, wid, author, f"{i:064d}", MEDIUM.searchable(text)) for i, (wid, author, text) in enumerate(works)]
    index = build_index(tmp_path / "index", docs)
    return Corpus(index, [(wid, text) for wid, _, text in works], {}, [], None, "each work against the others")


def audit_one(corpus: Corpus, text: str) -> dict:
    (record,) = _measure(corpus, [AuditText("t1", "answer", "texts", text)], AuditOptions(min_copy=50))
    return record


def assert_points_at_the_source(corpus: Corpus, record: dict) -> None:
    """Each span, folded, is the same string as the work from its work_start, folded."""
    works = dict(corpus.works)
    for s in record["spans"]:
        quoted = fold(record["text"][s["start"] : s["end"]])[0]
        source = fold(works[s["work_id"]][s["work_start"] :])[0]
        assert source.startswith(quoted), (quoted[:40], source[:40])
        assert not record["text"][s["start"]].isspace() or s["start"] == 0


def test_fold_collapses_whitespace_and_maps_back():
    text = "  Un\tvers,\n\n    puis l’autre\u00a0:\r\n« fin »"
    folded, origin = fold(text)
    assert folded == " Un vers, puis l'autre : \" fin \""
    assert len(origin) == len(folded) + 1 and origin[-1] == len(text)
    for i, ch in enumerate(folded):
        assert fold(text[origin[i]])[0] == ch


@pytest.mark.parametrize("seed", range(4))
def test_folded_search_equals_brute_force_on_the_folded_text(tmp_path, seed):
    """Exactness kept: on folded texts the spans are exactly the brute-force ones."""
    rng = random.Random(seed)
    alphabet = ["a", "b", "é", " ", "\n", "  ", "\n\n  "]
    works = ["".join(rng.choice(alphabet) for _ in range(rng.randrange(80, 300))) for _ in range(3)]
    folded_works = [fold(w)[0] for w in works]
    index = build_index(tmp_path / "index", [Document(f"w{i}", "", None, f"{i:064d}", w) for i, w in enumerate(folded_works)])
    for _ in range(6):
        source = rng.choice(works)
        a = rng.randrange(len(source) - 40)
        # the same characters, laid out anew: every whitespace run replaced by another one
        piece = re.sub(r"\s+", lambda m: rng.choice([" ", "\n", "\n\n    ", "\t"]), source[a : a + rng.randrange(20, 80)])
        text = fold("".join(rng.choice(alphabet) for _ in range(10)) + piece + "é a\n")[0]
        (spans,) = find_spans(index, [text], 8)
        assert {(s.start, s.end) for s in spans} == brute_spans(folded_works, text, 8)


def test_indented_verse_quoted_on_one_line_and_prose_reflowed(tmp_path):
    verse = ("  Les sanglots longs\n  Des violons\n    De l'automne\n  Blessent mon coeur\n"
             "  D'une langueur\n    Monotone.\n\n  Tout suffocant\n  Et blême, quand\n    Sonne l'heure")  # fmt: skip
    prose = ("Le soir tombait sur la plaine. Les bœufs rentraient lentement, et le berger, las,\n"
             "regardait au loin la fumée des toits, sans penser à rien qu'au pain et au feu.\n")  # fmt: skip
    corpus = corpus_of(tmp_path, [("poem", "P. V.", verse), ("novel", "G. F.", prose), ("other", "X", "Rien à voir ici.")])
    one_line = "Il a écrit : " + " ".join(verse.split()) + " Voilà."
    record = audit_one(corpus, one_line)
    assert record["copied_share"] > 0.85 and {s["work_id"] for s in record["spans"]} == {"poem"}
    assert record["longest_copy"] == len(" ".join(verse.split()))
    assert_points_at_the_source(corpus, record)
    reflowed = "Extrait :\n" + "\n".join(re.sub(r"\s+", " ", prose).replace(", ", ",\n   ").split("\n")) + "\nFin."
    record = audit_one(corpus, reflowed)
    assert record["copied_share"] > 0.85 and {s["work_id"] for s in record["spans"]} == {"novel"}
    assert_points_at_the_source(corpus, record)


# --- acceptance on the real poems (../shared/corpora, never copied into the repository) ------------


def _poem(path, title: str) -> str:
    """The poem titled ``title`` in a collection: its lines as written, up to the next title."""
    text = path.read_text("utf-8")
    start = re.search(rf"^\s*{re.escape(title)}\s*$", text, re.M).end()
    rest = text[start:].lstrip("\n")
    end = re.search(r"\n\n\n", rest)
    return rest[: end.start()] if end else rest


@pytest.fixture(scope="module")
def poems(tmp_path_factory):
    baudelaire = SHARED / "french" / "poetry" / "baudelaire" / "les_fleurs_du_mal.txt"
    verlaine = SHARED / "french" / "poetry" / "verlaine" / "fetes_galantes.txt"
    rimbaud = SHARED / "french" / "poetry" / "rimbaud" / "poesies_i.txt"
    works = [(p.stem, p.parent.name, p.read_text("utf-8")) for p in (baudelaire, verlaine, rimbaud)]
    corpus = corpus_of(tmp_path_factory.mktemp("poems"), works)
    return corpus, _poem(baudelaire, "L'ALBATROS"), _poem(verlaine, "CLAIR DE LUNE")


def _layouts(poem: str) -> dict[str, str]:
    stanzas = [[line.strip() for line in s.split("\n") if line.strip()] for s in re.split(r"\n\s*\n", poem)]
    return {
        "as written": poem,
        "one line": " ".join(poem.split()),
        "no indentation": "\n\n".join("\n".join(s) for s in stanzas),
        "stanzas reflowed": "\n".join(" ".join(s) for s in stanzas),  # each stanza one line, no blank line
        "no stanza breaks": "\n".join(line for s in stanzas for line in s),
    }


@needs_shared
@pytest.mark.parametrize("layout", ["as written", "one line", "no indentation", "stanzas reflowed", "no stanza breaks"])
def test_a_chatbot_quoting_l_albatros_or_clair_de_lune_is_reported_copied(poems, layout):
    corpus, albatros, clair = poems
    for source, poem, intro in (("les_fleurs_du_mal", albatros, "Voici L'Albatros de Baudelaire :\n\n"),
                                ("fetes_galantes", clair, "Voici Clair de lune, de Verlaine :\n\n")):  # fmt: skip
        quoted = _layouts(poem)[layout].replace("’", "'")  # a chatbot types straight apostrophes
        record = audit_one(corpus, intro + quoted + "\n\nUn beau poème.")
        assert record["copied_share"] >= 0.9, (source, layout, record["copied_share"], record["longest_copy"])
        assert record["longest_copy"] >= 0.9 * len(quoted), (source, layout, record["longest_copy"])  # found whole
        assert {s["work_id"] for s in record["spans"]} == {source}
        assert_points_at_the_source(corpus, record)
