"""Where the copy index's shards are searched: this process, a pool of this machine's processes, Dask or Ray.

``copy_spans`` is the one entry: it sends ``sharding.search_shard`` to every
shard and merges the answers into exactly the spans a search of the whole
index in one process finds. A one-shard index is searched here; a larger one
by a process pool of all cores by default, each worker opening the index
folder once and memory-mapping it (the tasks carry the folder's path and the
texts, never the index). ``--cluster`` sends the same function to a Dask
cluster or to Ray actors, each holding a group of shards open between audits;
their machines must see the studio's index folder at the same path (a shared
file system), as an HPC cluster's nodes do.

A worker that dies mid-search (killed, out of memory) loses only its shards:
they are searched again by a fresh worker, twice at most, and if that fails
too the search raises ``AuditError`` naming the shards, so no report is ever
written from part of the index.
"""

from __future__ import annotations

import atexit
import multiprocessing
import os
import signal
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool

from ..errors import AuditError
from .copying import Span
from .index import CorpusIndex
from .sharding import ShardRef, merge_spans, opened, search_shard, shard_refs

TRIES = 3  # a shard whose worker died is searched again, twice at most
EXTRAS = {"dask": ("distributed", "Dask"), "ray": ("ray", "Ray")}

# Tests only (no option or variable reaches it): (shard number, marker file or None) makes the worker
# searching that shard kill itself, once when the marker file is there to remove, every time without one.
_KILL_ON_SHARD: tuple[int, str | None] | None = None


def _pool_task(fn, ref: ShardRef, args: tuple, kill):
    if kill and kill[0] == ref.number and _claim(kill[1]):
        os.kill(os.getpid(), signal.SIGKILL)
    return fn(ref, *args)


def _call(fn, ref: ShardRef, args: tuple):
    return fn(ref, *args)


def _claim(marker: str | None) -> bool:
    if marker is None:
        return True
    try:
        os.unlink(marker)  # one worker wins; the retry finds no marker
        return True
    except FileNotFoundError:
        return False


def _lost(refs: Sequence[ShardRef], how: str) -> AuditError:
    numbers = ", ".join(str(r.number) for r in refs)
    return AuditError(f"the copy search lost its worker {how} on shard(s) {numbers} of {refs[0].path}; "
                      "no partial result was kept and no report written (run again, or with --workers 1)")  # fmt: skip


class InProcess:
    """Every shard in this process, one after the other."""

    def map(self, fn, refs, *args) -> list:
        return [fn(ref, *args) for ref in refs]

    def close(self) -> None:
        pass


class Pool:
    """A pool of this machine's processes (forkserver: safe beside the studio's threads)."""

    def __init__(self, workers: int):
        self.workers = workers
        self._pool: ProcessPoolExecutor | None = None

    def _executor(self) -> ProcessPoolExecutor:
        if self._pool is None:
            context = multiprocessing.get_context("forkserver")
            self._pool = ProcessPoolExecutor(self.workers, mp_context=context)
        return self._pool

    def map(self, fn, refs, *args) -> list:
        """``fn(ref, *args)`` for each shard, in order; a shard whose worker died is sent again."""
        done: dict[ShardRef, object] = {}
        for attempt in range(TRIES):
            missing = [ref for ref in refs if ref not in done]
            if not missing:
                break
            # the last try sends the shards one at a time, so the error names the shard that kills its worker
            for batch in [missing] if attempt < TRIES - 1 else [[ref] for ref in missing]:
                self._run(fn, batch, args, done)
        missing = [ref for ref in refs if ref not in done]
        if missing:
            raise _lost(missing, f"{TRIES} times")
        return [done[ref] for ref in refs]

    def _run(self, fn, refs, args, done: dict) -> None:
        futures, broken = {}, False
        for ref in refs:
            try:
                futures[self._executor().submit(_pool_task, fn, ref, args, _KILL_ON_SHARD)] = ref
            except BrokenProcessPool:  # a worker died while the batch was still being sent
                broken = True
                break
        wait(futures)
        for future, ref in futures.items():
            try:
                done[ref] = future.result()
            except BrokenProcessPool:
                broken = True
        if broken:
            self.close()  # a broken pool takes no more tasks: the next batch starts a fresh one

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = None


def _import_extra(name: str):
    module, engine = EXTRAS[name]
    try:
        return __import__(module)
    except ImportError:
        raise AuditError(f"--cluster {name}: {engine} is not installed; install it with: "
                         f"pip install 'ouvroir[{name}]'") from None  # fmt: skip


class Dask:
    """A Dask cluster (``dask://HOST:PORT``), or a LocalCluster of ``workers`` processes."""

    def __init__(self, address: str | None, workers: int):
        distributed = _import_extra("dask")
        self.cluster = None
        if address is None:
            self.cluster = distributed.LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                                                    dashboard_address=None)  # fmt: skip
            self.client = distributed.Client(self.cluster)
        else:
            try:
                self.client = distributed.Client(f"tcp://{address}", timeout="20s")
            except OSError as exc:
                raise AuditError(f"--cluster dask://{address}: no Dask scheduler answers there ({exc})") from exc

    def map(self, fn, refs, *args) -> list:
        from distributed import KilledWorker

        (shared,) = self.client.scatter([args])  # the texts once, not once per shard
        futures = [self.client.submit(_call, fn, ref, shared, pure=False) for ref in refs]
        try:
            return self.client.gather(futures)
        except KilledWorker as exc:  # the scheduler already retried the shard on other workers
            raise _lost(refs, "repeatedly") from exc

    def submit(self, fn, *args):
        return self.client.submit(fn, *args, pure=False)  # a Dask future: .result() as concurrent.futures

    def close(self) -> None:
        self.client.close()
        if self.cluster is not None:
            self.cluster.close()


class ShardGroup:
    """A Ray actor's state: a group of shards kept open (its maps warm) from one audit to the next."""

    def __init__(self, refs: list[ShardRef]):
        self.refs = refs
        for path in {r.path for r in refs}:
            opened(path)

    def run(self, fn, args: tuple) -> list:
        return [fn(ref, *args) for ref in self.refs]


class Ray:
    """Ray (``ray://HOST:PORT``, or a local Ray of ``workers`` CPUs): an actor per group of shards."""

    def __init__(self, address: str | None, workers: int):
        self.ray = _import_extra("ray")
        if not self.ray.is_initialized():
            if address is None:
                self.ray.init(num_cpus=workers, include_dashboard=False, log_to_driver=False)
            else:
                self.ray.init(address=f"ray://{address}", log_to_driver=False)
        self.actor = self.ray.remote(num_cpus=1, max_restarts=1, max_task_retries=1)(ShardGroup)
        self.groups: dict[tuple[ShardRef, ...], object] = {}

    def map(self, fn, refs, *args) -> list:
        cpus = max(1, int(self.ray.cluster_resources().get("CPU", 1)))
        count = min(len(refs), cpus)
        groups = [tuple(refs[i::count]) for i in range(count)]
        for group in groups:
            if group not in self.groups:
                self.groups[group] = self.actor.remote(list(group))
        shared = self.ray.put(args)
        try:
            answers = self.ray.get([self.groups[g].run.remote(fn, shared) for g in groups])
        except self.ray.exceptions.RayError as exc:  # an actor that died twice, or a search that failed
            for g in groups:
                self.groups.pop(g, None)
            if isinstance(exc, self.ray.exceptions.RayTaskError) and isinstance(exc.cause, AuditError):
                raise exc.cause from None
            raise _lost(refs, "twice") from exc
        by_ref = {ref: result for group, answer in zip(groups, answers) for ref, result in zip(group, answer)}
        return [by_ref[ref] for ref in refs]

    def submit(self, fn, *args):
        """For an index build: the actors are let go first, as each holds a CPU the sort needs."""
        for actor in self.groups.values():
            self.ray.kill(actor)
        self.groups.clear()
        return self.ray.remote(num_cpus=1)(fn).remote(*args).future()

    def close(self) -> None:
        self.groups.clear()


_ENGINES: dict[tuple, object] = {}


def engine(workers: int | None = None, cluster: str | None = None):
    """The engine for ``--workers``/``--cluster``, started once per process and kept for later searches."""
    kind, address = parse_cluster(cluster)
    if workers is None:  # a cluster already started for this address serves, whatever its size
        started = [running for (k, a, _), running in _ENGINES.items() if (k, a) == (kind, address)]
        if started:
            return started[0]
    workers = workers or os.cpu_count() or 1
    key = (kind, address, workers)
    if key not in _ENGINES:
        _ENGINES[key] = {"pool": Pool, "dask": Dask, "ray": Ray}[kind](*([workers] if kind == "pool" else [address, workers]))
    return _ENGINES[key]


def parse_cluster(cluster: str | None) -> tuple[str, str | None]:
    """``None`` → this machine's pool; ``dask``/``ray`` → a local cluster; ``dask://A``/``ray://A`` → the one at A."""
    if not cluster:
        return "pool", None
    kind, sep, address = cluster.partition("://")
    if kind not in EXTRAS or (sep and not address):
        raise AuditError(f"--cluster {cluster}: expected dask://HOST:PORT, ray://HOST:PORT, dask or ray")
    return kind, address or None


def shard_sorter(cluster: str | None):
    """How an index build sorts its shards: threads here (``None``: the sort frees the GIL and the
    threads share the bytes, which a process pool would copy), or on the cluster's machines."""
    return None if cluster is None else engine(None, cluster).submit


def check_cluster(cluster: str | None) -> None:
    """Refuse a malformed ``--cluster``, or one whose extra is not installed, before any work starts."""
    kind, _ = parse_cluster(cluster)
    if kind in EXTRAS:
        _import_extra(kind)


@atexit.register
def _close_all() -> None:
    for running in _ENGINES.values():
        try:
            running.close()
        except Exception:  # noqa: BLE001 — leaving anyway
            pass
    _ENGINES.clear()


def copy_spans(index: CorpusIndex, texts: Sequence[str], min_copy: int = 50, exclude: Sequence[int] | None = None,
               workers: int | None = None, cluster: str | None = None) -> list[list[Span]]:  # fmt: skip
    """``copying.find_spans``, shard by shard on the engine asked for; the same spans in the same order."""
    if min_copy < 2:
        raise ValueError("min_len must be at least 2")
    exclude = None if exclude is None else list(exclude)
    found = shard_map(index, workers, cluster)(search_shard, list(texts), min_copy, exclude)
    return merge_spans(texts, found, index, exclude)


def shard_map(index: CorpusIndex, workers: int | None = None, cluster: str | None = None):
    """``run(fn, *args)`` → ``[fn(shard_ref, *args) for each shard]``, in order, on the engine asked for."""
    refs = shard_refs(index)
    if cluster is None and (len(refs) == 1 or workers == 1):
        opened(str(index.path), index)  # already open here
        runner = InProcess()
    else:
        runner = engine(min(workers or os.cpu_count() or 1, len(refs)) if cluster is None else workers, cluster)
    return lambda fn, *args: runner.map(fn, refs, *args)
