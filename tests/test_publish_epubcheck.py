"""Every kind of item published as an EPUB passes epubcheck (Debian's `epubcheck`, the W3C's checker): a
co-written document, a music sample with its score, an image sample with its picture, the owner's work."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from ouvroir.corpus.ingest import AddOptions
from tests.test_publish_image import picture  # noqa: F401  (the tiny image model's sample, a module fixture)
from tests.test_publish_music import music  # noqa: F401  (the tiny music model's sample, a module fixture)
from tests.test_publishing import made  # noqa: F401  (a co-written document, a module fixture)

EPUBCHECK = shutil.which("epubcheck")
pytestmark = pytest.mark.skipif(EPUBCHECK is None, reason="epubcheck is not installed (apt install epubcheck)")


def epubcheck(path) -> subprocess.CompletedProcess:
    """Debian installs epubcheck as an executable jar, which runs by itself only where binfmt knows jars."""
    with open(EPUBCHECK, "rb") as program:
        jar = program.read(2) == b"PK"
    command = [shutil.which("java") or "java", "-jar", EPUBCHECK] if jar else [EPUBCHECK]
    return subprocess.run([*command, "--quiet", str(path)], capture_output=True, text=True, timeout=120)


def checked(studio, ref: str, folder) -> None:
    made_ = studio.publish([ref], "epub", folder)
    (book,) = made_.files
    done = epubcheck(book)
    assert done.returncode == 0, done.stdout + done.stderr


def test_a_cowritten_document(made, tmp_path):  # noqa: F811
    studio, doc = made[0], made[1]
    checked(studio, doc.id, tmp_path / "doc")


def test_a_music_sample_with_its_score(music, tmp_path):  # noqa: F811
    studio, sample = music
    checked(studio, sample.id, tmp_path / "music")


def test_an_image_sample_with_its_picture(picture, tmp_path):  # noqa: F811
    studio, sample = picture
    checked(studio, sample.id, tmp_path / "image")


def test_the_owners_work(owner_studio, tmp_path):
    (tmp_path / "maree.txt").write_text("La marée monte ; les barques dorment.\n", "utf-8")
    owner_studio.add([tmp_path / "maree.txt"], AddOptions(author="Ada Martin", title="La marée"))
    checked(owner_studio, "La marée", tmp_path / "work")
