"""The copy search shard by shard (this process, a process pool, Dask, Ray) finds what one process finds.

Each engine's spans are compared, whole and in order, with ``copying.find_spans``
(one process, every shard at each step) on the patchwork texts of
tests/test_copying.py, on an index cut into many shards so that a span's
source, its occurrences and the spans it hides come from different shards.
"""

from __future__ import annotations

import importlib.util
import json
import random
import sys
from pathlib import Path

import pytest

from ouvroir.audit import engines
from ouvroir.audit.copying import find_spans
from ouvroir.audit.index import build_index
from ouvroir.errors import AuditError
from tests.conftest import SHARED, needs_shared
from tests.test_copying import ALPHABET, doc, invented

FRESH = ["nouveau", "mot", "inédit", "pour", "coudre", "les", "morceaux", "ensemble", "sans", "rien", "emprunter"]


def patchwork(works: list[str], rng: random.Random, count: int) -> list[str]:
    """New text with passages of the works stitched in, as test_copying's patchwork acceptance builds it."""
    texts = []
    for _ in range(count):
        pieces = []
        for _ in range(rng.randrange(1, 4)):
            pieces.append(" ".join(rng.choice(FRESH) for _ in range(rng.randrange(3, 12))) + " | ")
            w = rng.randrange(len(works))
            a = rng.randrange(len(works[w]) - 300)
            pieces.append(works[w][a : a + rng.randrange(50, 250)] + " | ")
        texts.append("".join(pieces))
    return texts


@pytest.fixture(scope="module")
def patchwork_case(tmp_path_factory):
    """Eight works (two sharing long passages with others), one or two per shard, and 30 patchwork texts."""
    rng = random.Random(7)
    works = [invented(rng, 700) for _ in range(6)]
    works += [works[0][500:3500] + invented(rng, 100), works[3][:2000] + works[1][1000:2000]]
    index = build_index(tmp_path_factory.mktemp("sharded") / "index",
                        [doc(i, w, f"Author {i % 2}") for i, w in enumerate(works)], shard_bytes=6000)  # fmt: skip
    assert len(index.shards) >= 5
    texts = patchwork(works, rng, 30) + [works[6][:400], works[7][1500:2300]]
    exclude = [rng.randrange(len(works)) for _ in texts]
    return index, texts, exclude


def same_as_one_process(index, texts, exclude, **engine) -> None:
    for min_copy in (20, 50):
        assert engines.copy_spans(index, texts, min_copy, **engine) == find_spans(index, texts, min_copy)
    assert engines.copy_spans(index, texts, 50, exclude, **engine) == find_spans(index, texts, 50, exclude)


def test_each_shard_alone_then_merged_equals_the_whole_index_on_a_tiny_alphabet(tmp_path):
    """Many short shared spans of every length, many shards: the merge rule holds exactly (in process)."""
    rng = random.Random(2)
    repeated = 0
    for trial in range(4):
        works = ["".join(rng.choice(ALPHABET) for _ in range(rng.randrange(30, 200))) for _ in range(9)]
        index = build_index(tmp_path / f"i{trial}", [doc(i, w) for i, w in enumerate(works)], shard_bytes=250)
        texts = ["".join(rng.choice(ALPHABET) for _ in range(120)) for _ in range(8)]
        exclude = [rng.randrange(-1, len(works)) for _ in texts]
        for min_copy in (2, 4, 7):
            ours = engines.copy_spans(index, texts, min_copy, workers=1)
            assert ours == find_spans(index, texts, min_copy), (trial, min_copy)
            assert engines.copy_spans(index, texts, min_copy, exclude, workers=1) == find_spans(index, texts, min_copy, exclude)
            repeated += sum(s.occurrences > 1 for found in ours for s in found)
    assert repeated > 100  # occurrences summed over shards were compared too


def test_process_pool_finds_the_same_spans_in_the_same_order(patchwork_case):
    index, texts, exclude = patchwork_case
    same_as_one_process(index, texts, exclude, workers=2)
    assert isinstance(engines.engine(2), engines.Pool)


@needs_shared
def test_process_pool_on_french_poetry(tmp_path):
    files = sorted((SHARED / "french" / "poetry").glob("*/*.txt"))[:40]
    works = [f.read_text("utf-8") for f in files]
    index = build_index(tmp_path / "index", [doc(i, t, f.parent.name) for i, (f, t) in enumerate(zip(files, works))],
                        shard_bytes=sum(len(w.encode()) for w in works) // 6)  # fmt: skip
    rng = random.Random(3)
    texts = ["Ceci est une phrase neuve, écrite pour l'essai : " + works[w][a : a + 200] + " ; et ceci la suit."
             for w, a in ((w, rng.randrange(max(1, len(works[w]) - 200))) for w in rng.sample(range(len(works)), 20))]  # fmt: skip
    assert len(index.shards) >= 5
    assert engines.copy_spans(index, texts, 50, workers=2) == find_spans(index, texts, 50)


def test_word_runs_and_their_sources_are_the_same_on_the_pool(patchwork_case):
    """Attribution's runs at every word and the works they credit, shard by shard on two workers."""
    from ouvroir.audit.attribution import word_runs

    index, texts, exclude = patchwork_case
    for excluded in (None, exclude):
        here = word_runs(index, texts, excluded)
        pooled = word_runs(index, texts, excluded, shards=engines.shard_map(index, workers=2))
        assert [(r.run_words.tolist(), r.sources, r.rarity) for r in pooled] == \
               [(r.run_words.tolist(), r.sources, r.rarity) for r in here]  # fmt: skip
        assert sum(len(r.sources) for r in here) > 50


def test_a_worker_killed_mid_search_is_replaced_and_the_result_is_whole(patchwork_case, tmp_path, monkeypatch):
    index, texts, _ = patchwork_case
    marker = tmp_path / "kill-once"
    marker.touch()
    monkeypatch.setattr(engines, "_KILL_ON_SHARD", (3, str(marker)))
    assert engines.copy_spans(index, texts, 50, workers=2) == find_spans(index, texts, 50)
    assert not marker.exists()  # the worker searching shard 3 did die


def test_a_shard_that_kills_every_worker_is_a_clear_error_not_a_partial_result(patchwork_case, monkeypatch):
    index, texts, _ = patchwork_case
    monkeypatch.setattr(engines, "_KILL_ON_SHARD", (2, None))
    with pytest.raises(AuditError, match=r"lost its worker 3 times on shard\(s\) 2 of .*no partial result"):
        engines.copy_spans(index, texts, 50, workers=2)
    monkeypatch.setattr(engines, "_KILL_ON_SHARD", None)
    assert engines.copy_spans(index, texts, 50, workers=2) == find_spans(index, texts, 50)  # a fresh pool


@pytest.fixture(scope="module")
def dask_engine():
    pytest.importorskip("distributed", reason="the Dask extra is not installed (pip install 'ouvroir[dask]')")
    running = engines.engine(2, "dask")  # LocalCluster(n_workers=2, processes=True), started once
    yield running
    running.close()
    engines._ENGINES.pop(("dask", None, 2), None)


def test_dask_local_cluster_finds_the_same_spans(patchwork_case, dask_engine):
    index, texts, exclude = patchwork_case
    assert len(dask_engine.client.scheduler_info()["workers"]) == 2
    same_as_one_process(index, texts, exclude, workers=2, cluster="dask")


def sorted_elsewhere_same_as_here(folder, cluster: str) -> None:
    rng = random.Random(5)
    docs = [doc(i, invented(rng, 300)) for i in range(6)]
    here = build_index(folder / "here", docs, shard_bytes=4000)
    there = build_index(folder / "there", docs, shard_bytes=4000, submit=engines.shard_sorter(cluster))
    assert len(there.shards) == len(here.shards) >= 3
    for name in sorted(p.name for p in here.path.iterdir()):
        assert (there.path / name).read_bytes() == (here.path / name).read_bytes(), name


def test_an_index_sorted_on_dask_workers_is_the_one_sorted_here(tmp_path, dask_engine):
    sorted_elsewhere_same_as_here(tmp_path, "dask")


@pytest.mark.skipif(importlib.util.find_spec("ray") is None, reason="ray is not installed (pip install 'ouvroir[ray]')")
def test_ray_actors_find_the_same_spans_and_sort_an_index(patchwork_case, tmp_path):
    index, texts, exclude = patchwork_case
    try:
        same_as_one_process(index, texts, exclude, workers=2, cluster="ray")
        running = engines.engine(2, "ray")
        assert len(running.groups) == 2  # two actors, each holding its shards open for the next audit
        sorted_elsewhere_same_as_here(tmp_path, "ray")
    finally:
        engines._ENGINES.pop(("ray", None, 2), None)
        import ray

        ray.shutdown()


@pytest.mark.parametrize("kind", ["dask", "ray"])
def test_a_missing_extra_is_named_in_one_line(kind, patchwork_case, monkeypatch):
    index, texts, _ = patchwork_case
    monkeypatch.setitem(sys.modules, engines.EXTRAS[kind][0], None)  # as if not installed
    with pytest.raises(AuditError) as caught:
        engines.copy_spans(index, texts, 50, cluster=f"{kind}://scheduler.example:8786")
    assert str(caught.value) == (f"--cluster {kind}: {engines.EXTRAS[kind][1]} is not installed; "
                                 f"install it with: pip install 'ouvroir[{kind}]'")  # fmt: skip


def test_the_command_refuses_a_missing_extra_or_a_bad_address_before_any_work(run_cli, studio, tmp_path, monkeypatch):
    answer = tmp_path / "answer.txt"
    answer.write_text("Un texte à vérifier contre les œuvres du studio.", "utf-8")
    monkeypatch.setitem(sys.modules, "distributed", None)
    result = run_cli("audit", "--texts", answer, "--cluster", "dask://scheduler.example:8786")
    assert result.exit_code != 0
    assert result.stderr.strip() == "Error: --cluster dask: Dask is not installed; install it with: pip install 'ouvroir[dask]'"
    result = run_cli("audit", "--texts", answer, "--cluster", "spark://x")
    assert "expected dask://HOST:PORT, ray://HOST:PORT, dask or ray" in result.stderr
    assert not list((studio.root / "reports").glob("*"))  # nothing stored


def test_a_studio_audit_on_many_shards_is_the_same_with_one_worker_two_or_a_killed_one(
    run_cli, studio, tmp_path, monkeypatch
):
    """The command end to end: the same report figures whatever the workers, and a worker lost mid-audit."""
    from ouvroir.audit import index as index_module
    from ouvroir.corpus.ingest import AddOptions

    rng = random.Random(11)
    works = tmp_path / "works"
    works.mkdir()
    bodies = [invented(rng, 400) for _ in range(8)]
    for i, body in enumerate(bodies):
        (works / f"work-{i}.txt").write_text(body, "utf-8")
    assert studio.add([works], AddOptions(author="Ada Martin", license="CC-BY-4.0", consent="train")).ok
    monkeypatch.setattr(index_module, "SHARD_BYTES", 6000)
    answers = []
    for i, text in enumerate(patchwork(bodies, rng, 4)):
        answers.append(tmp_path / f"answer-{i}.txt")
        answers[-1].write_text(text, "utf-8")

    def copying(*options: str) -> dict:
        result = run_cli("audit", "--texts", *answers, "--lang", "en", *options)
        assert result.exit_code == 0, result.output
        report = result.output.split("Report:")[1].split()[0]
        data = json.loads((Path(report).parent / "audit.json").read_text("utf-8"))
        return {"spans": [t["spans"] for t in data["texts"]], "copying": data["copying"], "credit": data["credit"],
                "runs": [(t["reconstructibility"], t["credit"]) for t in data["texts"]]}

    one = copying("--workers", "1")
    assert len(list((studio.root / "indexes").glob("*/shard-*.sa"))) >= 4
    assert all(one["spans"]) and one["copying"]["baseline"]["texts"] >= 20 and one["credit"]
    assert copying("--workers", "2") == one
    marker = tmp_path / "kill-once"
    marker.touch()
    monkeypatch.setattr(engines, "_KILL_ON_SHARD", (1, str(marker)))
    assert copying("--workers", "2") == one
    assert not marker.exists()
