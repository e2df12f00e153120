"""The Train page starts from a pre-trained model on disk: a folder, LoRA or every weight, the command line's
refusals said on the page in French and English before any job starts, and a real fine-tune run by the web worker,
whose model page and `ouvroir models` show the base and the zero-shot → fine-tuned bits per byte.

The base is a tiny GPT-2 built from a config (tests/test_finetune.py): nothing is downloaded.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from ouvroir import Studio
from ouvroir.corpus.ingest import AddOptions
from ouvroir.errors import BaseModelError
from ouvroir.i18n import french_spacing
from ouvroir.i18n.stages import stage_text
from ouvroir.web.app import create_app, wrap
from ouvroir.web.security import CSRF_COOKIE
from tests.test_finetune import bases, no_network, poem  # noqa: F401  (fixtures)
from tests.test_web_pages import wait_for

pytest.importorskip("peft")


@pytest.fixture
def web(studio_dir: Path, tmp_path: Path, bases):  # noqa: F811
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for i in range(6):
        (corpus / f"poeme-{i}.txt").write_text(poem(i), "utf-8")
    with Studio.init(studio_dir) as studio:
        assert studio.add([corpus], AddOptions(author="Ada Martin", license="CC-BY-4.0", consent="train")).ok
    base = tmp_path / "tiny-gpt2"
    shutil.copytree(bases["gpt2"], base)
    app = create_app(studio_dir)
    client = TestClient(wrap(app, None), base_url="http://127.0.0.1", headers={"Accept-Language": "en"})
    client.get("/corpus")  # the CSRF cookie
    client.headers["X-CSRF-Token"] = client.cookies[CSRF_COOKIE]
    client.headers["Accept"] = "application/json"
    client.jobs, client.base, client.studio_dir = app.state.jobs, base, studio_dir
    yield client
    app.state.jobs.shutdown()


def _cli_line(run_cli, *args: str) -> str:
    """The command line's one-line refusal, as the page must say it in English."""
    result = run_cli("train", *args)
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert result.exit_code == 1 and len(lines) == 1, result.output
    return lines[0].removeprefix("Error: ")


def test_the_train_page_offers_to_start_from_a_model_folder_in_both_languages(web):
    for lang, legend, full in (("en", "Start from a pre-trained model", "every weight"),
                               ("fr", "Partir d’un modèle pré-entraîné", "tous les poids")):  # fmt: skip
        page = web.get("/train", headers={"Accept": "text/html", "Accept-Language": lang}).text
        assert 'id="from-base"' in page and legend in page and 'name="base"' in page and 'name="rank"' in page
        assert '<option value="lora">' in page and f'<option value="full">{full}</option>' in page
        assert '"model_ready_finetuned"' in page  # the finished run's line: zero-shot → fine-tuned, in the page's words


def test_the_command_lines_refusals_are_said_on_the_page_before_any_job_starts(web, run_cli, tmp_path):
    no_tokenizer = tmp_path / "sans-tokenizer"
    shutil.copytree(web.base, no_tokenizer)
    for name in ("tokenizer.json", "tokenizer_config.json", "special_tokens_map.json"):
        (no_tokenizer / name).unlink(missing_ok=True)
    cases = [  # (form, the command line's arguments, a words of the French line)
        ({"base": "Qwen/Qwen3-0.6B"}, ["--from", "Qwen/Qwen3-0.6B"],
         "« Qwen/Qwen3-0.6B » n’est pas un dossier de cet ordinateur, et ouvroir ne télécharge jamais de modèle"),
        ({"base": str(no_tokenizer)}, ["--from", str(no_tokenizer)], f"{no_tokenizer} n’a pas de tokenizer"),
        ({"base": str(web.base), "rank": "64"}, ["--from", str(web.base), "--lora", "64"],
         "Le rang LoRA 64 ne convient pas à ce modèle : donnez un rang de 1 à 32"),
    ]  # fmt: skip
    for form, args, french in cases:
        english = _cli_line(run_cli, *args, "--steps", "2")
        with Studio.open(web.studio_dir) as studio, pytest.raises(BaseModelError) as refused:
            studio.models.check_finetune(form["base"], "lora", int(form["rank"]) if "rank" in form else None)
        line = refused.value.args[0]  # keyed: the catalogue's English is the command line's, word for word
        assert str(line) == english and stage_text("en", line.key, line.values, "") == english
        answer = web.post("/train/start", json=form | {"minutes": 1})
        assert answer.status_code == 400 and answer.json()["error"] == english, (answer.text, english)
        answer = web.post("/train/start", json=form | {"minutes": 1}, headers={"Accept-Language": "fr"})
        assert answer.status_code == 400 and french_spacing(french) in answer.json()["error"], answer.text
    # an HTML form, as a person sends it: the error page in French, one line
    page = web.post("/train/start", data={"base": "Qwen/Qwen3-0.6B", "minutes": "1"},
                    headers={"Accept": "text/html", "Accept-Language": "fr", "Content-Type": "application/x-www-form-urlencoded"})  # fmt: skip
    assert page.status_code == 400 and "ouvroir ne télécharge jamais de modèle" in page.text
    answer = web.post("/train/start", json={"base": str(web.base), "size": "tiny", "minutes": 1})
    assert answer.status_code == 400 and "leave it on “automatic”" in answer.json()["error"]
    assert web.jobs.list("train") == []  # refused before any job started
    with Studio.open(web.studio_dir) as studio:
        assert studio.models.all() == []


def test_a_finetune_started_on_the_page_shows_its_base_and_figures(web, run_cli):
    started = web.post("/train/start", json={"base": str(web.base), "method": "lora", "rank": "2", "minutes": 0.05, "seed": 3})
    assert started.status_code == 200, started.text
    job_id = started.json()["job"]["id"]
    done = wait_for(web, job_id, lambda a: a["job"]["state"] != "running")
    assert done["job"]["state"] == "finished", done
    result = done["job"]["result"]
    model_id, zero, tuned = result["model_id"], result["zero_shot_bpb"], result["val_bpb"]
    with Studio.open(web.studio_dir) as studio:
        record = studio.models.get(model_id)
    assert (record.config["method"], record.config["rank"], record.config["seed"]) == ("lora", 2, 3)
    assert record.config["base"]["folder"] == "tiny-gpt2" and record.config["bpb"] == {"zero_shot": zero, "fine_tuned": tuned}
    stages = web.get(f"/jobs/{job_id}", headers={"Accept-Language": "fr"}).json()["events"]
    said = [e["text"] for e in stages if e["event"] == "stage"]
    assert any(s.startswith("Modèle de base tiny-gpt2") for s in said) and any("Affinage du modèle" in s for s in said), said

    page = web.get(f"/models/{model_id}", headers={"Accept": "text/html"}).text
    assert '<div id="base-model"><b>tiny-gpt2</b>Base model</div>' in page
    assert f"<b>{zero:.3f} → {tuned:.3f}</b>Zero-shot → fine-tuned (bits/byte)" in page
    page = web.get(f"/models/{model_id}", headers={"Accept": "text/html", "Accept-Language": "fr"}).text
    assert f"<b>{zero:.3f} → {tuned:.3f}</b>".replace(".", ",") in page and "Avant → après l’affinage" in page

    listed = run_cli("models")
    assert listed.exit_code == 0, listed.output
    assert (f"{model_id} is fine-tuned from base tiny-gpt2 (LoRA rank 2): {zero:.3f} → {tuned:.3f} bits per byte"
            in " ".join(listed.output.split()))  # fmt: skip
