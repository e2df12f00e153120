"""The copy index: suffix arrays over a corpus, on disk and memory-mapped, built once and reused.

An index is a folder named by the content it indexes (the hashes of its works,
in order), so the index of a snapshot is built once, and a later audit of any
model trained on the same snapshot opens it in milliseconds::

    index.json          format, works (id, title, author, sha256, shard, byte offset), shards
    shard-000.corpus    the works' UTF-8 bytes, each followed by 0xFF (never in UTF-8)
    shard-000.sa        its suffix array (int32 below 2 GiB), from libdivsufsort

Shards hold whole works, so a large corpus is split by work from the start:
shards are built in parallel threads (pydivsufsort releases the GIL), searched
one after the other, and could live on different machines. The folder is
written under a temporary name and renamed into place when complete, so a
killed build leaves no index that looks whole.
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
import shutil
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from ..errors import AuditError
from ..fileio import fsync_dir
from ..i18n.stages import Stage
from .search import SEP, Shard

FORMAT = "ouvroir-copy-index/1"
SHARD_BYTES = 64 << 20  # ~50 MB shards: two build at once on two cores within the memory target


@dataclass(frozen=True)
class Document:
    """A work as the index sees it: its identity and its normalized text."""

    work_id: str
    title: str
    author: str | None
    text_sha256: str
    text: str


@dataclass(frozen=True)
class IndexedWork:
    work_id: str
    title: str
    author: str | None
    text_sha256: str
    shard: int
    start: int  # byte offset in its shard's corpus
    nbytes: int
    chars: int


def index_key(hashes: Sequence[str]) -> str:
    """The folder name of the index of works with these text hashes, in this order."""
    return "i" + hashlib.sha256("\n".join(hashes).encode()).hexdigest()[:15]


class CorpusIndex:
    """An opened index: its works and memory-mapped shards."""

    def __init__(self, path: Path, works: list[IndexedWork], shards: list[Shard]):
        self.path = path
        self.works = works
        self.shards = shards

    @property
    def id(self) -> str:
        return self.path.name

    @property
    def nbytes(self) -> int:
        return sum(w.nbytes for w in self.works)

    @classmethod
    def open(cls, path: Path) -> CorpusIndex:
        try:
            meta = json.loads((path / "index.json").read_text("utf-8"))
        except (OSError, ValueError) as exc:
            raise AuditError(f"{path}: not a readable copy index ({exc})") from exc
        if meta.get("format") != FORMAT:
            raise AuditError(f"{path}: unknown index format {meta.get('format')!r}")
        works = [IndexedWork(**w) for w in meta["works"]]
        shards = []
        for number, info in enumerate(meta["shards"]):
            corpus = np.memmap(path / f"shard-{number:03d}.corpus", dtype=np.uint8, mode="r")
            sa = np.memmap(path / f"shard-{number:03d}.sa", dtype=np.dtype(info["sa_dtype"]), mode="r")
            if len(sa) != len(corpus) or len(corpus) != info["nbytes"]:
                raise AuditError(f"{path}: shard {number} is truncated")
            members = [i for i, w in enumerate(works) if w.shard == number]
            shards.append(Shard(corpus, sa, np.array([works[i].start for i in members], dtype=np.int64),
                                np.array(members, dtype=np.int64)))  # fmt: skip
        return cls(path, works, shards)

    def work_text_offset(self, work: int, shard_position: int) -> int:
        """Character offset within its work of a byte position in the work's shard."""
        info = self.works[work]
        corpus = self.shards[info.shard].corpus
        return len(bytes(corpus[info.start : shard_position]).decode("utf-8", errors="ignore"))


def _write_array(path: Path, array: np.ndarray) -> None:
    with open(path, "wb") as fh:
        array.tofile(fh)
        fh.flush()
        os.fsync(fh.fileno())


def _build_shard(folder: Path, number: int, corpus: bytearray) -> dict:
    from pydivsufsort import divsufsort

    array = np.frombuffer(corpus, dtype=np.uint8)  # writable: pydivsufsort refuses read-only buffers
    if not array.flags.writeable:  # the bytes as Ray hands them to a remote sort: zero-copy, read-only
        array = array.copy()
    _write_array(folder / f"shard-{number:03d}.corpus", array)
    sa = divsufsort(array)
    _write_array(folder / f"shard-{number:03d}.sa", sa)
    return {"nbytes": len(corpus), "sa_dtype": str(sa.dtype)}


def build_index(
    path: Path,
    documents: Iterable[Document],
    shard_bytes: int | None = None,
    threads: int | None = None,
    progress: Callable[[str], None] | None = None,
    submit: Callable | None = None,
) -> CorpusIndex:
    """Index ``documents`` into the folder ``path``; an index already there is opened instead.

    Documents are read one at a time (pass a generator to keep a large corpus out of
    memory) and shards are sorted in worker threads while the next ones fill. ``submit``
    (``Executor.submit``'s shape, a Dask client's) sorts them elsewhere instead: on a
    cluster's machines, which must see ``path``'s folder.
    """
    if (path / "index.json").exists():
        return CorpusIndex.open(path)
    shard_bytes = shard_bytes or SHARD_BYTES  # read at call time: tests cut small studios into shards
    tmp = path.parent / f".{path.name}.{secrets.token_hex(4)}.tmp"
    tmp.mkdir(parents=True)
    try:
        works: list[IndexedWork] = []
        with ThreadPoolExecutor(max_workers=threads or os.cpu_count() or 1) as pool:
            run = submit or pool.submit
            futures = []
            corpus = bytearray()
            for doc in documents:
                data = doc.text.encode("utf-8")
                if corpus and len(corpus) + len(data) > shard_bytes:
                    futures.append(run(_build_shard, tmp, len(futures), corpus))
                    corpus = bytearray()
                works.append(IndexedWork(doc.work_id, doc.title, doc.author, doc.text_sha256, len(futures),
                                         len(corpus), len(data), len(doc.text)))  # fmt: skip
                corpus += data
                corpus.append(SEP)
                del data
            if not works:
                raise AuditError("no works to index")
            futures.append(run(_build_shard, tmp, len(futures), corpus))
            del corpus
            if progress:
                mb = round(sum(w.nbytes for w in works) / 1e6, 1)
                progress(Stage("audit_indexing", f"indexing {len(works)} works ({mb:.1f} MB) in {len(futures)} shard(s)",
                               works=len(works), mb=mb, shards=len(futures)))  # fmt: skip
            shards = [f.result() for f in futures]
        meta = {"format": FORMAT, "works": [asdict(w) for w in works], "shards": shards}
        with open(tmp / "index.json", "w", encoding="utf-8") as fh:
            json.dump(meta, fh, ensure_ascii=False)
            fh.flush()
            os.fsync(fh.fileno())
        fsync_dir(tmp)
        try:
            os.rename(tmp, path)
        except OSError:
            if not (path / "index.json").exists():  # another process finished the same index first: use it
                raise
            shutil.rmtree(tmp, ignore_errors=True)
        fsync_dir(path.parent)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return CorpusIndex.open(path)
