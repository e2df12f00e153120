"""Image files in, normalized pixels out: Pillow with limits, one clear reason when a file cannot be read.

The normalized image is 8-bit RGB in sRGB: EXIF orientation applied, an
embedded colour profile converted to sRGB, transparency composited on white,
16-bit and CMYK images brought to 8-bit RGB, the first frame of an animated or
multi-page file (said in ``notes``), the long side capped at MAX_LONG_SIDE.
Its PNG (``render.png_bytes``) is the work's normalized stream: the same
pixels give the same PNG, so an image re-encoded without change is a duplicate.

Pillow refuses over twice ``Image.MAX_IMAGE_PIXELS`` on its own; ouvroir checks
the size the header declares against MAX_PIXELS before decoding anything, so a
decompression bomb costs a header read.
"""

from __future__ import annotations

import io
import struct
import warnings
from dataclasses import dataclass, field

import numpy as np
from PIL import Image, ImageCms, ImageOps, UnidentifiedImageError

from ...errors import IngestError
from . import metadata as image_metadata
from . import optout

MAX_PIXELS = 50_000_000  # a 8,000 × 6,000 photograph; beyond, a bomb or a scan ouvroir has no use for
MAX_LONG_SIDE = 1024  # models here train at 16–64 px: more only costs disk and time
MIN_SIDE = 8  # sklearn's digits are 8×8; below, nothing to learn from
WIDE_RATIO = 2.0  # beyond, training's centre square leaves out much of the picture: said
FORMATS = {"PNG": "png", "JPEG": "jpeg", "MPO": "jpeg", "WEBP": "webp", "TIFF": "tiff"}
OPENED_AS = ["PNG", "JPEG", "WEBP", "TIFF"]  # Pillow's plugins tried, and no other (JPEG's opens MPO too)
MIME_TYPES = {"png": "image/png", "jpeg": "image/jpeg", "webp": "image/webp", "tiff": "image/tiff"}


@dataclass
class DecodedImage:
    pixels: np.ndarray  # uint8 (H, W, 3), sRGB, normalized as the module says
    format: str  # png | jpeg | webp | tiff (what the bytes are, whatever the suffix says)
    original_size: tuple[int, int]  # (width, height) as the file declares it, before orientation and capping
    notes: list[str] = field(default_factory=list)
    metadata: dict[str, str] = field(default_factory=dict)  # creator, rights, description, title when the file has them
    opt_out: optout.OptOut | None = None  # the file refuses training (C2PA or IPTC/PLUS), with the reason


def decode(data: bytes, name: str = "") -> DecodedImage:
    """Read an image file's bytes; raise IngestError with the reason when they cannot be read."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)  # checked below, with ouvroir's own limit
        warnings.simplefilter("ignore", UserWarning)  # Pillow's "Corrupt EXIF data" and such: the outcome line says it
        try:
            image = Image.open(io.BytesIO(data), formats=OPENED_AS)
        except Image.DecompressionBombError as exc:
            raise IngestError(f"refused as a decompression bomb: {exc}".split("\n")[0][:300]) from exc
        except UnidentifiedImageError as exc:
            raise IngestError("not a readable PNG, JPEG, WebP or TIFF image (corrupt, or another format)") from exc
        except MemoryError as exc:
            raise IngestError("the image is too large to read in memory") from exc
        except Exception as exc:  # a Pillow plugin's own error on a malformed header
            raise IngestError(f"corrupt image header: {type(exc).__name__}: {exc}".split("\n")[0][:300]) from exc
        width, height = image.size
        if width * height > MAX_PIXELS:
            raise IngestError(f"{width:,} × {height:,} pixels is more than the {MAX_PIXELS:,} ouvroir reads "
                              "(a decompression bomb, or far larger than training needs)")  # fmt: skip
        fmt = FORMATS[image.format]
        notes: list[str] = []
        try:
            frames = getattr(image, "n_frames", 1) or 1  # a TIFF walks its chain of pages: may meet corrupt data
            if frames > 1:
                what = "pages" if fmt == "tiff" else "frames"
                notes.append(f"the file holds {frames} {what}: only the first was read")
            image.seek(0)
            if _sixteen_bit_colour(image):  # Pillow keeps the high byte of each channel: the same as ouvroir would
                notes.append("16-bit colour channels reduced to 8 bits")
            if fmt == "jpeg" and max(width, height) > 2 * MAX_LONG_SIDE:  # decode at 1/2, 1/4 or 1/8 scale: 5× faster
                long_side = max(width, height)
                image.draft(image.mode, (-(-width * MAX_LONG_SIDE // long_side), -(-height * MAX_LONG_SIDE // long_side)))
            image.load()
            meta, xmp_problem = image_metadata.read(image)
            oriented = _upright(image, notes)
        except Image.DecompressionBombError as exc:
            raise IngestError(f"refused as a decompression bomb: {exc}".split("\n")[0][:300]) from exc
        except MemoryError as exc:
            raise IngestError("the image is too large to read in memory") from exc
        except Exception as exc:  # Pillow says "image file is truncated", or a plugin fails on corrupt data
            raise IngestError(f"truncated or corrupt image: {exc or type(exc).__name__}".split("\n")[0][:300]) from exc
    if xmp_problem:
        notes.append(xmp_problem)
    pixels = _to_srgb(oriented, notes)
    if min(pixels.shape[:2]) < MIN_SIDE:
        raise IngestError(f"{pixels.shape[1]} × {pixels.shape[0]} pixels: smaller than {MIN_SIDE} pixels on a side "
                          "is too small to learn from")  # fmt: skip
    pixels = _cap(pixels, notes, (width, height))
    h, w = pixels.shape[:2]
    if max(h, w) / min(h, w) > WIDE_RATIO:
        notes.append(f"{w} × {h} pixels: square training resolutions use its centre square only")
    found = optout.find(data, MIME_TYPES[fmt], meta.pop("plus-data-mining", None))
    return DecodedImage(pixels, fmt, (width, height), notes, meta, found)


def _upright(image: Image.Image, notes: list[str]) -> Image.Image:
    """The image turned as its EXIF orientation says; an unreadable EXIF block leaves it as stored, and says so."""
    try:
        return ImageOps.exif_transpose(image)
    except (SyntaxError, ValueError, TypeError, KeyError, IndexError, struct.error) as exc:
        notes.append(f"EXIF orientation unreadable ({type(exc).__name__}): the image is kept as stored")
        return image


def _sixteen_bit_colour(image: Image.Image) -> bool:
    """True for 16-bit RGB(A) pixels, which Pillow opens as 8-bit modes (the raw mode still says 16)."""
    if image.mode.startswith("I") or not image.tile:
        return False
    args = image.tile[0][3]
    rawmode = args[0] if isinstance(args, tuple) and args else args
    return isinstance(rawmode, str) and ";16" in rawmode


def _to_srgb(image: Image.Image, notes: list[str]) -> np.ndarray:
    """8-bit sRGB RGB pixels, transparency on white."""
    icc = image.info.get("icc_profile")
    image = _eight_bit(image, notes)
    # Transparency as an alpha channel first (a palette's, or one colour made transparent by a tRNS chunk),
    # grey kept grey so that a grey colour profile still applies.
    if image.mode in ("P", "PA") or (image.mode == "RGB" and image.info.get("transparency") is not None):
        image = image.convert("RGBA")
    elif image.mode == "La" or (image.mode == "L" and image.info.get("transparency") is not None):
        image = image.convert("LA")
    elif image.mode == "RGBa":
        image = image.convert("RGBA")
    if image.mode == "CMYK" and not icc:
        notes.append("CMYK without a colour profile: converted to RGB without colour management")
    if icc:
        image = _apply_profile(image, icc, notes)
    if image.mode == "LA":
        image = image.convert("RGBA")
    if image.mode == "RGBA":
        alpha = np.asarray(image.getchannel("A"))
        if alpha.min() < 255:
            notes.append("transparent pixels composited on white")
        white = Image.new("RGBA", image.size, (255, 255, 255, 255))
        image = Image.alpha_composite(white, image)
    return np.asarray(image.convert("RGB"), dtype=np.uint8).copy()


def _eight_bit(image: Image.Image, notes: list[str]) -> Image.Image:
    """16-bit, 32-bit and float grey levels scaled to 8 bits (Pillow's convert would clip them, not scale)."""
    if image.mode in ("I;16", "I;16L", "I;16B", "I;16N", "I"):
        values = np.asarray(image, dtype=np.float64)
        notes.append(f"{'16' if image.mode.startswith('I;16') or values.max() <= 65535 else '32'}-bit grey levels "
                     "reduced to 8 bits")  # fmt: skip
        top = 65535.0 if values.max() <= 65535 else float(values.max())
        return Image.fromarray(np.clip(np.rint(values * 255.0 / top), 0, 255).astype(np.uint8))
    if image.mode == "F":
        values = np.nan_to_num(np.asarray(image, dtype=np.float64))
        top = 1.0 if values.max() <= 1.0 else max(255.0, float(values.max()))
        notes.append("floating-point grey levels reduced to 8 bits")
        return Image.fromarray(np.clip(np.rint(values * 255.0 / top), 0, 255).astype(np.uint8))
    if image.mode == "1":
        return image.convert("L")
    if image.mode in ("YCbCr", "LAB", "HSV"):
        return image.convert("RGB")
    return image


_SRGB = None


def _srgb_profile():
    global _SRGB
    if _SRGB is None:
        _SRGB = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB"))
    return _SRGB


def _apply_profile(image: Image.Image, icc: bytes, notes: list[str]) -> Image.Image:
    """Convert from the embedded profile to sRGB; a broken profile is said, and the pixels taken as sRGB."""
    try:
        profile = ImageCms.ImageCmsProfile(io.BytesIO(icc))
        description = (ImageCms.getProfileDescription(profile) or "").strip()
        if "srgb" in description.lower().replace(" ", "") and image.mode in ("RGB", "RGBA"):
            return image  # already sRGB: a transform would only round
        alpha = image.getchannel("A") if image.mode in ("RGBA", "LA") else None
        source = image.convert("RGB" if image.mode == "RGBA" else "L" if image.mode == "LA" else image.mode)
        converted = ImageCms.profileToProfile(source, profile, _srgb_profile(), outputMode="RGB")
        if converted is None:
            return image
        notes.append(f"colour profile {description or '(unnamed)'!r} converted to sRGB")
        if alpha is not None:
            converted.putalpha(alpha)
        return converted
    except (ImageCms.PyCMSError, OSError, ValueError) as exc:
        notes.append(f"the embedded colour profile cannot be used ({str(exc)[:80]}): colours read as sRGB")
        return image.convert("RGBA" if "A" in image.mode else "RGB")


def _cap(pixels: np.ndarray, notes: list[str], declared: tuple[int, int]) -> np.ndarray:
    h, w = pixels.shape[:2]
    if max(h, w) <= MAX_LONG_SIDE:
        if max(declared) > MAX_LONG_SIDE:  # a JPEG decoded at a reduced scale already
            notes.append(f"reduced from {declared[0]} × {declared[1]} to {w} × {h} pixels (training needs far less)")
        return pixels
    scale = MAX_LONG_SIDE / max(h, w)
    size = (max(1, round(w * scale)), max(1, round(h * scale)))
    notes.append(f"reduced from {declared[0]} × {declared[1]} to {size[0]} × {size[1]} pixels (training needs far less)")
    return np.asarray(Image.fromarray(pixels).resize(size, Image.Resampling.LANCZOS), dtype=np.uint8)


def load_normalized(png: bytes) -> np.ndarray:
    """The pixels of a normalized PNG blob: uint8 (H, W, 3)."""
    with Image.open(io.BytesIO(png), formats=["PNG"]) as image:
        return np.asarray(image.convert("RGB"), dtype=np.uint8).copy()


def to_square(arr: np.ndarray, resolution: int) -> np.ndarray:
    """The centre square of ``arr`` at ``resolution`` × ``resolution``: uint8 (R, R, 3).

    Reduced by averaging the pixels each target pixel covers (box filter: no ringing on drawings), enlarged bicubically.
    """
    arr = np.asarray(arr, dtype=np.uint8)
    h, w = arr.shape[:2]
    side = min(h, w)
    top, left = (h - side) // 2, (w - side) // 2
    square = Image.fromarray(np.ascontiguousarray(arr[top : top + side, left : left + side, :3]))
    if side != resolution:
        method = Image.Resampling.BOX if side > resolution else Image.Resampling.BICUBIC
        square = square.resize((resolution, resolution), method)
    return np.asarray(square, dtype=np.uint8).copy()
