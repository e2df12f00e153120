"""Is a LoRA model's base still the one it was fine-tuned on? A cheap answer first, the hashes when in doubt.

Public API::

    file_states(files) -> {name: {"size", "mtime_ns", "ctime_ns", "inode"}}   # recorded at fine-tuning
    base_change(base) -> str | None     # what changed in the base folder, in words; None when it is as recorded

A LoRA adapter is a difference from its base: on another base it generates something else, with
nobody told. So the base is checked every time the adapter is used. Hashing every time would cost
what reading the weights costs (sha256 here: 0.064 s per 100 MB, so about 1 s for a 0.6 B-parameter
base and 10 s or more for a 7 B one, cold disks slower), and the web editor asks a cached model for
suggestions many times a minute. So each weight file's size, modification and change times and inode,
recorded at fine-tuning, are compared first (a stat, microseconds); only a file whose record differs
is hashed again, and a file found whole after all (touched, copied back) is remembered as such for
the rest of the process. Any write changes the change time (``ctime``), which no tool sets back.
A model recorded before the times were (no ``weights_state``) is hashed every time.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from ouvroir.fileio import sha256_file

WEIGHT_SUFFIX = ".safetensors"
_WHOLE: dict[tuple, str] = {}  # (path, size, mtime_ns, ctime_ns, inode) -> sha256 found by a re-hash


def _state(stat: os.stat_result) -> dict:
    return {"size": stat.st_size, "mtime_ns": stat.st_mtime_ns, "ctime_ns": stat.st_ctime_ns, "inode": stat.st_ino}


def file_states(files: list[Path]) -> dict[str, dict]:
    """Each weight file's size, times and inode, by name: what the cheap check compares."""
    return {f.name: _state(f.stat()) for f in files}


def _sha256(path: Path, stat: os.stat_result) -> str:
    key = (str(path), *_state(stat).values())
    if key not in _WHOLE:
        _WHOLE[key] = sha256_file(path)
    return _WHOLE[key]


SINGLE_FILE = "model.safetensors"  # transformers' one-file name in a base's folder, which is not the studio's


def _loadable(path: Path) -> set[str]:
    """The weight files transformers could load from the folder: its index's shards, else every safetensors file."""
    index = path / "model.safetensors.index.json"
    try:
        names = set(json.loads(index.read_text("utf-8"))["weight_map"].values()) if index.is_file() else None
    except (OSError, ValueError, KeyError, AttributeError):
        names = None  # an unreadable index: the files themselves say what is there
    if names is None:
        return {f.name for f in path.glob(f"*{WEIGHT_SUFFIX}")}
    return names | ({SINGLE_FILE} if (path / SINGLE_FILE).is_file() else set())


def base_change(base: dict) -> str | None:
    """What differs in the base folder from what fine-tuning recorded (``base`` as in a model's config).

    One clause naming the folder and what changed, or None. The config is always hashed (it is small);
    each weight file is hashed only when its size, times or inode differ from the record.
    """
    path = Path(base["path"])
    if not path.is_dir():
        return f"the base model folder {path} is missing"
    config = path / "config.json"
    if not config.is_file():
        return f"the base model folder {path} has lost its config.json"
    if sha256_file(config) != base["config_sha256"]:
        return f"the config.json of the base model folder {path} has changed"
    recorded, states = base["weights_sha256"], base.get("weights_state") or {}
    for name, sha in sorted(recorded.items()):
        file = path / name
        try:
            stat = file.stat()
        except FileNotFoundError:
            return f"{name} is missing from the base model folder {path}"
        before = states.get(name)
        if before and before["size"] != stat.st_size:
            return f"{name} in the base model folder {path} has changed ({before['size']:,} bytes then, {stat.st_size:,} now)"
        if before == _state(stat):
            continue  # as recorded: the cheap check says whole
        if _sha256(file, stat) != sha:
            return f"{name} in the base model folder {path} has changed (its sha256 differs from the one recorded at fine-tuning)"
    if extra := sorted(_loadable(path) - set(recorded)):
        return f"the base model folder {path} has weights it did not have at fine-tuning ({', '.join(extra)})"
    return None
