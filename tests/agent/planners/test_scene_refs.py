"""Scenes referred to by modality: words that describe a named file pick nothing, an ask
that names a modality picks the scenes of that modality."""

from __future__ import annotations

from agent.plan import Scene
from agent.planners import scene_refs, scene_roles
from agent.planners.offline import OfflinePlanner
from agent.planners.scenes import stated_modalities
from agent.planners.text import read_request
from agent.planners.vocab import get_vocabulary

TEXT = ("We have a radar scene (csk_20230208.tif) and an optical image (phr_20230210.tif). "
        "On the optical image, count the buildings.")


def test_noun_phrase_before_a_name_gives_its_modality() -> None:
    vocab = get_vocabulary()
    req = read_request(TEXT, vocab.corrector)
    assert stated_modalities(req.norm, req.mentions, vocab) == {
        "csk_20230208.tif": "sar", "phr_20230210.tif": "multispectral"}
    req = read_request("Compare a.tif and b.tif.", vocab.corrector)
    assert stated_modalities(req.norm, req.mentions, vocab) == {}


def test_names_in_statements_do_not_stop_a_modality_pick() -> None:
    vocab = get_vocabulary()
    req = read_request(TEXT, vocab.corrector)
    paths = ["csk_20230208.tif", "phr_20230210.tif"]
    assert not scene_refs.names_all(req.norm, req.mentions, paths)
    scenes = [("csk_20230208.tif", "sar"), ("phr_20230210.tif", "multispectral")]
    assert scene_refs.referenced(req.norm, scenes) == [1]
    both = read_request("Detect the ships in csk_20230208.tif and in the optical "
                        "phr_20230210.tif.", vocab.corrector)
    assert scene_refs.names_all(both.norm, both.mentions, paths)


def test_describing_words_pick_nothing() -> None:
    vocab = get_vocabulary()
    req = read_request("I have a radar scene (a.tif) and an optical image (b.tif): detect the "
                       "ships in both.", vocab.corrector)
    assert scene_refs.referenced(req.norm, [("a.tif", "sar"), ("b.tif", "multispectral")]) == []
    three = read_request("I've got the Sentinel-1 scene from before (a.tif), the Sentinel-1 "
                         "scene from after (b.tif) and a Sentinel-2 image from before the rain "
                         "(c.tif). Compare the two radar images.", vocab.corrector)
    assert scene_refs.referenced(three.norm, [("a.tif", "sar"), ("b.tif", "sar"),
                                              ("c.tif", "multispectral")]) == [0, 1]
    named = read_request("count the ships in the sentinel-1 scene", vocab.corrector)
    assert scene_refs.referenced(named.norm, [("a.tif", "sar"), ("c.tif", "multispectral")]) \
        == [0]


def test_coordinated_date_words_name_both_scenes() -> None:
    """"the older and (the) newer image", "the earlier and later photo": both scenes, no pick;
    "the newer image" alone still picks the newer one."""
    vocab = get_vocabulary()
    scenes = [("bay_2004.tif", None), ("bay_2019.tif", None)]
    for text in ("how much land was gained between the older and the newer image?",
                 "what changed between the earlier and later photo?",
                 "compare the newer and older scenes"):
        assert scene_refs.referenced(read_request(text, vocab.corrector).norm, scenes) == []
    newer = read_request("map the water in the newer image", vocab.corrector)
    assert scene_refs.referenced(newer.norm, scenes) == [1]


def test_a_month_picks_a_file_dated_by_month_only() -> None:
    vocab = get_vocabulary()
    req = read_request("what is the mean ndvi of the field in the june image?", vocab.corrector)
    scenes = [("field_2023-05.tif", None), ("field_2023-06.tif", None)]
    assert scene_refs.referenced(req.norm, scenes) == [1]


def test_coordinated_months_and_years_pick_each_scene_named() -> None:
    """"the June and July images" picks both (not June alone); "the 2018 and 2020 images"
    both of three; "the May 2021 one" the scene of that month and year."""
    vocab = get_vocabulary()
    months = [("h_2021-06.png", None), ("h_2021-07.png", None), ("h_2021-08.png", None)]
    years = [("x_2018.png", None), ("x_2019.png", None), ("x_2020.png", None)]
    dated = [("a_2021-05-04.tif", None), ("a_2021-06-10.tif", None), ("a_2022-05-01.tif", None)]
    for text, scenes, picked in (
            ("in the june and july images, count the boats", months, [0, 1]),
            ("count the buildings in the 2018 and 2020 images", years, [0, 2]),
            ("what about the may 2021 one?", dated, [0]),
            ("the flood of may 2021 hit the town; compare the images", dated, [])):
        assert scene_refs.referenced(read_request(text, vocab.corrector).norm, scenes) == picked


def test_the_baseline_of_a_comparison_keeps_both_scenes() -> None:
    """A scene named as what another is compared with ("since the first photo", "compared
    with the earlier image", "not there in the first image") picks no single scene; a growth
    said of the later scene compares it with the earlier one."""
    vocab = get_vocabulary()
    scenes = [("t_2016.tif", None), ("t_2021.tif", None)]
    for text in ("show me where new buildings have come up since the first photo",
                 "what share is newly developed compared with the earlier image?",
                 "how much forest was lost from the first to the second image?",
                 "point out new roads that were not there in the first image",
                 "how many buildings are in the 2021 image, and how many are new since 2016?",
                 "by how much did the paved surface expand in the later image?",
                 "what is in the 2016 image but gone in 2021?"):
        assert scene_refs.referenced(read_request(text, vocab.corrector).norm, scenes) == []
    for text, picked in (("count the cars in the first photo", [0]),
                         ("are there more ships than boats in the second image?", [1]),
                         ("is there less snow in the later image?", []),
                         ("count the buildings that appear only in the later image", []),
                         ("count the ships only in the second image", [1]),
                         ("i have one scene a month; map the water on each", []),
                         ("count the ships in image a", [0]),
                         ("are there fewer ships in the second image?", [])):
        assert scene_refs.referenced(read_request(text, vocab.corrector).norm, scenes) == picked
    three = [("a_2015.tif", None), ("a_2018.tif", None), ("a_2021.tif", None)]
    since = read_request("which buildings are new since the first image?", vocab.corrector)
    assert scene_refs.referenced(since.norm, three) == []
    pair = read_request("in the 2021 image, count the ships, compared with the 2015 image",
                        vocab.corrector)
    assert scene_refs.referenced(pair.norm, three) == [0, 2]


def test_the_baseline_scene_is_before() -> None:
    scenes = [("x_2021.tif", None), ("x_2019.tif", None)]
    assert scene_refs.baseline("How many are new since 2019?", scenes) == 1
    assert scene_refs.baseline("How many are in the first image compared with the second?",
                               scenes) == 1
    assert scene_refs.baseline("Compare the two images.", scenes) is None


def test_scenes_by_position_and_left_out() -> None:
    vocab = get_vocabulary()
    three = [("y_2019.tif", None), ("y_2020.tif", None), ("y_2021.tif", None)]
    for text, picked in (("on the middle image, how many planes are there?", [1]),
                         ("detect the planes in the last two images", [1, 2]),
                         ("count ships in the first two scenes", [0, 1]),
                         ("skip the first file and count trucks in the others", [1, 2]),
                         ("count the cars in every image except the first", [1, 2]),
                         ("map water in all scenes excluding 2020", [0, 2]),
                         ("ignore the first 10 rows of pixels and count trucks", [])):
        assert scene_refs.referenced(read_request(text, vocab.corrector).norm, three) == picked
    five = [(f"v{i}.tif", None) for i in range(1, 6)]
    for text, picked in (("has the number of buildings increased between image 1 and 2?", [0, 1]),
                         ("count the cars in images 2 to 4", [1, 2, 3]),
                         ("count the cars in scenes a, b and d", [0, 1, 3]),
                         ("count the cars in image 2 and a mask", [1]),  # an article, no image
                         ("image 3 and 40 m of road", [2])):  # a length, no image
        assert scene_refs.referenced(read_request(text, vocab.corrector).norm, five) == picked
    compared = read_request("what objects appear in the later image but not in the earlier one?",
                            vocab.corrector)
    assert scene_refs.referenced(compared.norm, three[:2]) == []


def test_a_sensor_and_a_date_of_one_scene_pick_the_scene_of_both() -> None:
    """"the optical image from 2023" is the optical scene of 2023, not every optical scene and
    the 2023 one; a sensor and a date of two scenes ("the radar image and the 2023 image") still
    name both."""
    scenes = [("harbour_S1_VV_2019-05-02.tif", "sar"),
              ("harbour_S2_2021-05-04.tif", "multispectral"),
              ("harbour_S2_2023-05-06.tif", "multispectral")]
    for text, expected in (("count ships in the optical image from 2023", [2]),
                           ("the 2021 optical one", [1]),
                           ("compare the radar image and the 2023 image", [0, 2]),
                           ("count ships in the optical images", [1, 2])):
        assert scene_refs.referenced(text, scenes) == expected, text


def test_the_other_scene_and_a_flawed_one_left_out() -> None:
    """"the first image is cloudy; ... the other one" is the second; "skip the cloudy 2020
    scene" leaves that one out; "compare the first image with the other one" keeps both."""
    pair = [("a.png", None), ("b.png", None)]
    assert scene_refs.referenced("the first image is cloudy; count the ships in the other one.",
                                 pair) == [1]
    assert scene_refs.referenced("compare the first image with the other one", pair) == []
    years = [("l_2019.tif", None), ("l_2020.tif", None), ("l_2021.tif", None)]
    assert scene_refs.referenced("skip the cloudy 2020 scene and map the water in the "
                                 "remaining ones.", years) == [0, 2]


def test_a_sensor_word_picks_the_scenes_named_for_it() -> None:
    """"the Landsat scene" of a Landsat and a Sentinel-2 file is the Landsat one (both are
    optical); with no sensor in the names, the modality picks."""
    scenes = [("LC08_2020.tif", "multispectral"), ("S2A_2020.tif", "multispectral"),
              ("s1_vv.tif", "sar")]
    assert scene_refs.referenced("compute ndvi on the landsat scene only", scenes) == [0]
    assert scene_refs.referenced("count ships on the sentinel-2 image", scenes) == [1]
    assert scene_refs.referenced("count ships on the optical images", scenes) == [0, 1]


def test_a_season_picks_the_scenes_of_its_months() -> None:
    """"the winter image" is the one dated December to February, "the summer scenes" those of
    June to August (northern hemisphere; the plan notes it); a season with no scene of its
    months picks none."""
    vocab = get_vocabulary()
    scenes = [("alps_2021-01-15.tif", None), ("alps_2021-07-20.tif", None),
              ("alps_2021-08-03.tif", None)]
    for text, picked in (("map the snow in the winter image", [0]),
                         ("which of the summer scenes has the most cloud?", [1, 2]),
                         ("count the huts in the image from the summer", [1, 2]),
                         ("the autumn image: map the snow", [])):
        req = read_request(text, vocab.corrector)
        assert scene_refs.referenced(req.norm, scenes) == picked, text
    plan = OfflinePlanner().plan("Take the winter image and map snow cover.",
                                 [Scene(path=p) for p, _ in scenes[:2]])
    assert {s.args["image"] for s in plan.steps} == {"alps_2021-01-15.tif"}
    assert any("northern hemisphere" in n for n in plan.notes)


def test_a_role_by_order_without_a_verb_or_as_the_target_picks_none() -> None:
    """"pre-fire is the first file, post-fire the second" and "image A as the reference and image
    B as the target" give the pair's roles; neither picks one scene."""
    vocab = get_vocabulary()
    scenes = [("a.tif", None), ("b.tif", None)]
    for text in ("a burn severity map: pre-fire is the first file, post-fire the second.",
                 "use image a as the reference and image b as the target; count new buildings"):
        req = read_request(text, vocab.corrector)
        assert scene_refs.referenced(req.norm, scenes) == [], text
        assert scene_roles.roles_by_order(text) == "kept", text
    assert scene_roles.roles_by_order("post-fire is the first file, pre-fire the second") == \
        "swapped"
    text = "image b is the before scene, image a after. changed area in ha."
    assert scene_refs.referenced(read_request(text, vocab.corrector).norm, scenes) == []
    assert scene_roles.roles_by_order(text) == "swapped"
    assert scene_roles.roles_by_order("detect change between the scenes, image 2 before and "
                                      "image 1 after") == "swapped"
    assert scene_roles.roles_by_order("count ships in the second after the storm") is None
    assert scene_roles.roles_by_order("image 1 after sharpening, image 2 raw: detect changes") \
        is None  # a processing step, no role


def test_a_file_name_token_and_a_place_among_one_modality() -> None:
    """"the VV image" picks the file named for VV, "the PlanetScope one" the PS_ file; "the
    image is from 2020" that year's scene; "the later of the two radar images" the later SAR
    scene by date, "the first of the radar images" the first SAR scene given."""
    vocab = get_vocabulary()
    cases = (
        ("count ships in the vv image only", ["s1_vv_20230510.tif", "s1_vh_20230510.tif"], [0]),
        ("on the planetscope image, count the trucks", ["S2_20220602.tif", "PS_20220601.tif"],
         [1]),
        ("detect planes in whichever image is from 2020", ["apt_2018.png", "apt_2020.png"], [1]),
        ("use the later of the two radar images to map the flood",
         ["s1_20230513.tif", "s1_20230501.tif", "s2_20230512.tif"], [0]),
        ("map water in the first of the radar images",
         ["s2_20230502.tif", "s1_20230513.tif", "s1_20230501.tif"], [1]),
        ("count the ships in the vv and vh images", ["s1_vv.tif", "s1_vh.tif"], []),
    )
    for text, paths, picked in cases:
        req = read_request(text, vocab.corrector)
        moded = [(p, "sar" if p.lower().startswith("s1") else None) for p in paths]
        assert scene_refs.referenced(req.norm, moded) == picked, text


def test_scenes_by_side_name_word_bare_name_and_last_n() -> None:
    """"the left image", "the harbour image" (a word of harbour_P0023.png), "in P0002" (its
    name without the extension), "in the last two and ...": each picks its scenes; a size said
    of both ("the left image is 0.3 m and the right 0.6 m; ...") picks none."""
    two = [("lot_left.png", None), ("lot_right.png", None)]
    assert scene_refs.referenced("how many vehicles are in the left one?", two) == [0]
    assert scene_refs.referenced("soccer fields in the right image", two) == [1]
    assert scene_refs.referenced("the left image is 0.3 m and the right image is 0.6 m; how "
                                 "many vehicles are in the left one?", two) == [0]
    named = [("harbour_P0023.png", None), ("airport_P0024.png", None)]
    assert scene_refs.referenced("count the ships in the harbour image", named) == [0]
    assert scene_refs.referenced("count the planes in the image of the airport", named) == [1]
    assert scene_refs.referenced("count the planes in the harbour image and in the airport "
                                 "image", named) == []  # (both)
    bare = [("P0001.png", None), ("P0002.png", None)]
    assert scene_refs.referenced("how many planes in p0002?", bare) == [1]
    three = [("t1.png", None), ("t2.png", None), ("t3.png", None)]
    assert scene_refs.referenced("count the buildings in the last two and tell me the "
                                 "difference", three) == [1, 2]


def test_a_hyperspectral_cube_file_is_named_by_its_modality(planner: OfflinePlanner) -> None:
    plan = planner.plan("Compute NDVI on the multispectral one and make a pseudo-RGB of the "
                        "hyperspectral cube.", [Scene(path="pavia_u.mat"),
                                                Scene(path="s2_field.tif")])
    assert [(s.tool, s.args["image"]) for s in plan.steps] == [
        ("spectral_index", "s2_field.tif"), ("pseudo_rgb", "pavia_u.mat")]


def test_coordinated_places_time_steps_and_frame_numbers() -> None:
    """"the first or the second?" names both; "the first, third and fifth" each; "from t1 to
    t3" the files named t1 and t3; "frame 0" the file numbered 0 when the files count from 0."""
    two = [("a_2020.tif", None), ("a_2021.tif", None)]
    assert scene_refs.referenced("which has more ships, the first or the second?", two) == []
    assert scene_refs.referenced("is the lake bigger in the first or in the second scene?",
                                 two) == []
    assert scene_refs.referenced("count the ships in the second?", two) == [1]
    five = [(f"l8_{y}.tif", None) for y in (2013, 2015, 2017, 2019, 2021)]
    assert scene_refs.referenced("water in the first, third and fifth images", five) == [0, 2, 4]
    frames = [(f"frame_t{i}.png", None) for i in range(6)]
    assert scene_refs.referenced("how much area changed from t1 to t3?", frames) == [1, 3]
    assert scene_refs.referenced("count buildings at t=0 and at t=5", frames) == [0, 5]
    numbered = [(f"s2_frame_{i}.tif", None) for i in range(4)]
    assert scene_refs.referenced("compare frame 0 and frame 3", numbered) == [0, 3]
    counted = [(f"chip_{i}.png", None) for i in range(1, 4)]
    assert scene_refs.referenced("count the cars in image 2", counted) == [1]


def test_sequencing_words_ranges_and_numbered_files() -> None:
    """", first, ..." and ", last, ..." order the work, pick no scene; "t0..t3" and "from t1
    through t3" are every step between (a change "from t1 to t3" its two ends); "image 1" of
    frame_0 ... frame_3 is the first file, "frame 1" the file numbered 1."""
    three = [("a.tif", None), ("b.tif", None), ("c.tif", None)]
    assert scene_refs.referenced("please, first, map the water and then count ships", three) == []
    assert scene_refs.referenced("count the ships and, last, measure the water area", three) == []
    assert scene_refs.referenced("do the first, second or third image show ships?",
                                 [*three, ("d.tif", None)]) == [0, 1, 2]
    steps = [(f"t{i}.tif", None) for i in range(5)]
    assert scene_refs.referenced("plot the trend of water area from t0 to t3", steps) == [0, 1, 2,
                                                                                         3]
    assert scene_refs.referenced("count cars from t1 through t3", steps) == [1, 2, 3]
    assert scene_refs.referenced("how much changed from t1 to t3?", steps) == [1, 3]
    frames = [(f"frame_{i}.png", None) for i in range(4)]
    assert scene_refs.referenced("count cars in image 1", frames) == [0]
    assert scene_refs.referenced("count cars in frame 1", frames) == [1]


def test_coordinated_places_after_a_comma_and_ranges_before_a_change() -> None:
    two = [("a.tif", None), ("b.tif", None)]
    assert scene_refs.referenced("which has more water, first or second scene?", two) == []
    steps = [(f"t{i}.tif", None) for i in range(5)]
    assert scene_refs.referenced("water area from t0 to t2, then the difference to t3",
                                 steps) == [0, 1, 2, 3]


def test_a_scene_said_of_in_background_is_not_left_out() -> None:
    planner = OfflinePlanner()
    for text in ("Apart from b.tif, all scenes were taken in summer. Compute NDVI for every "
                 "scene.", "Other than b.tif, the images come from Sentinel-2. Map water in "
                 "each."):
        plan = planner.plan(text, [Scene(path=p) for p in ("a.tif", "b.tif", "c.tif")])
        assert [s.args["image"] for s in plan.steps] == ["a.tif", "b.tif", "c.tif"], text
    plan = planner.plan("Compute NDVI for all images except b.tif",
                        [Scene(path=p) for p in ("a.tif", "b.tif", "c.tif")])
    assert [s.args["image"] for s in plan.steps] == ["a.tif", "c.tif"]


def test_a_yes_no_question_of_one_scene_and_not_the_other_reads_both() -> None:
    planner = OfflinePlanner()
    plan = planner.plan("Is the bridge in image B, not image A?",
                        [Scene(path="a.png"), Scene(path="b.png")])
    assert [s.args["image"] for s in plan.steps] == ["a.png", "b.png"]
    plan = planner.plan("Count the buildings in image B, not image A",
                        [Scene(path="a.png"), Scene(path="b.png")])
    assert [s.args["image"] for s in plan.steps] == ["b.png"]


def _norm(text: str) -> str:
    return read_request(text, None).norm


def test_one_list_of_three_or_more_names_none() -> None:
    files = ["club_2012.tif", "club_2016.tif", "club_2020.tif"]
    text = "In the third image, how many tennis courts are there? " + ", ".join(files)
    req = read_request(text, None)
    assert not scene_refs.names_all(req.norm, req.mentions, files)
    assert scene_refs.referenced(req.norm, [(f, None) for f in files]) == [2]
    pair = read_request("Count the boats in a.tif and b.tif.", None)  # a pair named: both
    assert scene_refs.names_all(pair.norm, pair.mentions, ["a.tif", "b.tif"])


def test_words_that_only_contain_a_letter_pick_nothing() -> None:
    chips = [(f"simcoe_chip_00{i}.png", None) for i in range(1, 6)]
    assert scene_refs.referenced(_norm("I tiled our winter survey flights into chips."),
                                 chips) == []
    assert scene_refs.referenced(_norm("count the huts in tile b"), chips) == [1]


def test_a_date_every_scene_has_and_a_sensor_said_only_of_one() -> None:
    scenes = [("S2A_MSIL2A_20240309_dover.tif", "multispectral"),
              ("LC08_L2SP_199024_20240309.tif", "multispectral"),
              ("S1A_IW_GRDH_1SDV_20240309_dover.tif", "sar")]
    text = _norm("Of these three files from 9 March, only the radar one is free of cloud: "
                 "a.tif, b.tif and c.tif. Count the ships on it.")
    assert scene_refs.referenced(text, scenes) == [2]
    glaciers = [("LE07_gl_19980817.tif", "multispectral"), ("LE07_gl_20060822.tif",
                                                            "multispectral"),
                ("S2A_MSIL2A_20170825_gl.tif", "multispectral")]
    text = _norm("Outline the ice in the 1998 and 2006 Landsat 7 images and in the 2017 "
                 "Sentinel-2 image.")
    assert scene_refs.referenced(text, glaciers) == []  # every one of them


def test_files_named_in_the_ask_and_words_that_are_no_order_pick_none() -> None:
    files = ["port_a.tif", "port_b.tif", "port_c.tif"]
    req = read_request("Count the ships in port_a.tif, port_b.tif and port_c.tif and tell me "
                       "which is the most recent.", None)
    assert scene_refs.names_all(req.norm, req.mentions, files)  # named in the ask: all of them
    scenes = [(f, None) for f in files]
    assert scene_refs.referenced(_norm("Is the stretch just right? Make a true colour picture."),
                                 scenes) == []
    assert scene_refs.referenced(_norm("compare just first and last, what is new?"),
                                 scenes) == [0, 2]
