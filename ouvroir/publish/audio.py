"""The audio format: the text read aloud by a local voice engine, as one WAV.

Debian's ``espeak-ng`` reads French and English by default (``apt install espeak-ng``). A person may
name another engine installed on their machine with ``--voice-command`` or the environment variable
``OUVROIR_VOICE_COMMAND``: a command line where ``{lang}`` becomes ``fr`` or ``en`` and ``{out}`` the
WAV file to write, reading the text on its standard input, e.g. ``"espeak-ng -v {lang}+f3 -s 150 -w {out}"``.

Long texts are read in chunks cut at paragraph breaks, each call bounded in time, and the chunks'
samples are joined into one WAV (they must share one format, which one engine gives).
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import tempfile
import wave
from pathlib import Path

from ..errors import PublishError
from .item import Item, label_sentence, paragraphs

ENV_COMMAND = "OUVROIR_VOICE_COMMAND"
DEFAULT_COMMAND = "espeak-ng -v {lang} -w {out}"
DEFAULT_PACKAGE = "espeak-ng"
CHUNK_CHARS = 8_000  # espeak-ng reads about 15,000 characters a second here: each call stays short
SECONDS_PER_CALL = 60.0  # a call's time limit: this, plus a millisecond per character
CHANNEL_KEYS = ("nchannels", "sampwidth", "framerate")


class EngineMissing(PublishError):
    """The voice engine's program is not installed: the audio is skipped, the other formats are made."""


def command_line(command: str | None = None) -> str:
    return command or os.environ.get(ENV_COMMAND) or DEFAULT_COMMAND


def check_engine(command: str | None = None) -> None:
    """Raise :class:`EngineMissing` (naming the package to install) when the engine's program is absent."""
    line = command_line(command)
    try:
        words = shlex.split(line)
    except ValueError as exc:
        raise PublishError(f"--voice-command {line!r} cannot be read as a command line ({exc})") from exc
    if not words or "{out}" not in line:
        raise PublishError(f"--voice-command {line!r} must name a program and {{out}}, the WAV file it writes")
    if shutil.which(words[0]) is None:
        if line == DEFAULT_COMMAND:
            raise EngineMissing(f"audio not made: the voice engine espeak-ng is not installed (apt install "
                                f"{DEFAULT_PACKAGE}, or name another with --voice-command or {ENV_COMMAND})")  # fmt: skip
        raise EngineMissing(f"audio not made: the voice engine {words[0]!r} of --voice-command is not found")


def spoken_text(item: Item) -> str:
    """What is read: the title, the text's paragraphs, and the label saying how it was made."""
    body = "\n\n".join("\n".join(lines) for lines in paragraphs(item.text))
    return f"{item.title}.\n\n{body}\n\n{label_sentence(item)}\n"


def chunks(text: str, size: int | None = None) -> list[str]:
    """``text`` cut at paragraph breaks (or, for a paragraph longer than ``size``, at line breaks or spaces)."""
    size = size or CHUNK_CHARS
    pieces, current = [], ""
    for block in text.split("\n\n"):
        while len(block) > size:
            cut = max(block.rfind("\n", 0, size), block.rfind(" ", 0, size))
            cut = cut if cut > 0 else size
            pieces.append(block[:cut])
            block = block[cut:].lstrip()
        if current and len(current) + len(block) + 2 > size:
            pieces.append(current)
            current = ""
        current = f"{current}\n\n{block}" if current else block
    if current.strip():
        pieces.append(current)
    return [p for p in pieces if p.strip()]


def _read_one(line: str, lang: str, text: str, out: Path) -> None:
    argv = [word.replace("{lang}", lang).replace("{out}", str(out)) for word in shlex.split(line)]
    limit = SECONDS_PER_CALL + len(text) / 1000
    try:
        done = subprocess.run(argv, input=text.encode("utf-8"), capture_output=True, timeout=limit, check=False)
    except subprocess.TimeoutExpired as exc:
        raise PublishError(f"the voice engine {argv[0]} took more than {limit:.0f} s for {len(text)} characters") from exc
    except OSError as exc:
        raise PublishError(f"the voice engine {argv[0]} could not run ({exc.strerror or exc})") from exc
    if done.returncode != 0 or not out.is_file() or out.stat().st_size == 0:
        said = done.stderr.decode("utf-8", "replace").strip().splitlines()
        raise PublishError(f"the voice engine {argv[0]} failed (exit {done.returncode}"
                           f"{': ' + said[-1] if said else ''}) and wrote no WAV")  # fmt: skip


def speak(item: Item, command: str | None = None) -> bytes:
    """The item read aloud in its language, as WAV bytes."""
    check_engine(command)
    line = command_line(command)
    with tempfile.TemporaryDirectory(prefix="ouvroir-voice-") as scratch:
        parts = []
        for i, text in enumerate(chunks(spoken_text(item))):
            part = Path(scratch) / f"part-{i:04d}.wav"
            _read_one(line, item.lang, text, part)
            parts.append(part)
        return _join(parts)


def _join(parts: list[Path]) -> bytes:
    import io

    out = io.BytesIO()
    params = None
    with wave.open(out, "wb") as joined:
        for part in parts:
            try:
                with wave.open(str(part), "rb") as reader:
                    mine = {k: getattr(reader, "get" + k)() for k in CHANNEL_KEYS}
                    if params is None:
                        params = mine
                        joined.setnchannels(mine["nchannels"])
                        joined.setsampwidth(mine["sampwidth"])
                        joined.setframerate(mine["framerate"])
                    elif mine != params:
                        raise PublishError(f"the voice engine wrote chunks in different formats ({params} then {mine})")
                    joined.writeframes(reader.readframes(reader.getnframes()))
            except (wave.Error, EOFError) as exc:
                raise PublishError(f"the voice engine wrote something that is not a PCM WAV ({exc})") from exc
    return out.getvalue()
