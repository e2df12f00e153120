"""The studio folder, in one place: where it lives and what each of its folders holds.

Where: ``--studio PATH``, else ``$OUVROIR_STUDIO``, else ``./studio``. What: every
path inside a studio is spelled here and nowhere else, so that the folder stays a
format other tools can read (the README documents it).

>>> layout = StudioLayout(Path("studio"))
>>> layout.model("m1a2b3c4d5").as_posix()
'studio/models/m1a2b3c4d5'
>>> layout.job_events("j0a1b2c3d4").as_posix()
'studio/jobs/j0a1b2c3d4.events.jsonl'
>>> bool(TEMPORARY.fullmatch(".upload.x8f2.tmp")), bool(TEMPORARY.fullmatch("upload.tmp"))
(True, False)
"""

from __future__ import annotations

import os
import re
import secrets
import tempfile
from dataclasses import dataclass
from pathlib import Path

STUDIO_ENV = "OUVROIR_STUDIO"
DB_NAME = "ouvroir.sqlite"
README_NAME = "README.txt"
MODEL_WEIGHTS = "model.safetensors"
ADAPTER_WEIGHTS = "adapter_model.safetensors"  # peft's format
MODEL_PLOT = "loss.png"
SNAPSHOT_MANIFEST = "manifest.json"
# What an interrupted write leaves (``.NAME.RANDOM.tmp``): atomic writes, index builds, uploads being received.
TEMPORARY = re.compile(r"\..+\.tmp")


def studio_path(explicit: str | os.PathLike | None = None) -> Path:
    if explicit:
        return Path(explicit).expanduser()
    env = os.environ.get(STUDIO_ENV)
    if env:
        return Path(env).expanduser()
    return Path("studio")


def holds_studio(folder: Path) -> bool:
    """Whether ``folder`` is a studio (it has the database): a path's enclosing studio is found by it."""
    return StudioLayout(Path(folder)).database.is_file()


@dataclass(frozen=True)
class StudioLayout:
    root: Path

    @property
    def database(self) -> Path:
        return self.root / DB_NAME

    @property
    def readme(self) -> Path:
        """What the folder is, for a person who opens it without ouvroir."""
        return self.root / README_NAME

    @property
    def blobs(self) -> Path:
        """Originals, content-addressed by sha256, never modified."""
        return self.root / "blobs"

    @property
    def keys(self) -> Path:
        return self.root / "keys"

    @property
    def snapshots(self) -> Path:
        return self.root / "snapshots"

    def snapshot(self, snapshot_id: str) -> Path:
        """A frozen corpus: manifest.json, tokenizer.json, train.bin, val.bin, tokens.json."""
        return self.snapshots / snapshot_id

    def snapshot_manifest(self, snapshot_id: str) -> Path:
        return self.snapshot(snapshot_id) / SNAPSHOT_MANIFEST

    @property
    def models(self) -> Path:
        return self.root / "models"

    def model(self, model_id: str) -> Path:
        """model.safetensors, config.json, tokenizer.json, metrics.jsonl, loss.png, train_state.pt."""
        return self.models / model_id

    def model_weights(self, model_id: str) -> Path:
        """model.safetensors; a LoRA fine-tune's own weights are its adapter (its base lives outside the studio)."""
        adapter = self.model(model_id) / ADAPTER_WEIGHTS
        return adapter if adapter.exists() else self.model(model_id) / MODEL_WEIGHTS

    def model_plot(self, model_id: str) -> Path:
        """The training's loss curves, drawn when the run ends."""
        return self.model(model_id) / MODEL_PLOT

    @property
    def samples(self) -> Path:
        return self.root / "samples"

    def sample(self, name: str) -> Path:
        """A generated file (``g<id><suffix>``) or its signed sidecar."""
        return self.samples / name

    @property
    def reports(self) -> Path:
        return self.root / "reports"

    def report(self, audit_id: str) -> Path:
        return self.reports / audit_id

    @property
    def indexes(self) -> Path:
        """The audit's copy indexes, one folder per indexed corpus."""
        return self.root / "indexes"

    def index(self, key: str) -> Path:
        return self.indexes / key

    @property
    def jobs(self) -> Path:
        """The web studio's background jobs: a spec and an event log each."""
        return self.root / "jobs"

    def job_spec(self, job_id: str) -> Path:
        return self.jobs / f"{job_id}.json"

    def job_events(self, job_id: str) -> Path:
        return self.jobs / f"{job_id}.events.jsonl"

    def job_log(self, job_id: str) -> Path:
        return self.jobs / f"{job_id}.log"

    @property
    def job_inputs(self) -> Path:
        """Texts pasted into the web studio for an audit."""
        return self.jobs / "inputs"

    def job_input(self, name: str) -> Path:
        """A new place for one pasted text, in a folder of its own so that its name is the person's."""
        return self.job_inputs / secrets.token_hex(5) / f"{name}.txt"

    def scratch(self, what: str) -> Path:
        """A new hidden folder inside the studio (``.what.RANDOM.tmp``), on the same disk as the blobs.

        Its name matches ``TEMPORARY``: ``ouvroir check --repair`` removes it if a killed process leaves it.
        """
        return Path(tempfile.mkdtemp(prefix=f".{what}.", suffix=".tmp", dir=self.root))
