"""Hashes of a package's static inline `<script>`/`<style>` blocks, for the Content-Security-Policy.

django-rq's admin pages carry a few fixed inline blocks (a jQuery hook, a column width) and no
CSP nonce; allowing exactly those texts by their SHA-256 keeps `'unsafe-inline'` out of the
policy. Read from the installed package when settings load, so an upgrade is followed. Blocks
with template syntax in them are left out: their rendered text is not known here.
"""

import base64
import hashlib
import importlib.util
import re
from pathlib import Path

INLINE_BLOCK = re.compile(r"<(script|style)\b([^>]*)>(.*?)</\1>", re.DOTALL)


def inline_block_hashes(package: str) -> dict[str, list[str]]:
    """Return {"script": [...], "style": [...]}: CSP hash sources of the fixed inline blocks in
    `package`'s templates (empty lists when it is not installed)."""
    hashes: dict[str, set[str]] = {"script": set(), "style": set()}
    spec = importlib.util.find_spec(package)
    folders = (spec.submodule_search_locations or []) if spec else []
    for folder in folders:
        for template in sorted(Path(folder, "templates").rglob("*.html")):
            for kind, attributes, body in INLINE_BLOCK.findall(template.read_text(encoding="utf-8")):
                if "src=" in attributes or "{%" in body or "{{" in body or not body.strip():
                    continue
                digest = base64.b64encode(hashlib.sha256(body.encode()).digest()).decode()
                hashes[kind].add(f"'sha256-{digest}'")
    return {kind: sorted(values) for kind, values in hashes.items()}
