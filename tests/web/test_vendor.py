"""Vendored front-end packages: the manifest matches the files, and every licence fits MIT."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from ivr.web.site import STATIC_DIR

VENDOR = STATIC_DIR / "vendor"
ASSETS = Path(STATIC_DIR).parent / "assets"
# Permissive licences that may ship inside an MIT-licensed project.
MIT_COMPATIBLE = {"MIT", "ISC", "BSD-2-Clause", "BSD-3-Clause", "Apache-2.0", "0BSD"}


def manifest() -> list[dict[str, object]]:
    packages: list[dict[str, object]] = json.loads((VENDOR / "manifest.json").read_text())[
        "packages"
    ]
    return packages


def test_every_vendored_file_matches_its_recorded_sha256() -> None:
    recorded: set[str] = set()
    for package in manifest():
        files = package["files"]
        assert isinstance(files, dict) and files
        for rel, digest in files.items():
            assert hashlib.sha256((VENDOR / rel).read_bytes()).hexdigest() == digest, rel
            recorded.add(rel)
    on_disk = {
        p.relative_to(VENDOR).as_posix()
        for p in VENDOR.rglob("*")
        if p.is_file() and p.name != "manifest.json"
    }
    assert on_disk == recorded, "a file in vendor/ that the manifest does not record, or gone"


def test_every_licence_is_mit_compatible_and_its_text_ships() -> None:
    for package in manifest():
        assert package["license"] in MIT_COMPATIBLE, package["name"]
        files = package["files"]
        assert isinstance(files, dict)
        assert any("LICENSE" in Path(rel).name for rel in files), package["name"]


def test_the_manifest_versions_are_the_locked_ones() -> None:
    wanted = json.loads((ASSETS / "package.json").read_text())["dependencies"]
    locked = json.loads((ASSETS / "package-lock.json").read_text())["packages"]
    for package in manifest():
        name = str(package["name"])
        assert wanted[name] == package["version"]
        assert locked[f"node_modules/{name}"]["version"] == package["version"]


def test_what_the_pages_need_is_vendored() -> None:
    names = {package["name"] for package in manifest()}
    assert {"@twilio/voice-sdk", "codemirror", "swagger-ui-dist", "redoc", "uplot"} <= names
