"""Image ingest: images made here with numpy and Pillow go in; each bad one gets one line and the batch goes on;
opt-outs are stored no-train with the reason; duplicates are refused and near duplicates reported."""

from __future__ import annotations

import io
import random
import struct
import zlib
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from PIL.PngImagePlugin import PngInfo

from ouvroir.corpus.ingest import AddOptions
from ouvroir.errors import IngestError
from ouvroir.media.images.phash import hamming, phash
from ouvroir.media.images.read import MAX_PIXELS, decode, load_normalized
from ouvroir.media.images.render import contact_sheet, png_bytes
from ouvroir.provenance.c2pa_embed import definition, embed, load_or_create_credentials
from ouvroir.workshop.studio import Studio

PHOTO = "http://cv.iptc.org/newscodes/digitalsourcetype/digitalCapture"
SRGB_D50 = {"r": (0.4361, 0.2225, 0.0139), "g": (0.3851, 0.7169, 0.0971), "b": (0.1431, 0.0606, 0.7141)}


def drawing(seed: int, size=(48, 64)) -> np.ndarray:
    """Smooth colour fields and a few rectangles: a picture whose pHash no other seed shares."""
    rng = np.random.default_rng(seed)
    h, w = size
    y, x = np.mgrid[0:h, 0:w]
    arr = np.stack([(np.sin(x / (3 + rng.random() * 9) + rng.random() * 6) * 120 + 128) for _ in range(3)], -1)
    arr += np.stack([(np.cos(y / (3 + rng.random() * 9)) * 60) for _ in range(3)], -1)
    arr = np.clip(arr, 0, 255).astype(np.uint8)
    for _ in range(3):
        top, left = rng.integers(0, h - 10), rng.integers(0, w - 10)
        arr[top : top + 10, left : left + 10] = rng.integers(0, 256, 3)
    return arr


def encoded(arr: np.ndarray, fmt: str = "PNG", **params) -> bytes:
    out = io.BytesIO()
    Image.fromarray(arr).save(out, fmt, **params)
    return out.getvalue()


def png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png_declaring(width: int, height: int) -> bytes:
    """A PNG whose header declares ``width`` × ``height`` pixels and holds almost nothing: a decompression bomb's header."""
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", header) + png_chunk(b"IDAT", zlib.compress(b"\0" * 64)) + png_chunk(b"IEND", b"")


def png16_rgb(arr16: np.ndarray) -> bytes:
    h, w, _ = arr16.shape
    rows = b"".join(b"\0" + arr16[y].astype(">u2").tobytes() for y in range(h))
    return (b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 16, 2, 0, 0, 0))
            + png_chunk(b"IDAT", zlib.compress(rows)) + png_chunk(b"IEND", b""))  # fmt: skip


def icc_profile(primaries: dict, name: str = "swapped primaries") -> bytes:
    """A minimal ICC v2 RGB display profile (matrix and gamma 2.2), written byte by byte: no third-party profile."""
    s15 = lambda v: struct.pack(">i", round(v * 65536))  # noqa: E731
    xyz = lambda v: b"XYZ \0\0\0\0" + b"".join(s15(c) for c in v)  # noqa: E731
    curve = b"curv\0\0\0\0" + struct.pack(">IH", 1, round(2.2 * 256)) + b"\0\0"
    desc = b"desc\0\0\0\0" + struct.pack(">I", len(name) + 1) + name.encode() + b"\0" * 79
    tags = [(b"desc", desc), (b"wtpt", xyz((0.9642, 1.0, 0.8249))), (b"rXYZ", xyz(primaries["r"])),
            (b"gXYZ", xyz(primaries["g"])), (b"bXYZ", xyz(primaries["b"])), (b"rTRC", curve), (b"gTRC", curve),
            (b"bTRC", curve), (b"cprt", b"text\0\0\0\0ouvroir test\0")]  # fmt: skip
    offset, table, body = 128 + 4 + 12 * len(tags), b"", b""
    for sig, data in tags:
        data += b"\0" * (-len(data) % 4)
        table += sig + struct.pack(">II", offset + len(body), len(data))
        body += data
    header = (struct.pack(">I", offset + len(body)) + b"\0" * 4 + struct.pack(">I", 0x02100000) + b"mntrRGB XYZ "
              + b"\0" * 12 + b"acsp" + b"\0" * 28 + s15(0.9642) + s15(1.0) + s15(0.8249) + b"\0" * 48)  # fmt: skip
    return header + struct.pack(">I", len(tags)) + table + body


def xmp(creator: str = "Ada Martin", data_mining: str | None = None, rights: str = "© Ada Martin") -> bytes:
    mining = f' plus:DataMining="http://ns.useplus.org/ldf/vocab/{data_mining}"' if data_mining else ""
    return (f'<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?><x:xmpmeta xmlns:x="adobe:ns:meta/">'
            '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description '
            f'xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:plus="http://ns.useplus.org/ldf/xmp/1.0/"{mining}>'
            f'<dc:creator><rdf:Seq><rdf:li>{creator}</rdf:li></rdf:Seq></dc:creator>'
            f'<dc:rights><rdf:Alt><rdf:li xml:lang="x-default">{rights}</rdf:li></rdf:Alt></dc:rights>'
            '</rdf:Description></rdf:RDF></x:xmpmeta><?xpacket end="w"?>').encode()  # fmt: skip


def with_iptc(jpeg: bytes, records: dict[int, str]) -> bytes:
    """``jpeg`` with an IPTC-IIM block (Photoshop APP13 resource 0x0404), as photo agencies' tools write it."""
    iim = b"".join(b"\x1c\x02" + bytes([n]) + struct.pack(">H", len(v.encode())) + v.encode() for n, v in records.items())
    resource = b"8BIM\x04\x04\x00\x00" + struct.pack(">I", len(iim)) + iim + b"\0" * (len(iim) % 2)
    payload = b"Photoshop 3.0\0" + resource
    return jpeg[:2] + b"\xff\xed" + struct.pack(">H", len(payload) + 2) + payload + jpeg[2:]


def c2pa_refusing(data: bytes, mime: str, root: Path, use: str = "notAllowed") -> bytes:
    """``data`` signed with a C2PA manifest whose training-and-data-mining assertion gives ``use``."""
    entries = {"c2pa.ai_generative_training": {"use": use}, "c2pa.ai_training": {"use": use},
               "c2pa.data_mining": {"use": use}, "c2pa.ai_inference": {"use": "allowed"}}  # fmt: skip
    manifest = definition("refusing", mime, {"c2pa.training-mining": {"entries": entries}}, "2026-01-01T00:00:00Z", PHOTO)
    return embed(data, mime, manifest, load_or_create_credentials(root))


def write(folder: Path, name: str, data: bytes) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_bytes(data)
    return folder / name


def by_name(report) -> dict:
    return {o.path.name: o for o in report.outcomes}


def test_each_bad_image_gets_one_line_and_the_batch_goes_on(studio, tmp_path):
    good = encoded(drawing(1))
    rgba = np.dstack([drawing(2), np.full((48, 64), 255, np.uint8)])
    rgba[:, :8, 3] = 0  # a transparent band: white after normalization
    frames = [Image.fromarray(drawing(10 + i)) for i in range(3)]
    animated, pages, cmyk_red = io.BytesIO(), io.BytesIO(), io.BytesIO()
    Image.new("CMYK", (32, 32), (0, 255, 255, 0)).save(cmyk_red, "JPEG")
    frames[0].save(animated, "PNG", save_all=True, append_images=frames[1:])
    frames[1].save(pages, "TIFF", save_all=True, append_images=frames[:1])  # the same pictures, another first one
    folder = tmp_path / "batch"
    files = {
        "a_good.png": good,
        "b_truncated.png": encoded(np.random.default_rng(0).integers(0, 256, (64, 64, 3), dtype=np.uint8))[:3000],
        "c_corrupt.jpg": b"\xff\xd8\xff\xe0" + bytes(range(256)) * 4,
        "d_not_an_image.png": b"hello, I am text",
        "e_bomb.png": png_declaring(10_000, 6_000),
        "f_pillow_bomb.png": png_declaring(30_000, 30_000),
        "g_tiny.png": encoded(np.zeros((4, 4, 3), np.uint8)),
        "h_empty.webp": b"",
        "i_animated.png": animated.getvalue(),
        "j_pages.tiff": pages.getvalue(),
        "k_cmyk.jpg": cmyk_red.getvalue(),
        "l_grey16.png": encoded((np.arange(48 * 64).reshape(48, 64) * 21).astype(np.uint16)),
        "m_rgb16.png": png16_rgb(drawing(3).astype(np.uint16) * 257),
        "n_alpha.png": encoded(rgba),
        "o_panorama.png": encoded(drawing(4, (20, 200))),
        "p_clip.gif": b"GIF89a",
    }
    report = studio.add([write(folder, name, data) for name, data in files.items()], AddOptions(consent="train"))
    outcomes = by_name(report)
    assert len(outcomes) == len(files)
    for outcome in outcomes.values():
        assert "\n" not in outcome.message and "internal error" not in outcome.message, outcome.message
    failed = {name: o.message for name, o in outcomes.items() if o.status == "failed"}
    assert set(failed) == {"b_truncated.png", "c_corrupt.jpg", "d_not_an_image.png", "e_bomb.png", "f_pillow_bomb.png",
                           "g_tiny.png", "h_empty.webp", "p_clip.gif"}  # fmt: skip
    assert "truncated" in failed["b_truncated.png"]
    assert "corrupt" in failed["c_corrupt.jpg"] or "not a readable" in failed["c_corrupt.jpg"]
    assert "not a readable PNG, JPEG, WebP or TIFF image" in failed["d_not_an_image.png"]
    assert f"10,000 × 6,000 pixels is more than the {MAX_PIXELS:,}" in failed["e_bomb.png"]
    assert "decompression bomb" in failed["f_pillow_bomb.png"]
    assert "too small" in failed["g_tiny.png"] and failed["h_empty.webp"] == "empty file"
    assert "unknown format '.gif'" in failed["p_clip.gif"] and ".webp" in failed["p_clip.gif"]

    notes = {name: " | ".join(o.notes) for name, o in outcomes.items() if o.status == "added"}
    assert "3 frames: only the first was read" in notes["i_animated.png"]
    assert "2 pages: only the first was read" in notes["j_pages.tiff"]
    assert "CMYK without a colour profile" in notes["k_cmyk.jpg"]
    assert "16-bit grey levels reduced to 8 bits" in notes["l_grey16.png"]
    assert "16-bit colour channels reduced to 8 bits" in notes["m_rgb16.png"]
    assert "composited on white" in notes["n_alpha.png"]
    assert "centre square" in notes["o_panorama.png"]

    def pixels(name):
        return load_normalized(studio.blobs.get(outcomes[name].work.text_sha256))

    assert np.array_equal(pixels("i_animated.png"), np.asarray(frames[0]))
    assert (pixels("n_alpha.png")[:, :8] == 255).all() and np.array_equal(pixels("n_alpha.png")[:, 8:], drawing(2)[:, 8:])
    assert tuple(pixels("k_cmyk.jpg")[5, 5]) == pytest.approx((255, 0, 0), abs=3)
    assert np.abs(pixels("m_rgb16.png").astype(int) - drawing(3)).max() <= 1
    work = outcomes["a_good.png"].work
    assert (work.medium, work.form, work.format, work.chars) == ("image", "image", "png", 48 * 64)
    assert work.metadata["width"] == "64" and work.metadata["height"] == "48" and len(work.metadata["phash"]) == 16
    assert studio.check().ok


def test_corrupted_bytes_give_a_reason_never_a_crash():
    """Seeded random damage (bytes changed, files cut short) to every format: an IngestError of one line, or an image."""
    rng = random.Random(24)
    frames = [Image.fromarray(drawing(70 + i, (24, 32))) for i in range(3)]
    seeds = [encoded(drawing(70, (24, 32)), fmt, **params) for fmt, params in
             (("PNG", {}), ("JPEG", {}), ("WEBP", {}), ("TIFF", {}), ("TIFF", {"compression": "tiff_lzw"}))]  # fmt: skip
    for fmt in ("PNG", "TIFF"):
        out = io.BytesIO()
        frames[0].save(out, fmt, save_all=True, append_images=frames[1:])
        seeds.append(out.getvalue())
    refused = 0
    for data in seeds:
        for _ in range(40):
            damaged = bytearray(data)
            for _ in range(rng.randint(1, 8)):
                damaged[rng.randrange(len(damaged))] = rng.randrange(256)
            if rng.random() < 0.3:
                damaged = damaged[: rng.randrange(len(damaged))]
            try:
                decode(bytes(damaged))
            except IngestError as exc:
                assert "\n" not in str(exc) and len(str(exc)) <= 300
                refused += 1
    assert refused > 40  # the damage was real


def test_orientation_colour_profile_and_metadata(studio, tmp_path):
    # EXIF orientation 6 (rotate 90° clockwise to view): the stored pixels are upright
    left_white = np.zeros((20, 40, 3), np.uint8)
    left_white[:, :20] = 255
    exif = Image.Exif()
    exif[0x0112], exif[0x013B], exif[0x8298], exif[0x010E] = 6, "Ada Exif", "CC BY 4.0 Ada", "a study in black"
    upright = decode(encoded(left_white, exif=exif))
    assert upright.pixels.shape == (40, 20, 3) and (upright.pixels[:20] == 255).all() and (upright.pixels[20:] == 0).all()
    assert upright.metadata == {"creator": "Ada Exif", "rights": "CC BY 4.0 Ada", "description": "a study in black"}

    # one colour made transparent (PNG tRNS) in an RGB or a grey image: white, as an alpha channel would be
    keyed = np.zeros((16, 16, 3), np.uint8)
    keyed[:8] = (10, 20, 30)
    for arr, key in ((keyed, (10, 20, 30)), (keyed[..., 0], 10)):
        seen = decode(encoded(arr, transparency=key))
        assert (seen.pixels[:8] == 255).all() and (seen.pixels[8:] == 0).all() and "composited on white" in seen.notes[0]

    # a profile whose red is sRGB's green: pure red in the file is green once converted to sRGB
    red = np.zeros((16, 16, 3), np.uint8)
    red[..., 0] = 255
    swapped = icc_profile({"r": SRGB_D50["g"], "g": SRGB_D50["r"], "b": SRGB_D50["b"]})
    converted = decode(encoded(red, icc_profile=swapped))
    assert tuple(converted.pixels[0, 0]) == pytest.approx((0, 255, 0), abs=3)
    assert "colour profile 'swapped primaries' converted to sRGB" in converted.notes
    broken = decode(encoded(red, icc_profile=b"not a profile"))
    assert tuple(broken.pixels[0, 0]) == (255, 0, 0) and "cannot be used" in broken.notes[0]

    # metadata: the file's creator becomes the author when none is given, and says so; a given author wins
    folder = tmp_path / "meta"
    info = PngInfo()
    info.add_itxt("XML:com.adobe.xmp", xmp("Ada Martin").decode())
    by_file = write(folder, "xmp.png", encoded(drawing(5), pnginfo=info))
    exif_jpeg = write(folder, "exif.jpg", encoded(drawing(6), "JPEG", exif=exif, quality=95))
    outcomes = by_name(studio.add([by_file, exif_jpeg], AddOptions()))
    xmp_work = outcomes["xmp.png"].work
    assert xmp_work.author == "Ada Martin" and xmp_work.metadata["rights"] == "© Ada Martin"
    assert "author taken from the file's metadata: Ada Martin" in outcomes["xmp.png"].notes
    assert xmp_work.consent == "unknown"  # an author the file declares never triggers the owner rule
    exif_work = outcomes["exif.jpg"].work
    assert (exif_work.author, exif_work.format, exif_work.metadata["description"]) == ("Ada Exif", "jpeg", "a study in black")
    iptc = decode(with_iptc(encoded(drawing(8), "JPEG"), {80: "Zoé Lambert", 116: "© Zoé Lambert 2026", 120: "Quai",
                                                          5: "Le quai"}))  # fmt: skip
    assert iptc.metadata == {"creator": "Zoé Lambert", "rights": "© Zoé Lambert 2026", "description": "Quai",
                             "title": "Le quai"}  # fmt: skip
    given = by_name(studio.add([write(folder, "given.png", encoded(drawing(7), pnginfo=info))], AddOptions(author="Zoé")))
    assert given["given.png"].work.author == "Zoé"


def test_c2pa_and_plus_opt_outs_are_stored_no_train_with_the_reason(studio, tmp_path):
    folder = tmp_path / "optout"
    c2pa_png = write(folder, "c2pa.png", c2pa_refusing(encoded(drawing(20)), "image/png", tmp_path / "keys"))
    allowed_png = write(folder, "allowed.png", c2pa_refusing(encoded(drawing(21)), "image/png", tmp_path / "keys", "allowed"))
    plus_jpeg = write(folder, "plus.jpg", encoded(drawing(22), "JPEG", xmp=xmp(data_mining="DMI-PROHIBITED-AIMLTRAINING")))
    plus_allowed = write(folder, "plus_ok.jpg", encoded(drawing(23), "JPEG", xmp=xmp(data_mining="DMI-ALLOWED")))
    outcomes = by_name(studio.add([c2pa_png, allowed_png, plus_jpeg, plus_allowed], AddOptions(author="Ada")))
    c2pa_work, plus_work = outcomes["c2pa.png"].work, outcomes["plus.jpg"].work
    assert c2pa_work.consent == "no-train" and c2pa_work.consent_reason == (
        "the file's C2PA manifest refuses training (c2pa.training-mining: c2pa.ai_generative_training notAllowed, "
        "c2pa.ai_training notAllowed, c2pa.data_mining notAllowed)")
    assert "consent no-train (the file's C2PA manifest refuses training" in outcomes["c2pa.png"].message
    assert studio.consent_history(c2pa_work)[0].origin == "c2pa-training-mining"
    assert plus_work.consent == "no-train" and plus_work.consent_reason == (
        "the file's IPTC/PLUS data-mining field prohibits it (plus:DataMining DMI-PROHIBITED-AIMLTRAINING)")
    assert studio.consent_history(plus_work)[0].origin == "plus-data-mining"
    assert outcomes["allowed.png"].work.consent == outcomes["plus_ok.jpg"].work.consent == "unknown"

    # the person may override the file's refusal explicitly; the history says so
    again = encoded(drawing(24), "JPEG", xmp=xmp(data_mining="DMI-PROHIBITED"))
    (outcome,) = studio.add([write(folder, "mine.jpg", again)], AddOptions(consent="train")).outcomes
    history = studio.consent_history(outcome.work)
    assert [e.consent for e in history] == ["no-train", "train"]
    assert history[1].reason.startswith("explicit override of the file's refusal of training")


def test_the_same_pixels_are_a_duplicate_whatever_bytes_their_png_had(studio, tmp_path, monkeypatch):
    from ouvroir.corpus import image_ingest

    original = drawing(33)
    first = studio.add([write(tmp_path, "a.png", encoded(original))], AddOptions()).outcomes[0]
    # as if a later Pillow or zlib wrote the normalized PNG: other bytes, the same pixels
    monkeypatch.setattr(image_ingest, "png_bytes", lambda arr: encoded(arr, compress_level=1))
    assert image_ingest.png_bytes(original) != studio.blobs.get(first.work.text_sha256)
    (again,) = studio.add([write(tmp_path, "b.webp", encoded(original, "WEBP", lossless=True))], AddOptions()).outcomes
    assert again.status == "duplicate" and again.work.id == first.work.id, again.message


def test_duplicates_are_refused_and_near_duplicates_reported(studio, tmp_path, run_cli):
    original = drawing(30)
    folder = tmp_path / "dups"
    first = by_name(studio.add([write(folder, "a.png", encoded(original))], AddOptions(consent="no-train", author="Ada")))
    stored = first["a.png"].work
    lossless = [write(folder, "b.webp", encoded(original, "WEBP", lossless=True)),
                write(folder, "c.tiff", encoded(original, "TIFF", compression="tiff_lzw")),
                write(folder, "d.png", encoded(original, compress_level=1, pnginfo=PngInfo()))]  # fmt: skip
    changed = original.copy()
    changed[10:14, 10:14] = 255 - changed[10:14, 10:14]  # a few pixels retouched
    near = write(folder, "e.png", encoded(changed))
    other = write(folder, "f.png", encoded(drawing(31)))
    outcomes = by_name(studio.add([*lossless, near, other], AddOptions(consent="train", author="Ada")))
    for name in ("b.webp", "c.tiff", "d.png"):
        assert outcomes[name].status == "duplicate", outcomes[name].message
        assert outcomes[name].message == f"same image as {stored.id} 'A': not stored twice"
    near_outcome = outcomes["e.png"]
    assert near_outcome.status == "added" and [d.other_id for d in near_outcome.near_duplicates] == [stored.id]
    assert "near-duplicate image of" in near_outcome.near_duplicates[0].describe()
    assert near_outcome.work.consent == "unknown"  # a copy of a refused image waits for a person's decision
    assert "near-duplicate image of work" in near_outcome.work.consent_reason
    assert [n["measure"] for n in studio.near_duplicates(near_outcome.work)] == ["phash"]
    assert outcomes["f.png"].near_duplicates == [] and outcomes["f.png"].work.consent == "train"

    # two plain strokes whose low frequencies agree (pHash 6 bits apart) but whose pixels do not: not reported
    strokes = []
    for left, width in ((12, 6), (11, 4)):
        stroke = np.zeros((32, 32, 3), np.uint8)
        stroke[6:26, left : left + width] = 255
        strokes.append(write(folder, f"stroke{width}.png", encoded(stroke)))
    assert hamming(phash(load_normalized(strokes[0].read_bytes())), phash(load_normalized(strokes[1].read_bytes()))) <= 10
    pair = by_name(studio.add(strokes, AddOptions(consent="train")))
    assert pair["stroke4.png"].status == "added" and pair["stroke4.png"].near_duplicates == []

    listing = run_cli("works")
    assert listing.exit_code == 0 and "64×48 px" in listing.output
    shown = run_cli("show", stored.id)
    assert shown.exit_code == 0 and "size" in shown.output and "64×48 px" in shown.output
    assert f"phash  {stored.metadata['phash']}" in shown.output and "original-size  64x48" in shown.output


def test_a_large_jpeg_is_decoded_at_a_reduced_scale_and_capped():
    y, x = np.mgrid[0:2000, 0:3000]
    photo = np.stack([x * 255 // 3000, y * 255 // 2000, (x // 40 + y // 40) % 2 * 200], -1).astype(np.uint8)
    decoded = decode(encoded(photo, "JPEG", quality=92))
    assert decoded.pixels.shape == (683, 1024, 3) and decoded.original_size == (3000, 2000)
    assert "reduced from 3000 × 2000 to 1024 × 683 pixels" in decoded.notes[0]
    reference = np.asarray(Image.fromarray(photo).resize((1024, 683), Image.Resampling.LANCZOS), dtype=float)
    assert np.abs(decoded.pixels - reference).mean() < 4  # the same picture as a full decode reduced


def test_phash_and_rendering():
    base = drawing(40)
    noisy = np.clip(base.astype(int) + np.random.default_rng(1).integers(-6, 7, base.shape), 0, 255).astype(np.uint8)
    jpeg = load_normalized(png_bytes(decode(encoded(base, "JPEG", quality=75)).pixels))
    shifted = np.roll(base, 1, axis=1)
    for variant in (noisy, jpeg, shifted):
        assert hamming(phash(base), phash(variant)) <= 10
    distances = [hamming(phash(drawing(s)), phash(drawing(s + 1))) for s in range(50, 70)]
    assert min(distances) > 10 and 20 <= np.mean(distances) <= 44
    assert png_bytes(base) == png_bytes(base.copy()) and np.array_equal(load_normalized(png_bytes(base)), base)
    sheet = contact_sheet([base, base, base], columns=2, gap=2)
    assert sheet.shape == (2 * 48 + 3 * 2, 2 * 64 + 3 * 2, 3) and np.array_equal(sheet[2:50, 2:66], base)


def test_the_web_upload_takes_images_and_their_page_opens(studio_dir):
    from starlette.testclient import TestClient

    from ouvroir.web.app import create_app, wrap
    from ouvroir.web.security import CSRF_COOKIE

    Studio.init(studio_dir).close()
    app = create_app(studio_dir)
    try:
        client = TestClient(wrap(app, None), base_url="http://127.0.0.1", headers={"Accept-Language": "en"})
        client.get("/corpus")
        csrf = client.cookies[CSRF_COOKIE]
        files = [("files", ("étude.webp", encoded(drawing(60), "WEBP", lossless=True), "image/webp")),
                 ("files", ("clip.gif", b"GIF89a", "image/gif"))]  # fmt: skip
        answer = client.post("/corpus/upload", files=files, data={"csrf": csrf, "consent": "train"},
                             headers={"Accept": "application/json", "X-CSRF-Token": csrf})  # fmt: skip
        assert answer.status_code == 200, answer.text
        outcomes = {o["name"]: o for o in answer.json()["outcomes"]}
        assert outcomes["clip.gif"]["status"] == "failed" and ".webp" in outcomes["clip.gif"]["message"]
        added = outcomes["étude.webp"]
        assert added["status"] == "added" and "(image, 64 × 48 pixels); consent: train" in added["message"], added
        with Studio.open(studio_dir) as studio:
            (work,) = studio.works(medium="image")
        assert added["work_id"] == work.id and work.format == "webp"
        page = client.get(f"/corpus/{work.id}", headers={"Accept": "text/html"})
        assert page.status_code == 200 and "64 × 48 px" in page.text
        assert client.get("/train", headers={"Accept": "text/html"}).status_code == 200  # it sorted media by a list without images
    finally:
        app.state.jobs.shutdown()
