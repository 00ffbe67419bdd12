"""Vendor the pages' front-end packages from npm into ivr/web/static/vendor (no CDN).

    python scripts/vendor_assets.py          # npm ci, copy the files, write manifest.json

The packages and their exact versions are in ivr/web/assets/package.json and
package-lock.json (both kept in the repo). Only the files the pages load are
copied, with each package's licence text; manifest.json records every
package's name, version, licence and each file's sha256, and
tests/web/test_vendor.py checks it against the files.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ASSETS = ROOT / "ivr" / "web" / "assets"
VENDOR = ROOT / "ivr" / "web" / "static" / "vendor"

# package -> the files the pages load (paths inside the package), licence file first.
FILES: dict[str, list[str]] = {
    "@twilio/voice-sdk": ["LICENSE.md", "dist/twilio.min.js"],
    "codemirror": ["LICENSE", "lib/codemirror.js", "lib/codemirror.css", "mode/yaml/yaml.js"],
    "uplot": ["LICENSE", "dist/uPlot.iife.min.js", "dist/uPlot.min.css"],
    "swagger-ui-dist": [
        "LICENSE",
        "NOTICE",
        "swagger-ui-bundle.js",
        "swagger-ui-bundle.js.LICENSE.txt",
        "swagger-ui.css",
    ],
    "redoc": ["LICENSE", "bundles/redoc.standalone.js", "bundles/redoc.standalone.js.LICENSE.txt"],
}


def sha256(path: Path) -> str:
    """The file's sha256 hex digest."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


def vendor() -> dict[str, object]:
    """Copy each package's files into VENDOR/<name>/ and return the manifest."""
    packages = []
    for name, files in FILES.items():
        source = ASSETS / "node_modules" / name
        meta = json.loads((source / "package.json").read_text())
        target = VENDOR / name.lstrip("@").replace("/", "-")
        shutil.rmtree(target, ignore_errors=True)
        recorded: dict[str, str] = {}
        for rel in files:
            dest = target / Path(rel).name
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source / rel, dest)
            recorded[dest.relative_to(VENDOR).as_posix()] = sha256(dest)
        packages.append(
            {
                "name": name,
                "version": meta["version"],
                "license": meta["license"],
                "files": recorded,
            }
        )
    return {"packages": packages}


def main() -> int:
    """npm ci (exact versions from the lock file), then vendor and write the manifest."""
    subprocess.run(
        ["npm", "ci", "--ignore-scripts", "--no-audit", "--no-fund", "--legacy-peer-deps"],
        cwd=ASSETS,
        check=True,
    )
    manifest = vendor()
    (VENDOR / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")
    sys.stdout.write(f"vendored {len(FILES)} packages into {VENDOR.relative_to(ROOT)}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
