"""Sizes and units in words: the area and length filters a request sets ("bigger than 15 m²",
"under 2 acres", "longer than 50 m") and the unit its answer is asked in ("in hectares", "how
many acres", "the total length in miles")."""

from __future__ import annotations

import re

from agent.planners.slots import NUM, Span

_SQ_FT = 0.09290304
_AREA_UNITS = {"m2": 1.0, "m^2": 1.0, "sqm": 1.0, "sq m": 1.0, "square meter": 1.0,
               "square metre": 1.0, "ha": 1e4, "hectare": 1e4, "km2": 1e6, "sq km": 1e6,
               "square kilometer": 1e6, "square kilometre": 1e6, "acre": 4046.8564224,
               "ac": 4046.8564224, "sq ft": _SQ_FT, "sqft": _SQ_FT, "ft2": _SQ_FT,
               "ft^2": _SQ_FT, "square foot": _SQ_FT, "square feet": _SQ_FT}
_AREA_UNIT = (r"(m2|m\^2|sqm|sq\.? ?m|square met(?:er|re)|ha|hectare|km2|sq\.? ?km|"
              r"square kilomet(?:er|re)|acre|ac|sq\.? ?ft|ft2|ft\^2|square f(?:oo|ee)t)s?\b")
_LENGTH_UNITS = {"m": 1.0, "meter": 1.0, "metre": 1.0, "km": 1000.0, "kilometer": 1000.0,
                 "kilometre": 1000.0, "ft": 0.3048, "feet": 0.3048, "foot": 0.3048}
_LENGTH_UNIT = r"(m|meter|metre|km|kilomet(?:er|re)|ft|feet|foot)s?\b(?![\^²])"
_OUT_UNITS = {"ha": "ha", "hectare": "ha", "hectares": "ha", "km2": "km2", "sq km": "km2",
              "square km": "km2",
              "square kilometer": "km2", "square kilometre": "km2", "square kilometers": "km2",
              "square kilometres": "km2", "m2": "m2", "sqm": "m2", "square meter": "m2",
              "square metre": "m2", "square meters": "m2", "square metres": "m2"}


_TOTAL_ASKED = re.compile(r"(?:^|[.?!;:,]\s*|\b(?:tell me|check|know|see|and|confirm|find out|"
                          r"determine|verify)\s+)(?:is|was|does|did|whether|if)\s+(?:the\s+)?"
                          r"(?:total\s+|overall\s+|combined\s+|whole\s+)?"
                          r"(?:[a-z-]+\s+){0,2}area\s+(?:is\s+|was\s+|now\s+)?$")
"""A yes/no question on a total ("is the flooded area larger than 10 km2?"): no size filter."""


def find_area_filters(text: str) -> tuple[float | None, float | None, list[Span]]:
    """``(min_area_m2, max_area_m2, spans)`` from "bigger than 15 m²", "under 2 ha" ..."""
    lo = (r"(?:bigger|larger|greater|more|wider|over|above|exceed(?:s|ing)?|at least|>=?|"
          r"min(?:imum)? (?:[a-z]+ )?(?:area|size)(?: of)?|area (?:>=?|above|over|of at least)|"
          r"mmu(?: of| is| =|:)?|min(?:imum)?[\s-]+mapping[\s-]+unit(?: of| is| =|:)?)")
    hi = r"(?:smaller|less|tinier|under|below|at most|<=?|max(?:imum)? (?:area|size)(?: of)?)"
    spans: list[Span] = []
    values: list[float | None] = []
    text = re.sub(r"\bhalf an? (?=hect|acre|square|sq|km)", lambda m: "0.5".ljust(len(m.group(0))),
                  text)  # "smaller than half a hectare" (same length: the spans stay)
    rng = re.search(r"\bbetween\s*" + NUM + r"\s*(?:" + _AREA_UNIT + r")?\s*(?:and|to|-)\s*"
                    + NUM + r"\s*" + _AREA_UNIT, text)
    if rng:  # "between 100 and 500 m2": both bounds in the second number's unit
        unit = rng.group(2) or rng.group(4)
        lo_v = float(rng.group(1)) * _area_factor(unit)
        hi_v = float(rng.group(3)) * _area_factor(rng.group(4))
        return lo_v, hi_v, [rng.span()]
    for comp, after in ((lo, r"(?:or|and)\s+(?:larger|bigger|more|above|greater|over)"),
                        (hi, r"(?:or|and)\s+(?:smaller|less|below|under)")):
        m = next((f for f in re.finditer(comp + r"\s*(?:than\s*)?" + NUM + r"\s*" + _AREA_UNIT,
                                         text)
                  if not _TOTAL_ASKED.search(text[:f.start()] + (  # "is the flooded area larger
                      "area " if f.group(0).startswith("area") else ""))), None) or \
            re.search(NUM + r"\s*" + _AREA_UNIT + r"\s*(?:\([^)]{0,30}\)\s*)?" + after + r"\b",
                      text)  # than 10 km2?": the total, no filter; "30 m2 or larger", "1 ha
        # (10,000 m2) or more"
        if m:
            values.append(float(m.group(1)) * _area_factor(m.group(2)))
            spans.append(m.span())
        else:
            values.append(None)
    if values[1] is not None and re.search(  # "dropping masks under 5 m2"
            r"\b(drop|dropping|remove|removing|exclude|excluding|ignore|ignoring|discard\w*|"
            r"filter\w* out|skip|skipping|leave out|leaving out|throw\w* (?:away|out)|weed\w* out|"
            r"get rid of|getting rid of)\b[^.?!;]{0,30}$",
            text[:spans[-1][0]]):
        values = [values[0] if values[0] is not None else values[1], None]  # (with a minimum
        # mapping unit said too: the same size)
    return values[0], values[1], spans


def _area_factor(unit: str) -> float:
    """m² per ``unit`` as written ("sq. ft", "hectares", "km2" ...)."""
    key = unit.replace(".", "")
    key = key[:-1] if key.endswith("s") and key not in ("ac",) else key
    key = key.replace("feet", "foot") if key.startswith("square") else key
    return _AREA_UNITS.get(key, _AREA_UNITS.get(key.replace(" ", ""), 1.0))


def find_length_filter(text: str) -> tuple[float | None, list[Span]]:
    """``(min_length_m, spans)`` from "longer than 50 m", "over 100 metres long" ..."""
    comp = (r"(?:longer|taller|wider|bigger|larger|greater|more|over|above|exceeding|at least|"
            r">=?|min(?:imum)? length(?: of)?|length (?:>=?|above|over|of at least|"
            r"greater than|more than))")
    m = re.search(r"\bbetween\s*" + NUM + r"\s*(?:and|to|-)\s*(?:-?\d+(?:\.\d+)?)\s*"
                  + _LENGTH_UNIT, text)  # "between 50 and 100 m long": the lower bound
    if not m:  # (not an amount: "at least 26 km of new canals", "of more than 9 km from a to b")
        m = re.search(comp + r"\s*(?:than\s*)?" + NUM + r"\s*" + _LENGTH_UNIT
                      + r"(?!\s+(?:of|from)\b)", text)
    if not m:
        m = re.search(NUM + r"\s*" + _LENGTH_UNIT + r"\s*(?:long|or longer|in length|\+)", text)
    if not m:  # "ignore boats under 10 metres": the shorter ones left out
        m = re.search(r"\b(?:ignor\w*|drop\w*|exclud\w*|skip\w*|leav\w* out|without|not counting)"
                      r"\s+(?:the\s+|any\s+|all\s+)?(?:[a-z-]+\s+){0,2}(?:under|below|shorter "
                      r"than|less than)\s*" + NUM + r"\s*" + _LENGTH_UNIT
                      + r"(?!\s*(?:wide|high|tall|deep|away))", text)
    if not m or re.match(r"\s*(?:a\.?s\.?l\b|above sea|altitude|elevation)", text[m.end():]) or (
            m.group(0).startswith(("above", "over")) and re.search(
                r"\b(?:lost|loss|cleared|felled|burn\w*|forests?|snow|ice|glaciers?|located|lies|"
                r"lying|situated|sits|grows?|growing)\s+(?:\w+\s+)?$", text[:m.start()])):
        return None, []  # "lost above 700 m", "over 1,500 m altitude": a height
    unit = re.sub(r"s$", "", m.group(2))
    return float(m.group(1)) * _LENGTH_UNITS.get(unit, 1.0), [m.span()]


_OUTPUT_UNIT = re.compile(
    r"(?<![a-z0-9])(hectares?|ha|km2|km\^2|sq\.? ?km|square km|square kilomet(?:er|re)s?|m2|"
    r"m\^2|sqm|sq\.? ?m\b|square met(?:er|re)s?|"
    r"acres?|mi2|sq\.? ?mi|square miles?|ft2|sq\.? ?ft|square f(?:ee|oo)t)"
    r"(?![a-z0-9]|-f(?:oo|ee)t)")  # no acre-feet (a volume)
_CORRECTION = re.compile(r"\b(?:actually|rather|instead|make (?:that|it)|no(?=,)|no wait|wait|"
                         r"sorry|scratch that|i mean|i meant)\b")
"""A correction between two units ("in acres... actually hectares is fine"): the later wins."""


def find_output_units(text: str) -> str | None:
    """Area unit the answer should use ("in hectares" -> ha, "how many acres" -> acre),
    ignoring "15 m²" filters, "80-acre field" adjectives and "t per ha" densities. Acres,
    square miles and square feet count only where they are asked for ("in acres", "how many
    acres"). The first unit the area is given in ("the total in hectares") wins over a "how
    many acres" before it, that over a bare unit word, and a correction ("in acres... actually
    hectares") over all."""
    found: list[tuple[int, str, int]] = []
    for m in _OUTPUT_UNIT.finditer(text):
        before = text[max(0, m.start() - 14):m.start()]
        if re.search(r"\d\s*$|(?:/|\bper)\s*$|-$", before):
            continue  # "15 m2" filters; "mg/ha", "t per ha" densities; "2-million-plus-acre"
        word = re.sub(r"^sq(?!uare)\.? ?", "sq ", m.group(1)).replace("^", "")  # "sq. km", "sqkm"
        word = {"sq m": "sqm", "sq km": "sq km"}.get(word, word)
        asked = re.search(r"\b(?:(in|into|as)|how many|number of)\s+(?:square\s+)?$|,\s*$",
                          before)
        unit = _OUT_UNITS.get(word)
        if unit is None:  # acres, square miles or feet: only where asked ("under ACRES",
            if not asked:  # "1.9 million fallow acres" name no unit of the answer)
                continue
            unit = "acre" if word.startswith("acre") else "ft2" if "f" in word else "mi2"
        if found and _CORRECTION.search(text, found[-1][0], m.start()):
            return unit
        found.append((m.start(), unit, 0 if asked is None else 2 if asked.group(1) else 1))
    return max(found, key=lambda f: (f[2], -f[0]))[1] if found else None


def find_length_units(text: str) -> str | None:
    """Length unit the answer should use ("total length in km", "how many kilometres of
    road", "in miles", "in feet"): km, m, mi or ft; None when no length unit is asked (a "50 m"
    filter is none)."""
    m = re.search(r"\b(?:in|into|as|length|lengths)\s+(km|kilomet(?:er|re)s?|m|met(?:er|re)s?|"
                  r"miles?|mi|feet|ft)(?![\w²])(?!\s*(?:wide|long|high|deep|buffer|pixels?|resolution|gsd|per)"
                  r"\b)|\bhow many (km|kilomet(?:er|re)s?|met(?:er|re)s?|miles|feet)\b"
                  r"(?! (?:wide|long|per)\b)", text)
    if m is None:
        return None
    word = m.group(1) or m.group(2)
    return ("km" if word.startswith("k") else "mi" if word.startswith("mi") else
            "ft" if word.startswith("f") else "m")
