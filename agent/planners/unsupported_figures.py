"""Figures no EarthSight tool gives ("the median building size", "trees per hectare", "how wide
is the river", "how many MW they produce"): an asking clause that wants one is reported as not
computed, with what the figure is (see :mod:`agent.planners.coverage`)."""

from __future__ import annotations

import re

PER_CLASS = "an area per class"
"""The start of the per-class area figure (given when several classes are outlined)."""
DAMAGE = "a damage grade per building"
"""The start of the damage-grade figure (given per image when classify_scene has the grades as
labels)."""
FIGURES = (
    (re.compile(r"\b(?:what is|what s|give me|compute|calculate|report|tell me|find)\b[^.?!;]"
                r"{0,15}\bmedian\b(?!(?:\s+[\w/-]+){0,3}?\s+(?:composite|mosaic|image|filter|stack|"
                r"reducer)\b)|\bmedian (?:of|size|area|length|value|height)\b"), "a median"),
    (re.compile(r"\bstandard deviations?\b|\bstd\.? dev\w*|\bthe variance (?:of|in)\b"),
     "a standard deviation or variance"),
    (re.compile(r"\b(?:percentiles?|quantiles?|quartiles?)\b(?!\s+(?:stretch|clip))"),
     "percentiles"),
    (re.compile(r"\b(?:measure|how long is|what is|what s|compute|calculate|give me|report)\b"
                r"[^.?!;]{0,20}\b(?:perimeter|circumference)s?\b|\blength of (?:the )?(?:shore|"
                r"coast)line|\b(?:shore|coast)line length"),
     "a perimeter (measure's length is the long side of each object)"),
    (re.compile(r"\bhow (?:wide|narrow)\b|\b(?:the |average |mean |maximum |minimum )width of\b"),
     "a width"),
    (re.compile(r"\b(?:how many|number of|count of)\b(?! (?:bushels|tonnes|tons|kg|kilograms|"
                r"grams|litres|liters|megagrams|mg)\b)[^.?!;]{0,40}\b(?:per|/|a|an|each|every) ?"
                r"(?:hectare|ha|km2|km²|square kilomet\w*|sq\.? ?km|acre|square mile)s?\b|"
                r"\b(?:tree|stem|plant|building|house|vehicle|car|ship|boat|crown|palm) density\b|"
                r"\b(?:their|the|its) density (?:per|/|in|a) ?(?:hectare|ha|km2|km²|square "
                r"kilomet\w*|sq\.? ?km|acre|square mile)s?\b|"
                r"\bdensity of (?:the )?[a-z]+(?: [a-z]+)? (?:per|/|in|a) ?(?:hectare|ha|km2|km²|"
                r"square kilomet\w*|sq\.? ?km|acre|square mile)s?\b"),
     "a density per area (counts and areas come separately)"),
    (re.compile(r"\bdistances? (?:between|from)\b|\bhow far (?:is|are|was|were|apart|from|"
                r"away)\b|\bhow far (?:did|has|have|had)\b[^.?!;]{0,40}\b(?:move|moved|retreat\w*|"
                r"advance\w*|migrat\w*|shift\w*|erode\w*|recede\w*|prograd\w*)\b"),
     "a distance"),
    (re.compile(r"\bhow (?:many|much|fast)\b(?![^.?!;]{0,30}\bcubic\b)[^.?!;]{0,30}\b(?:met(?:er|"
                r"re)s?|m|km|kilomet\w+|feet|ft) (?:per|a|/) ?(?:year|yr|annum)\b|\b(?:rate|speed|"
                r"pace) of (?:retreat|advance|erosion|migration|movement|accretion)\b"),
     "a rate of movement (trend gives the yearly slope of an area or count)"),
    (re.compile(r"\b(?:ndvi|ndwi|mndwi|ndsi|ndbi|savi|evi|ndmi|gndvi|ndre|nbr|dnbr)\b(?: values?)?"
                r"\s+(?:between|from)\s+-?\d*\.\d+\s+(?:and|to)\s+-?\d*\.\d+\b"),
     "a mask of an index range (spectral_index thresholds one side; the index map is made)"),
    (re.compile(r"\b(?:ndvi|ndwi|mndwi|evi|savi|ndmi|ndbi|gndvi)\b[^.?!;]{0,30}\b(?:into|in) "
                r"(?:three|four|five|3|4|5|several|multiple) (?:classes|categories|bins|levels)\b|"
                r"\b(?:re)?classif\w* (?:it|the (?:ndvi|index|values)|ndvi|ndwi|evi|savi) into\b"
                r"[^.?!;]{0,30}\b(?:low|sparse|poor|very low)\b"),
     "index classes between several thresholds (spectral_index thresholds one side)"),
    (re.compile(r"\b(?:how many|how much|estimate|compute|calculate|what is|what s|give me|report|"
                r"tell me)\b[^.?!;]{0,25}\b(?:[mgk]wh?|(?:mega|giga|kilo)watt[\w-]*)\b|\bhow much "
                r"(?:electricity|electric power|solar power|energy|power)\b(?! (?:lines?|plants?|"
                r"stations?|pylons?|poles?|cables?))"), "a power "
     "or energy figure"),
    (re.compile(r"\bhow full\b(?![^.?!;]{0,40}\b(?:dam|reservoir|lake|pond)s?\b)|\b(?:estimate|"
                r"compute|calculate|give|tell|report|what is|what s)\b[^.?!;]{0,20}\b(?:occupancy|"
                r"utili[sz]ation) (?:rate|percentage|level)\b"), "an occupancy (it needs the "
     "number of spaces; a count gives the objects)"),
    (re.compile(r"\b(?:area|extent|hectares|acreage|km2|km²|pixels?) (?:of|for|in|per|by) "
                r"(?:each|every) (?:land[\s-]?(?:cover|use) )?(?:class|category|type)\b(?![^.?!;]"
                r"{0,40}\b(?:classify|classification of)\b)"),
     f"{PER_CLASS} of a class raster (measure gives the area of a mask's non-zero pixels)"),
    (re.compile(r"\b(?:tonnage|deadweight|dwt|cargo capacity|payload)\b"), "a tonnage or cargo "
     "capacity"),
    (re.compile(r"\b(?:their|its|the) (?:speeds?|velocit(?:y|ies))\b(?! (?:limits?|bumps?|"
                r"cameras?|zones?)\b)|\bhow fast (?:is|are|was|were) (?:it|they|the \w+) "
                r"(?:moving|going|travell?ing|sailing|driving|flying)\b"), "a speed (one image "
     "shows no motion)"),
    (re.compile(r"\b(?:how much|what|expected|estimated?|predicted?|forecast) (?:crop )?yields?"
                r"\b|\byields? (?:can|will|should|would) (?:we|i|they|it) expect\b"),
     "a crop yield"),
    (re.compile(r"\b(?:what|which) crops? (?:each|every|they|it) (?:grows?|has|is)\b"), "a crop "
     "type per field (classify_scene labels whole scenes)"),
    (re.compile(r"(?<!no data )(?<!nothing )\boutside (?:of )?(?:the |all |any )?(?:water|flood\w*|"
                r"lakes?|rivers?|mask\w*|buildings?|forests?)\b"), "a value outside a mask"),
    (re.compile(r"\b(?<!burn )(?:damage|destruction) (?:grades?|levels?|class(?:es)?|"
                r"categor(?:y|ies)|scores?|scale|ratings?)\b(?!\s+(?:are|is)\s+not\b)|"
                r"\b(?:rate|grade|score|classify) (?:the |each |every )?(?:damage|buildings? (?:as|"
                r"by|into|on) (?:[\w-]+ )?(?:damage|destr\w*)|(?:overall )?damage level)\b|"
                r"\b(?:minor|major) damage\b|\bhow (?:badly|severely) (?:damaged|destroyed)\b"),
     f"{DAMAGE} (detect_changes maps where buildings changed, not how badly)"),
)
"""Figures that no tool gives, with what they are: a request asking one is told so."""


def named(norm: str) -> list[str]:
    """What each figure no tool gives that ``norm`` asks for is ("a median", "a width")."""
    return [name for pattern, name in FIGURES if pattern.search(norm)]
