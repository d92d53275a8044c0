"""Copy GOV.UK Frontend from node_modules into listener/web/static/govuk (git-ignored).

Run by `make` after `npm ci`; the web app serves these files at /assets, where the
Design System's CSS expects its fonts and images. Nothing is fetched at run time.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SOURCE = ROOT / "node_modules" / "govuk-frontend" / "dist" / "govuk"
TARGET = ROOT / "listener" / "web" / "static" / "govuk"
FILES = ("govuk-frontend.min.css", "govuk-frontend.min.js")


def main() -> int:
    if not SOURCE.is_dir():
        print(f"{SOURCE}: missing; run `npm ci` first", file=sys.stderr)
        return 1
    if TARGET.exists():
        shutil.rmtree(TARGET)
    shutil.copytree(SOURCE / "assets", TARGET)
    for name in FILES:
        shutil.copy2(SOURCE / name, TARGET / name)
    print(f"GOV.UK Frontend copied into {TARGET.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
