#!/usr/bin/env bash
# EarthSight demo: plan, then answer, a multi-step question about the bundled real scenes.
# Run it with `make demo` (which installs the venv and sets the offline environment).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

DATA=examples/data
SAR=$DATA/S1_2018_VV_VH_clip.tif
OPTICAL=$DATA/landsat8_LC08_003069_20180906_clip.tif
WORKSPACE=${DEMO_WORKSPACE:-demo-workspace}
QUESTION=${DEMO_QUESTION:-"How much open water is in the Sentinel-1 scene, and what is the mean NDVI of the Landsat-8 scene?"}

rm -rf "$WORKSPACE"

echo "== Scenes (real imagery, see $DATA/ATTRIBUTION.md): $SAR, $OPTICAL"
echo "== Question: $QUESTION"
echo "== Plan (earthsight ask --dry-run --json)"
earthsight ask "$QUESTION" --image "$SAR" --image "$OPTICAL" --dry-run --json

echo
echo "== Answer (earthsight ask)"
status=0
earthsight ask "$QUESTION" --image "$SAR" --image "$OPTICAL" --workspace "$WORKSPACE" || status=$?
if [ "$status" -eq 1 ]; then
    # 1: answered, but a step failed or the planner declined; the answer says which and why.
    echo "(answered in part: see 'Could not do' above)"
elif [ "$status" -ne 0 ]; then
    exit "$status"
fi

echo
echo "== Files written to $WORKSPACE/"
ls -1 "$WORKSPACE"
