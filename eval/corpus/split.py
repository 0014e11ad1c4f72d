"""Build the dev / frozen held-out parts of the planner corpus from its per-source files.

The split is by source, never by item: every file in ``sources/`` is one public source and
goes whole to one part (``SPLIT`` below). The held-out part is frozen: its SHA-256 is written to
``SPLIT.md`` and checked by ``tests/eval/test_corpus.py``; the planner is never tuned on it.
The script also reports the highest dev <-> held-out sentence similarity (all-MiniLM-L6-v2
cosine, the planner's own encoder) to show the parts are no paraphrases of each other.

Usage: python eval/corpus/split.py [--check]   (--check: verify, write nothing)
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent.parent))

SPLIT: dict[str, list[str]] = {
    "dev": ["rsvqa", "floodnet-vqa", "earthvqa", "geoai", "samgeo", "sentinel-hub-scripts",
            "copernicus-ems", "gis-stackexchange", "esa-snap", "deepforest", "scp-tutorials",
            "sentinel-hub-forum", "rsgee-labs", "ulster-rs-practicals", "cdvqa",
            "global-forest-watch", "nasa-earthdata", "cdse", "deafrica-notebooks",
            "deafrica-usecases", "dea-notebooks", "asf-sar", "geochat", "rs-llm-prompts",
            "xview2", "hrvqa", "opengeos-tutorials", "learn-arcgis", "esri-docs",
            "planetary-computer", "eo-college", "planet-forum", "earth-copilot", "gis-llm-agents",
            "change-vlm", "disaster-vqa", "nasa-arset", "earth-observatory", "earth-lab",
            "carpentries-geospatial", "kaggle-rs", "spacenet-xview3", "rspatial", "qgis-tutorials",
            "mapswipe-hot", "ccrs-tutorial", "eosda-blog", "eo-vendor-usecases", "esa-eduspace",
            "university-rs-labs", "fao-sepal", "openeo", "global-fishing-watch", "skytruth",
            "glacier-snow-rs", "archaeology-rs", "pythongis-book", "grass-gis", "noaa",
            "eumetsat-training", "geo-dl-libraries", "humanitarian-imagery", "crop-monitoring",
            "urban-remote-sensing", "forestry-inventory", "geospatial-python-docs",
            "osint-imagery", "environmental-journalism", "commercial-sar", "coastal-monitoring",
            "drone-mapping-guides", "rs-forum-questions", "servir-training", "psu-geog-courses",
            "agency-rapid-mapping", "esa-eo-stories", "disasters-charter", "unosat-maps",
            "mining-energy-rs", "wildlife-conservation-rs", "usgs-landsat",
            "nasa-applied-sciences", "temporal-rs-datasets", "agri-extension",
            "insurance-claims-rs", "maritime-awareness", "geography-education",
            "rs-vqa-benchmarks", "urban-green-canopy", "reservoir-wetland-monitoring",
            "transport-infrastructure-rs", "landslide-volcano-rs", "food-security-drought",
            "citizen-science-imagery", "planning-compliance-rs", "rooftop-solar-rs",
            "forest-carbon-mrv", "hyperspectral-applications", "economic-activity-rs",
            "cultural-heritage-rs", "oil-spill-sar-rs", "airport-aviation-rs",
            "construction-progress-rs", "displacement-camps-rs", "rangeland-grazing-rs",
            "river-morphology-rs", "blue-carbon-rs", "water-quality-rs", "public-health-rs",
            "urban-heat-rs", "port-logistics-rs", "orchard-vineyard-rs", "wildfire-severity-rs",
            "parks-recreation-rs", "earthquake-damage-rs", "sea-ice-polar-rs",
            "railway-monitoring-rs", "marine-debris-rs", "aquaculture-ponds-rs",
            "avalanche-snow-hazard-rs", "powerline-corridor-rs", "artisanal-mining-rs",
            "peatland-drainage-rs", "greenhouse-plastic-rs", "soil-erosion-rs", "coral-reef-rs",
            "informal-settlement-rs", "landfill-waste-rs", "irrigation-water-use-rs",
            "crop-pest-disease-rs", "renewable-energy-siting-rs", "illegal-logging-rs",
            "envi-tutorials", "orfeo-toolbox", "sentinel-asia-zki", "gfdrr-worldbank",
            "mangrove-restoration-rs", "beach-coastal-erosion-rs", "dune-desertification-rs",
            "dam-bridge-infrastructure-rs", "snow-hydrology-rs", "street-tree-inventory-rs",
            "small-scale-fisheries-rs", "pipeline-energy-corridor-rs", "desert-locust-rs",
            "shipbreaking-yards-rs", "tornado-storm-damage-rs", "permafrost-thermokarst-rs",
            "sand-mining-rs", "cadastre-property-rs", "rice-paddy-rs", "oil-palm-plantation-rs",
            "salt-evaporation-ponds-rs", "kelp-seaweed-rs", "cocoa-agroforestry-rs",
            "hurricane-coastal-damage-rs", "parking-retail-analytics-rs", "lake-ice-phenology-rs",
            "invasive-species-rs", "cap-agri-monitoring-rs", "bark-beetle-forest-rs",
            "tailings-dams-rs", "gas-flaring-oilfield-rs", "urban-sprawl-rs", "school-mapping-rs",
            "ski-resort-mountain-rs", "cropland-abandonment-rs", "golf-sports-facilities-rs",
            "mass-gatherings-rs", "dust-storms-rs", "prairie-pothole-wetlands-rs",
            "beaver-dams-rs", "industrial-sites-datacenters-rs", "quarry-aggregates-rs",
            "livestock-cafo-rs", "river-ice-jam-rs", "vegetation-condition-indices",
            "eo-python-notebooks", "land-cover-lab-exercises", "multi-sensor-image-comparison",
            "flood-mapping-procedures", "burn-severity-procedures", "urban-change-captioning",
            "satellite-time-series-vqa", "volcanic-eruption-rs", "glacial-lake-outburst-rs",
            "field-boundary-delineation-rs", "rs-exam-questions", "eo-browser-timelapse-stories",
            "nighttime-lights-outage-rs", "deforestation-alert-verification-rs",
            "wetland-restoration-series-rs", "landslide-inventory-procedures",
            "crop-type-mapping-tutorials", "building-footprint-mapathons",
            "image-archive-search-tasks", "reservoir-storage-monitoring",
            "border-traffic-counting", "drone-roof-damage-inspection",
            "air-quality-plume-requests", "agricultural-drone-plant-counting",
            "road-condition-potholes", "center-pivot-irrigation", "small-water-body-inventory",
            "active-fire-hotspots", "urban-green-space-audits", "windthrow-storm-forest-damage",
            "coastal-shoreline-procedures", "oil-storage-tank-inventory-rs",
            "solar-farm-buildout-rs", "seabird-colony-counting-rs", "sargassum-beaching-rs",
            "sdg-indicator-reporting-rs", "post-fire-recovery-series-rs",
            "image-quality-cloud-screening-rs", "band-composite-visualisation-rs",
            "coal-stockpile-power-plant-rs", "rail-yard-freight-rs", "urban-pluvial-flooding-rs",
            "tsunami-inundation-rs", "harvest-progress-rs", "tree-species-classification-rs",
            "marina-boats-recreation-rs", "building-height-shadow-rs",
            "whale-marine-mammal-vhr-rs", "protected-area-encroachment-rs",
            "construction-equipment-site-monitoring-rs", "highway-road-expansion-rs",
            "lithium-brine-mining-rs", "desalination-coastal-plant-rs",
            "campus-facility-management-rs", "hedgerow-field-margin-rs",
            "emergency-shelter-landing-zones-rs", "wildfire-defensible-space-rs",
            "cool-roofs-albedo-rs", "offshore-oil-platforms-rs", "canal-waterway-navigation-rs",
            "market-stalls-informal-trade-rs", "water-hyacinth-macrophytes-rs",
            "levee-flood-defence-rs", "karst-sinkhole-rs", "marine-fish-cage-aquaculture-rs",
            "bridge-inspection-drone-rs", "pv-thermal-defect-inspection-rs",
            "waterfowl-wetland-habitat-rs", "floodplain-forest-inundation-rs",
            "winter-roads-snow-clearing-rs", "beach-tourism-crowding-rs",
            "wind-turbine-farm-rs", "swimming-pool-property-tax-rs",
            "wastewater-treatment-plants-rs", "hail-storm-crop-damage-rs",
            "tea-coffee-plantation-rs", "iceberg-ice-shelf-calving-rs",
            "tidal-flats-intertidal-rs", "grassland-mowing-hay-rs", "cyanobacteria-bloom-lakes-rs",
            "electrical-substation-grid-rs", "olive-grove-xylella-rs",
            "mosquito-breeding-habitat-rs", "urban-allotment-gardens-rs",
            "mountain-trail-erosion-rs", "warehouse-logistics-parks-rs",
            "wildlife-road-crossing-rs", "brick-kilns-rs", "agricultural-stubble-burning-rs",
            "open-pit-mine-pit-lakes-rs", "coastal-cliff-rockfall-rs", "night-fishing-lights-rs",
            "port-dredging-sediment-plumes-rs", "river-restoration-dam-removal-rs",
            "vehicle-export-terminals-rs", "cemetery-and-heritage-sites-rs",
            "zoo-safari-park-animals-rs", "ferry-terminals-inland-waterways-rs",
            "airport-apron-aircraft-parking-rs", "stadium-event-parking-rs",
            "peat-bog-restoration-rs", "agroforestry-shelterbelts-rs",
            "rooftop-hvac-industrial-roofs-rs", "glacier-lake-hydropower-reservoirs-rs",
            "coastal-dune-vegetation-rs", "urban-construction-cranes-skyline-rs",
            "fallow-land-crop-rotation-rs", "island-tourism-resorts-rs",
            "orchard-frost-and-hail-nets-rs", "traffic-congestion-roads-rs",
            "wetland-bird-rookery-trees-rs", "landfill-methane-waste-pickers-rs",
            "pasture-fencing-water-points-rs", "urban-waterfront-regeneration-rs",
            "rice-straw-and-harvest-machinery-rs", "flood-debris-and-clean-up-rs",
            "mangrove-aquaculture-conversion-rs", "desert-agriculture-circles-greenhouses-rs",
            "harbour-oil-spill-response-rs", "geothermal-fields-rs",
            "railway-level-crossings-stations-rs", "kelp-and-seagrass-restoration-diver-rs",
            "urban-trees-storm-clearance-rs", "village-water-supply-ponds-rs",
            "ski-lift-snowmaking-reservoirs-rs", "open-air-markets-bazaars-rs",
            "sports-fields-artificial-turf-rs",
            "land-reclamation-artificial-islands-rs", "clearcut-harvest-blocks-compliance-rs",
            "nuclear-thermal-power-cooling-rs", "container-ship-anchorage-congestion-rs",
            "terraced-farmland-abandonment-rs", "heather-moorland-burning-rs",
            "bus-depot-fleet-electrification-rs", "theme-parks-amusement-rs",
            "rubber-bamboo-plantations-rs", "sugarcane-harvest-burning-rs",
            "lakeshore-docks-development-rs", "coastal-groynes-seawalls-rs",
            "highway-truck-stops-rs", "playa-salt-lake-dust-rs", "urban-green-roofs-rs",
            "salt-marsh-dieback-rs", "ghost-forests-saltwater-intrusion-rs",
            "quarry-blasting-gravel-pits-rs", "motorway-noise-barriers-rs",
            "vineyard-frost-fans-rs", "reservoir-drawdown-archaeology-rs",
            "airport-runway-construction-rs", "river-plastic-trash-booms-rs",
            "refugee-camp-water-points-rs", "solar-evaporation-salt-works-rs",
            "golf-course-irrigation-drought-rs", "river-bank-erosion-villages-rs",
            "paddy-field-transplanting-drone-rs", "mountain-huts-trails-hiking-rs",
            "harbour-seal-haulouts-rs", "forest-fire-lookout-firebreaks-rs",
            "industrial-cooling-ponds-heat-rs", "cattle-dip-kraal-livestock-rs",
            "urban-tree-planting-program-rs", "coastal-erosion-cliff-houses-rs",
            "informal-gold-mining-rivers-rs", "warehouse-rooftop-solar-potential-rs",
            "river-delta-sediment-islands-rs", "dryland-farm-ponds-check-dams-rs",
            "port-cranes-container-terminals-rs", "avalanche-debris-roads-rs",
            "lake-shoreline-algae-beaches-rs", "irrigation-canal-lining-seepage-rs",
            "olympic-venues-legacy-rs", "fish-ponds-carp-farming-rs",
            "glacier-ski-tunnels-permafrost-infra-rs", "shipwrecks-coastal-hazards-rs",
            "biodiversity-hedgerow-ponds-farmland-rs", "wind-turbine-blade-inspection-drone-rs",
            "tidal-lagoon-saltpan-birds-rs", "landslide-dam-lakes-rs",
            "cemetery-expansion-urban-land-rs", "ferry-ice-roads-arctic-rs",
            "forest-road-network-logging-rs", "urban-rooftop-pools-water-tanks-rs",
            "peat-fire-smoke-haze-rs", "riverside-sand-bars-navigation-rs",
            "vineyard-terraced-slopes-erosion-rs", "airport-bird-strike-wetlands-rs",
            "abandoned-mines-acid-drainage-rs", "university-campus-parking-solar-rs",
            "mangrove-charcoal-cutting-rs", "sports-marathon-road-closure-rs",
            "hydro-dam-sediment-flushing-rs", "bridge-collapse-river-crossings-rs",
            "school-playground-greening-rs", "river-fish-farms-cages-lakes-rs",
            "rail-track-vegetation-encroachment-rs", "wetland-drainage-farm-conversion-rs",
            "open-dump-burning-landfill-fires-rs", "coastal-aquaculture-seaweed-farms-rs",
            "refinery-flares-tank-farms-rs", "hillside-informal-housing-landslide-risk-rs",
            "tea-estate-workers-housing-rs", "beach-nesting-turtles-rs",
            "urban-heat-cool-pavements-rs", "glacier-moraine-lakes-hydropower-intake-rs",
            "desert-solar-dust-panels-rs", "city-parks-drought-lawn-browning-rs",
            "container-yard-trucks-gate-queues-rs",
            "agricultural-plastic-mulch-rs", "banana-plantation-disease-rs",
            "clandestine-airstrips-trafficking-rs", "conflict-damage-craters-rs",
            "cotton-harvest-defoliation-rs", "crosswalks-road-markings-rs",
            "cruise-ship-port-calls-rs", "cycling-sidewalk-accessibility-rs",
            "date-palm-oasis-rs", "illegal-cannabis-grows-rs", "looting-pits-heritage-rs",
            "penguin-colonies-guano-rs", "satellite-derived-bathymetry-rs",
            "savanna-early-burning-fire-management-rs", "utility-poles-street-furniture-rs",
            "wildlife-waterholes-drought-rs", "cemetery-grave-mapping-drone-rs",
            "drought-stressed-forests-dieback-rs", "fish-farm-escape-storm-rs",
            "flooded-rice-methane-rs", "glacier-debris-rock-glacier-rs",
            "harbor-sediment-dredge-spoil-islands-rs", "hop-vineyard-trellis-rs",
            "hospital-health-facility-access-rs", "ice-road-frozen-lake-fishing-rs",
            "military-airbase-osint-rs", "railway-high-speed-construction-rs",
            "roadside-billboards-signage-rs", "stormwater-retention-ponds-rs",
            "tidal-marsh-ponding-rs", "urban-tree-canopy-loss-development-rs",
            "wildlife-poaching-ranger-patrol-rs", "coastal-mangrove-shrimp-abandoned-ponds-rs",
            "fishing-harbour-boat-counts-west-africa-rs", "glacier-lake-ice-avalanche-tourism-rs",
            "horse-equestrian-paddocks-rs", "landfill-leachate-lagoons-birds-rs",
            "levee-breach-crevasse-splay-rs", "mountain-road-construction-landslides-rs",
            "orchard-tree-counting-citrus-rs", "pilgrimage-religious-gatherings-rs",
            "quarantine-border-fence-wildlife-rs", "river-sand-dredgers-boats-rs",
            "rooftop-gardens-urban-farming-rs", "snow-avalanche-ski-terrain-rs",
            "sports-stadium-crowds-fan-zones-rs", "urban-flooding-basement-cars-rs",
            "vineyard-abandonment-replanting-rs", "airport-snow-clearing-deicing-rs",
            "coastal-lighthouses-navigation-aids-rs", "flood-evacuation-shelters-roofs-rs",
            "giant-kelp-otters-coastal-wildlife-rs", "lake-drawdown-boat-ramps-docks-rs",
            "mangrove-crab-mudflat-fisheries-rs", "permafrost-roads-pipelines-thaw-rs",
            "quarry-restoration-lakes-biodiversity-rs", "roadside-trees-hazard-powerlines-rs",
            "rural-electrification-mini-grids-rs", "school-sports-field-drought-irrigation-rs",
            "solar-farm-sheep-grazing-agrivoltaics-rs", "storm-surge-debris-lines-rs",
            "tree-nursery-christmas-tree-farms-rs", "urban-informal-waste-collection-points-rs",
            "wetland-cattle-grazing-trampling-rs",
            "atoll-island-villages-sea-level-rs", "campgrounds-rv-parks-tourism-rs",
            "cashew-orchards-smallholder-rs", "desert-sand-encroachment-roads-rail-rs",
            "elephant-crop-raiding-farm-fences-rs", "eucalyptus-pulp-plantations-rotation-rs",
            "flowering-crops-rapeseed-lavender-rs", "hurricane-blue-tarp-roofs-rs",
            "intertidal-fish-traps-weirs-rs", "nomad-camps-highland-pasture-rs",
            "offshore-wind-construction-vessels-rs", "oyster-reefs-shellfish-beds-rs",
            "poultry-barns-avian-flu-rs", "seagrass-propeller-scars-moorings-rs",
            "timber-yards-log-piles-sawmills-rs", "urban-demolition-redevelopment-rs",
            "arctic-coastal-villages-erosion-rs", "bike-share-micromobility-docks-rs",
            "crop-marks-drought-archaeology-rs", "dairy-farms-slurry-lagoons-rs",
            "dead-malls-retail-parking-rs", "floating-solar-reservoirs-rs",
            "lava-flow-buried-houses-rs", "mining-haul-trucks-fleet-rs",
            "naval-bases-drydocks-osint-rs", "polar-research-stations-rs",
            "railway-washouts-flood-rs", "river-barges-low-water-shipping-rs",
            "rooftop-snow-load-collapse-rs", "scrapyards-auto-salvage-rs",
            "wildebeest-migration-herds-rs", "wildflower-superbloom-tourism-rs",
            "avalanche-barriers-rockfall-nets-rs", "coastal-squatter-boats-liveaboards-rs",
            "container-farms-vertical-greenhouses-urban-rs", "fire-scars-tundra-boreal-rs",
            "fjord-salmon-farms-lice-rs", "golf-course-conversion-housing-rs",
            "highway-wildlife-overpasses-fencing-rs", "hydrogen-ammonia-port-industrial-rs",
            "irrigation-reservoirs-farm-dams-australia-rs", "motorsport-circuits-race-events-rs",
            "peri-urban-brickfields-smog-south-asia-rs",
            "sports-beach-volleyball-urban-beaches-rs", "steel-mills-industrial-heat-rs",
            "sugar-beet-potato-harvest-piles-rs", "tropical-glacier-andes-retreat-rs",
            "wind-erosion-dust-farmland-rs", "agroforestry-coffee-shade-trees-rs",
            "apiaries-beehives-pollination-rs", "cemetery-overflow-covid-graves-rs",
            "cocoa-deforestation-ivory-coast-traceability-rs", "drought-cattle-dams-kenya-rs",
            "illegal-dumping-roadside-waste-rs", "lake-level-dam-boat-ramps-drought-rs",
            "mangrove-boardwalks-ecotourism-rs", "port-grain-terminals-silos-rs",
            "river-gravel-mining-bars-rs", "rooftop-telecom-towers-5g-rs",
            "ski-jump-winter-sports-venues-rs", "tailings-spill-river-plume-rs",
            "urban-flood-underpass-subway-rs", "urban-heat-islands-schoolyards-rs",
            "wetland-peat-cutting-turf-bogs-rs",
            "pakistan-2022-floods-rs", "derna-dam-collapse-flood-rs", "lahaina-wildfire-town-rs",
            "kakhovka-dam-breach-rs", "beirut-port-explosion-rs", "suez-canal-ship-queue-rs",
            "gerd-reservoir-filling-rs", "lake-chad-shrinkage-rs", "aral-sea-desiccation-rs",
            "dead-sea-sinkholes-shoreline-rs", "niger-delta-illegal-refineries-rs",
            "cerrado-soybean-expansion-rs", "amazon-cattle-pasture-ranching-rs",
            "permian-well-pads-frac-sand-rs", "greenland-supraglacial-lakes-rs",
            "derecho-crop-lodging-wind-damage-rs", "homeless-encampments-urban-rs",
            "savanna-charcoal-kilns-rs", "south-china-sea-island-outposts-rs",
            "ghost-cities-vacant-housing-rs", "tonga-eruption-ash-coast-rs",
            "ahr-valley-flash-flood-rs", "hurricane-marina-boat-damage-rs",
            "bushfire-koala-habitat-rs", "ukraine-farmland-war-craters-rs",
            "volcano-ashfall-crops-roofs-rs", "urban-metro-rail-depots-rs",
            "wildfire-evacuation-routes-rs", "coal-spoil-heaps-mine-waste-rs",
            "forest-gaps-selective-logging-rs", "paddy-flood-crop-insurance-bangladesh-rs",
            "festival-temporary-cities-rs", "mekong-delta-saltwater-rice-rs",
            "sahel-great-green-wall-rs", "chernobyl-exclusion-zone-rs",
            "mosul-old-city-reconstruction-rs", "venice-lagoon-mose-rs",
            "panama-canal-drought-ship-queue-rs", "great-salt-lake-shrinking-rs",
            "amazon-drought-2023-rivers-rs", "bangladesh-char-islands-rs",
            "nusantara-capital-construction-rs", "neom-the-line-construction-rs",
            "lake-mead-bathtub-ring-rs", "rio-grande-do-sul-2024-floods-rs",
            "valencia-dana-2024-flash-flood-rs", "morocco-2023-earthquake-villages-rs",
            "mauritius-wakashio-oil-spill-rs", "hurricane-helene-appalachia-rs",
            "mongolia-dzud-livestock-rs", "helmand-poppy-cultivation-rs",
            "texas-border-wall-construction-rs", "uyghur-xinjiang-detention-sites-rs",
            "north-korea-nuclear-missile-sites-rs", "gulf-of-mexico-dead-zone-rs",
            "antarctic-krill-fishing-vessels-rs", "black-sea-grain-corridor-ports-rs",
            "yangtze-2022-drought-rs", "po-river-drought-2022-rs",
            "turkey-syria-earthquake-2023-rs", "ethiopia-tigray-conflict-rs",
            "canada-2023-wildfires-rs", "sudan-el-fasher-siege-rs",
            "pacific-atoll-runways-military-rs", "maui-axis-deer-drought-rs",
            "kenya-lake-turkana-rising-rs", "india-char-dham-highway-landslides-rs",
            "nile-delta-coastal-erosion-rs", "jakarta-sinking-seawall-rs",
            "bolivia-lithium-uyuni-ponds-rs", "scottish-salmon-farm-mortality-rs",
            "svalbard-permafrost-infrastructure-rs", "ivory-coast-cocoa-swollen-shoot-rs",
            "tanzania-ngorongoro-maasai-rs", "arctic-zombie-fires-siberia-rs",
            "galapagos-fishing-fleet-rs", "los-angeles-2025-fires-rs",
            "bangkok-floods-industrial-estates-rs", "lebanon-beqaa-cannabis-agriculture-rs",
            "chile-megadrought-avocado-water-rs"],
    "heldout": ["teochat", "un-spider", "gee-community-tutorials"],
}
"""Which sources form which part. RSVQA, FloodNet and EarthVQA questions resemble items of our
own planner tests, and geoai / samgeo come from one organisation: all of them stay in dev. The
last 586 dev sources were added after the split was frozen (the held-out file is unchanged);
sources of one publisher (DE Africa notebooks and use cases, Learn ArcGIS and Esri docs) share
the dev side."""
MAX_SIMILARITY = 0.85
NEAR_HELD_OUT = {"rsgee-labs-18", "nasa-earthdata-11"}
"""Dev items left out because their question is within MAX_SIMILARITY of a held-out question
(found by this script's similarity check; the held-out part is never edited)."""


def part_lines(part: str) -> list[str]:
    """The JSONL lines of one part, sources in SPLIT order, items in file order."""
    lines: list[str] = []
    for source in SPLIT[part]:
        for line in (HERE / "sources" / f"{source}.jsonl").read_text().splitlines():
            if line.strip():
                item = json.loads(line)
                if part == "dev" and item.get("id") in NEAR_HELD_OUT:
                    continue
                if item.get("source") != source:
                    raise SystemExit(f"{source}.jsonl: item {item.get('id')} names source "
                                     f"{item.get('source')!r}")
                lines.append(json.dumps(item, ensure_ascii=False))
    return lines


def sha256(text: str) -> str:
    """Hex SHA-256 of a text (UTF-8)."""
    return hashlib.sha256(text.encode()).hexdigest()


def max_similarity(dev: list[str], heldout: list[str]) -> tuple[float, str, str]:
    """Highest cosine between a dev and a held-out question, with the two ids."""
    from agent.planners.sentence_encoder import cosine, get_encoder

    enc = get_encoder()
    d = [json.loads(x) for x in dev]
    h = [json.loads(x) for x in heldout]
    sims = cosine(enc.encode([q["question"] for q in d]), enc.encode([q["question"] for q in h]))
    i, j = divmod(int(sims.argmax()), sims.shape[1])
    return float(sims[i, j]), d[i]["id"], h[j]["id"]


def main() -> int:
    """Write dev.jsonl, heldout.jsonl and SPLIT.md (or, with --check, verify them)."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--check", action="store_true", help="verify the files, write nothing")
    ns = ap.parse_args()
    parts = {p: part_lines(p) for p in SPLIT}
    texts = {p: "\n".join(lines) + "\n" for p, lines in parts.items()}
    ids = [json.loads(x)["id"] for lines in parts.values() for x in lines]
    if len(ids) != len(set(ids)):
        raise SystemExit("duplicate ids in the corpus")
    sim, dev_id, held_id = max_similarity(parts["dev"], parts["heldout"])
    if ns.check:
        for p, text in texts.items():
            if (HERE / f"{p}.jsonl").read_text() != text:
                raise SystemExit(f"{p}.jsonl differs from its sources: run eval/corpus/split.py")
        print(f"ok: highest dev/held-out similarity {sim:.3f}")
        return 0
    for p, text in texts.items():
        (HERE / f"{p}.jsonl").write_text(text)
    rows = "\n".join(f"| {p} | {', '.join(SPLIT[p])} | {len(parts[p])} |" for p in SPLIT)
    (HERE / "SPLIT.md").write_text(f"""# Planner corpus split (by source)

| part | sources | items |
|---|---|---|
{rows}

- held-out file: `eval/corpus/heldout.jsonl`
- held-out sha256: `{sha256(texts["heldout"])}`
- highest dev <-> held-out question similarity (all-MiniLM-L6-v2 cosine): {sim:.3f}
  ({dev_id} / {held_id}); goal < {MAX_SIMILARITY}; dev items left out as too close to a held-out
  question: {", ".join(sorted(NEAR_HELD_OUT)) or "none"}

The held-out part is frozen: it is only scored and reported (`earthsight eval`), never used to
change planner rules, vocabulary or thresholds. Each item carries its public source URL.
""")
    print(f"dev {len(parts['dev'])}, held-out {len(parts['heldout'])}, "
          f"max similarity {sim:.3f} ({dev_id}/{held_id})")
    return 0 if sim < MAX_SIMILARITY else 1


if __name__ == "__main__":
    raise SystemExit(main())
