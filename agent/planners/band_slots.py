"""Band roles an analyst states with their numbers ("red (band 3) and near-infrared (band 4)",
"band 4 is the NIR"), as ``spectral_index``'s ``bands`` for the index asked."""

from __future__ import annotations

import re

from specialists.spectral.indices import INDICES

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



_PAIR = re.compile(r"\b(?:with|using|from|of|on)\s+(?:the\s+)?bands?\s*b?(\d{1,2})\s*(?:and|,|&|/)"
                   r"\s*(?:b(?:and)?\s*)?(\d{1,2})\b(?!\s*(?:,|and|&|/)\s*(?:b(?:and)?\s*)?\d)")
"""Two bands given for a two-band index ("NDWI with bands 3 and 5"): in the formula's order."""


def pair_band_roles(text: str, index: str) -> dict[str, int] | None:
    """The roles of two bands given without role words for a normalised difference ("NDWI with
    bands 3 and 5" -> green 3, NIR 5; "NDVI using bands 5 and 4" -> NIR 5, red 4): the order
    of the index's formula, as GEE's normalizedDifference takes them. None when the index
    reads other than two bands or no such pair is given."""
    spec = INDICES.get(index)
    m = _PAIR.search(text)
    if spec is None or len(spec.roles) != 2 or m is None or m.group(1) == m.group(2):
        return None
    return {spec.roles[0]: int(m.group(1)), spec.roles[1]: int(m.group(2))}
