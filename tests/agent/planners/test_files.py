"""The roles of named files: reference, result, zones, region, output, scene."""

from __future__ import annotations

from agent.planners.files import Files, given_assessment, given_vector, named_mask, read_files
from agent.planners.text import read_request
from agent.planners.vocab import get_vocabulary

V = get_vocabulary()


def roles(text: str) -> tuple[Files, list[str]]:
    req = read_request(text, V.corrector)
    files = read_files(req, V)
    return files, files.scenes(req.files)


def test_reference_and_result_of_an_accuracy_request() -> None:
    files, scenes = roles("what is the IoU of pred.tif against gt.tif")
    assert (files.assess, files.make, files.result, files.reference) == (True, False, "pred.tif",
                                                                         "gt.tif")
    assert scenes == []
    files, _ = roles("compare the water mask with the reference water.tif")
    assert files.reference == "water.tif" and files.result is None
    files, _ = roles("IoU between pred.tif and labels.tif")  # by name
    assert files.reference == "labels.tif" and files.result == "pred.tif"
    files, _ = roles("validate detections.geojson against truth.geojson")
    assert files.result == "detections.geojson" and files.reference == "truth.geojson"


def test_make_then_assess_keeps_the_scene() -> None:
    for text in ("map the water in s1.tif and check it against label.tif",
                 "what changed in s1.tif? check it against label.tif",
                 "validate the water map of s1.tif against label.tif"):
        files, scenes = roles(text)
        assert files.assess and files.make and files.reference == "label.tif", text
        assert files.result is None and scenes == ["s1.tif"], text
    for text in ("check my water map against label.tif", "validate the detections against "
                 "label.tif", "compare water_mask.tif with the reference label.tif"):
        files, _ = roles(text)
        assert files.assess and not files.make, text


def test_no_assessment_without_accuracy_words_or_a_label_file() -> None:
    for text in ("compare a.tif and b.tif", "compare before.tif against after.tif",
                 "how accurate is the water map?", "detect changes between reference.tif and "
                 "target.tif"):
        files, _ = roles(text)
        assert not files.assess and files.reference is None, text
    files, _ = roles("compare pred.tif with labels.tif")  # a label file compared with
    assert files.assess and files.reference == "labels.tif"


def test_vectors_are_regions_or_zones_and_outputs_are_no_scenes() -> None:
    files, _ = roles("detect buildings in a.tif inside fields.geojson")
    assert files.region == "fields.geojson" and files.zones is None
    files, _ = roles("mean NDVI of a.tif per field in fields.geojson")
    assert files.zones == "fields.geojson" and files.region is None
    files, scenes = roles("map water in s1.tif and save the mask as water.tif")
    assert files.outputs == ["water.tif"] and scenes == ["s1.tif"]
    files, _ = roles("count ships in a.tif and export them to ships.geojson")
    assert files.region is None and files.outputs == ["ships.geojson"]


def test_a_mask_raster_the_work_is_inside_is_the_region() -> None:
    """"the buildings inside the flood extent flood.tif": the raster is the region (a mask the
    tools cut to), not a scene; a raster after "in" alone stays a scene."""
    files, scenes = roles("count the buildings in a.tif that lie inside the flood extent "
                          "flood.tif")
    assert files.region == "flood.tif" and scenes == ["a.tif"]
    files, scenes = roles("count the buildings in a.tif and b.tif")
    assert files.region is None and scenes == ["a.tif", "b.tif"]


def test_a_given_mask_named_by_description_is_the_region() -> None:
    """"overlay the flood on the cropland mask" with cropland_mask.tif given: the region; a
    file whose name shares no describing word is none, nor is one of a single scene."""
    paths = ["S1_flood.tif", "cropland_mask.tif"]
    assert named_mask("overlay the flood extent on the cropland mask", paths) == \
        "cropland_mask.tif"
    assert named_mask("map the water inside the forest mask", paths) is None
    assert named_mask("compare the extent of 2019 to the extent of 2020",
                      ["extent_2019.tif", "extent_2020.tif"]) is None
    assert named_mask("on the cropland mask", ["cropland_mask.tif"]) is None
    assert named_mask("map the water in the flood extent for each image",
                      ["flood_extent_a.tif", "flood_extent_b.tif"]) is None


def test_a_vector_given_beside_the_scene_is_the_region_where_the_text_says_so() -> None:
    paths = ["s2.tif", "stand_12.geojson"]
    for text, region in (("total agb in tonnes inside the polygon", "stand_12.geojson"),
                         ("mean ndvi in the field boundary", "stand_12.geojson"),
                         ("mean ndvi of the scene", None),  # no place said
                         ("compare the buildings against our cadastre polygons", None)):
        files = Files()
        given_vector(text, paths, [], files, V)
        assert files.region == region, text
    files = Files()
    given_vector("mean ndvi inside the polygon", paths, ["stand_12.geojson"], files, V)
    assert files.region is None  # named in the text: the named-file rules read it


def test_an_accuracy_request_over_files_given_but_not_named() -> None:
    files = Files()
    given_assessment("accuracy of the water mask vs the reference",
                     ["water_mask.tif", "ref_water.tif"], [], files, V)
    assert (files.assess, files.reference, files.result, files.make) == (
        True, "ref_water.tif", "water_mask.tif", False)
    files = Files()
    given_assessment("map the water and assess it against the ground truth",
                     ["s1.tif", "gt_water.tif"], [], files, V)
    assert (files.assess, files.reference, files.result, files.make) == (
        True, "gt_water.tif", None, True)
    files = Files()
    given_assessment("map the water", ["s1.tif", "gt_water.tif"], [], files, V)
    assert not files.assess  # no accuracy asked
    assert Files(reference="gt.tif").truth() == "gt.tif"
    assert Files(reference="b.tif").truth() is None  # (no truth name: maybe a scene)


def test_a_vector_named_for_its_objects_is_no_region() -> None:
    for path in ("buildings.geojson", "roads_osm.geojson", "tree_points.geojson"):
        files = Files()
        given_vector("how many lie within the flood extent", ["s1.tif", path], [], files, V)
        assert files.region is None, path


def test_a_given_vector_named_by_its_place_is_the_region() -> None:
    """"only look inside the protected area" with protected_area.geojson given: the region; not
    "outside of the harbor", nor a figure asked inside and outside."""
    vocab = get_vocabulary()
    for text, region in (
            ("compute ndvi for each year. only look inside the protected area.",
             "protected_area.geojson"),
            ("compute the fraction of the watershed covered by snow", "watershed.gpkg"),
            ("count ships outside of the harbor.", None),
            ("mean ndvi for the protected area and outside it", None)):
        req = read_request(text, vocab.corrector)
        vector = region or ("harbor.geojson" if "harbor" in text else "protected_area.geojson")
        files = read_files(req, vocab, ["s2.tif", vector])
        assert files.region == region, text
