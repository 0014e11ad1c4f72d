"""Band roles an analyst states with their numbers ("red (band 3) and near-infrared (band 4)",
"band 4 is the NIR"), as ``spectral_index``'s ``bands`` for the index asked."""

from __future__ import annotations

import re

_ROLE_WORDS = (("swir2", r"swir[\s-]?2|short[\s-]?wave[\s-]infra[\s-]?red[\s-]2"),
               ("swir1", r"swir[\s-]?1|short[\s-]?wave[\s-]infra[\s-]?red[\s-]1"),
               ("swir", r"swir|short[\s-]?wave[\s-]infra[\s-]?red"),
               ("nir", r"near[\s-]?infra[\s-]?red|near[\s-]ir|nir"), ("blue", r"blue"),
               ("green", r"green"),
               ("red", r"red"))
_ROLE = "|".join(f"(?P<{k}>{v})" for k, v in _ROLE_WORDS)


def _role_of(m: re.Match[str]) -> str:
    return next(k for k, _ in _ROLE_WORDS if m.group(k))


def find_band_roles(text: str) -> dict[str, int] | None:
    """Band roles stated with their band numbers: "blue (band 1), red (band 3) and near-infrared
    (band 4)", "band 4 is the NIR", "bands 1: blue, 2: green" -> {"blue": 1, "red": 3, ...}
    (1-based; None when no role is given a number). A plain "SWIR" is role ``swir``: which
    SWIR band it is depends on the index (:func:`index_band_roles`)."""
    found: dict[str, int] = {}
    patterns = (rf"\b(?:{_ROLE})\s*(?:band|channel)?\s*(?:\(|:|=|is|as)?\s*(?:band|b)\s*"
                r"(\d{1,2})\b",
                rf"\b(?:band|b)\s*(\d{{1,2}})\s*(?:\(|:|=|is|as)\s*(?:the\s+)?(?:{_ROLE})\b",
                rf"(?<![\w.])(\d{{1,2}})\s*[:=]\s*(?:{_ROLE})\b")
    for pattern in patterns:
        for m in re.finditer(pattern, text):
            number = next(g for g in m.groups()[::-1] if g and g.isdigit()) \
                if pattern is patterns[0] else m.group(1)
            found.setdefault(_role_of(m), int(number))
    return found or None


def index_band_roles(roles: dict[str, int] | None, index: str) -> dict[str, int] | None:
    """``roles`` for ``spectral_index``'s ``bands``: a plain "SWIR" is the SWIR band the index
    reads (SWIR 2 for NBR / dNBR, SWIR 1 for MNDWI and NDBI)."""
    if not roles or "swir" not in roles:
        return roles
    out = {k: v for k, v in roles.items() if k != "swir"}
    out.setdefault("swir2" if index in ("NBR", "dNBR") else "swir1", roles["swir"])
    return out
