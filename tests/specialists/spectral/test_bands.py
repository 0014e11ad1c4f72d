"""Band roles: semantics (names, wavelengths, colour interpretation) before band counts; alpha
bands never play a role; four unnamed bands are not guessed."""

from __future__ import annotations

from specialists.spectral.bands import resolve_roles


def test_alpha_band_never_gets_a_role() -> None:
    rgba = resolve_roles(4, colours=["red", "green", "blue", "alpha"], alpha=[4])
    assert rgba.source == "colour interpretation"
    assert rgba.roles == {"red": 1, "green": 2, "blue": 3} and rgba.get("nir") is None
    # seven bands, the last alpha: the six data bands are a Landsat-8 stack (stated)
    l8 = resolve_roles(7, alpha=[7])
    assert l8.roles["nir"] == 4 and 7 not in l8.roles.values()
    assert any("Landsat-8" in n for n in l8.notes)


def test_four_unnamed_bands_are_not_guessed() -> None:
    found = resolve_roles(4)
    assert found.roles == {} and "not guessed" in found.notes[0]
    assert resolve_roles(4, sensor="rgbn").roles == {"red": 1, "green": 2, "blue": 3, "nir": 4}
    assert resolve_roles(4, sensor="bgrn").roles == {"blue": 1, "green": 2, "red": 3, "nir": 4}
    assert resolve_roles(4, sensor="planetscope").get("red") == 3
    # a stated order covers a band the file marks alpha (GDAL marks band 4 of RGBN bytes so)
    stated = resolve_roles(4, colours=["red", "green", "blue", "alpha"], alpha=[4],
                           sensor="rgbn")
    assert stated.get("nir") == 4 and "marked alpha" in stated.notes[0]


def test_stated_order_must_fit_the_band_count() -> None:
    wrong = resolve_roles(4, sensor="landsat8")
    assert wrong.roles == {} and "6 or 7" in wrong.notes[0]
    assert resolve_roles(13, sensor="landsat8").roles == {}


def test_counts_that_name_one_stack_are_stated_assumptions() -> None:
    for count in (6, 7, 12, 13):
        found = resolve_roles(count)
        assert "nir" in found.roles or "nir_narrow" in found.roles
        assert found.notes and found.notes[0].startswith("assumed")
    assert resolve_roles(3).notes == ["assumed band order red,green,blue from 3 bands"]


def test_infrared_colour_interpretation_names_roles() -> None:
    found = resolve_roles(5, colours=["blue", "green", "red", "nir", "swir"])
    assert found.roles == {"blue": 1, "green": 2, "red": 3, "nir": 4, "swir1": 5}
