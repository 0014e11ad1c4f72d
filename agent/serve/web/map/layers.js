/* EarthSight map page, part 2: the scene picker and the layers panel. Scenes and the session's
   artifacts are map layers: rasters and masks as tiles rendered by the server, vectors as
   GeoJSON with popups; each can be toggled, faded and zoomed to. */
"use strict";

(function () {
  const ES = window.EarthSightApp;
  const el = ES.el;
  const Z_INDEX = { scene: 200, raster: 300, mask: 400 };
  const entries = new Map();   // layer id -> {view, group, visible, opacity, leaflet, loaded}
  ES.layerEntries = entries;

  const prefsKey = () => `earthsight.layers.${ES.state.session || "new"}`;
  const scenesKey = (id) => `earthsight.scenes.${id || ES.state.session || "new"}`;

  function readJson(key, fallback) {
    try {
      const value = JSON.parse(window.localStorage.getItem(key) || "null");
      return value === null ? fallback : value;
    } catch (err) {
      return fallback;
    }
  }
  const writeJson = (key, value) => window.localStorage.setItem(key, JSON.stringify(value));

  function savePrefs() {
    const prefs = {};
    for (const [id, e] of entries) prefs[id] = { visible: e.visible, opacity: e.opacity };
    writeJson(prefsKey(), prefs);
  }

  ES.boundsOf = function (bounds) {
    const [w, s, e, n] = bounds;
    return L.latLngBounds([s, w], [n, e]);
  };

  function popupFor(feature, view) {
    const props = feature.properties || {};
    const rows = [["layer", view.name]];
    if (props.class !== undefined) rows.push(["class", props.class]);
    if (typeof props.confidence === "number") rows.push(["confidence", props.confidence.toFixed(2)]);
    if (props.area) rows.push(["area", props.area]);
    else if (typeof props.area_m2 === "number") rows.push(["area", `${ES.formatNumber(props.area_m2)} m²`]);
    return el("table", { className: "popup-table", testid: "feature-popup" },
      rows.map(([k, v]) => el("tr", {}, el("td", { text: k }), el("td", { text: v }))));
  }

  function makeLeaflet(entry) {
    const view = entry.view;
    if (view.kind === "vector") {
      const layer = L.geoJSON(null, {
        style: () => ({ color: "#ff7800", weight: 2, opacity: entry.opacity,
                        fillOpacity: 0.25 * entry.opacity }),
        pointToLayer: (feature, latlng) => L.circleMarker(latlng, { radius: 5 }),
        onEachFeature: (feature, item) => item.bindPopup(() => popupFor(feature, view)),
      });
      if (view.geojson) {
        ES.call("GET", view.geojson).then((data) => {
          layer.addData(data);
          entry.features = (data.features || []).length;
          entry.loaded = true;
        }).catch((err) => ES.showError(`layer ${view.name}: ${err.message}`));
      }
      return layer;
    }
    if (!view.tiles) return null;
    const options = { opacity: entry.opacity, zIndex: Z_INDEX[view.kind] || 300, maxZoom: 22,
                      className: `es-layer es-kind-${view.kind}` };
    if (view.bounds) options.bounds = ES.boundsOf(view.bounds);
    const layer = L.tileLayer(view.tiles, options);
    layer.on("loading", () => { entry.loaded = false; });
    layer.on("load", () => { entry.loaded = true; });
    layer.on("tileerror", () => { entry.tileErrors += 1; });
    return layer;
  }

  function show(entry) {
    if (!entry.leaflet) return;
    const onMap = ES.map.hasLayer(entry.leaflet);
    if (entry.visible && !onMap) {
      entry.loaded = false;
      entry.leaflet.addTo(ES.map);
    } else if (!entry.visible && onMap) {
      ES.map.removeLayer(entry.leaflet);
    }
  }

  /** Make the layers of ``group`` ("scene" or "session") exactly ``views`` (LayerView list). */
  ES.syncLayers = function (views, group) {
    const prefs = readJson(prefsKey(), {});
    const wanted = new Set(views.map((v) => v.id));
    for (const [id, entry] of entries) {
      if (entry.group === group && !wanted.has(id)) {
        if (entry.leaflet) ES.map.removeLayer(entry.leaflet);
        entries.delete(id);
      }
    }
    for (const view of views) {
      if (entries.has(view.id)) continue;
      const pref = prefs[view.id] || {};
      const entry = { view, group, visible: pref.visible !== false,
                      opacity: typeof pref.opacity === "number" ? pref.opacity : 1,
                      loaded: false, tileErrors: 0, features: null, leaflet: null };
      entry.leaflet = makeLeaflet(entry);
      entries.set(view.id, entry);
      show(entry);
    }
    ES.renderLayers();
  };

  ES.refreshSessionLayers = async function () {
    if (!ES.state.session) return ES.syncLayers([], "session");
    const data = await ES.call("GET", ES.sessionUrl("/layers"));
    ES.syncLayers(data.layers || [], "session");
  };

  ES.setVisible = function (id, visible) {
    const entry = entries.get(id);
    if (!entry) return;
    entry.visible = Boolean(visible);
    show(entry);
    savePrefs();
    ES.renderLayers();
  };

  ES.setOpacity = function (id, opacity) {
    const entry = entries.get(id);
    if (!entry || !entry.leaflet) return;
    entry.opacity = Math.max(0, Math.min(1, Number(opacity)));
    if (entry.view.kind === "vector") {
      entry.leaflet.setStyle({ opacity: entry.opacity, fillOpacity: 0.25 * entry.opacity });
    } else {
      entry.leaflet.setOpacity(entry.opacity);
    }
    savePrefs();
  };

  ES.zoomTo = function (id) {
    const entry = entries.get(id);
    if (entry && entry.view.bounds) ES.map.fitBounds(ES.boundsOf(entry.view.bounds));
  };

  function legend(view) {
    if (view.legend && view.legend.length) {
      return el("ul", { className: "legend", testid: "layer-legend" }, view.legend.map((item) => {
        const swatch = el("span", { className: "swatch" });
        swatch.style.background = item.color;
        return el("li", {}, swatch, `${item.label} (${item.value})`);
      }));
    }
    const bar = view.colorbar;
    if (bar && bar.colors && bar.colors.length) {
      const strip = el("div", { className: "colorbar" });
      strip.style.background = `linear-gradient(to right, ${bar.colors.join(", ")})`;
      const units = bar.units ? ` ${bar.units}` : "";
      return el("div", { testid: "layer-colorbar" }, strip,
        el("div", { className: "colorbar-labels" },
          el("span", { text: `${ES.formatNumber(bar.min)}${units}` }),
          el("span", { text: `${ES.formatNumber(bar.max)}${units}` })));
    }
    return null;
  }

  ES.renderLayers = function () {
    const list = ES.$("layers");
    list.replaceChildren();
    const sorted = [...entries.values()].sort((a, b) =>
      (a.group === b.group ? 0 : a.group === "scene" ? -1 : 1));
    for (const entry of sorted) {
      const view = entry.view;
      const id = view.id;
      const slider = el("input", { type: "range", min: 0, max: 1, step: 0.05, value: entry.opacity,
        testid: "layer-opacity", "aria-label": `opacity of ${view.name}`,
        oninput: (ev) => ES.setOpacity(id, ev.target.value) });
      const toggle = el("input", { type: "checkbox", testid: "layer-toggle",
        checked: entry.visible, "aria-label": `show ${view.name}`,
        onchange: (ev) => ES.setVisible(id, ev.target.checked) });
      const where = [view.step, view.tool, view.call_id].filter(Boolean).join(" ");
      list.append(el("li", { testid: "layer-item", "data-layer-id": id, "data-kind": view.kind },
        el("div", { className: "row" }, toggle,
          el("span", { className: "name", text: view.name, title: view.note || null }),
          el("span", { className: "kind", text: where ? `${view.kind} · ${where}` : view.kind })),
        slider,
        el("div", { className: "row" },
          el("button", { type: "button", testid: "layer-zoom", disabled: !view.bounds,
                         onclick: () => ES.zoomTo(id), text: "zoom to" }),
          view.download ? el("a", { href: view.download, download: "", testid: "layer-download",
                                    text: "download" }) : null,
          view.units ? el("span", { className: "hint", text: view.units }) : null),
        legend(view)));
    }
    if (!entries.size) list.append(el("li", { className: "hint", text: "no layers yet" }));
  };

  /* --- scenes ------------------------------------------------------------------------------ */

  ES.loadScenes = async function () {
    const data = await ES.call("GET", "/scenes");
    ES.state.scenes = data.scenes || [];
    ES.renderScenes();
  };

  ES.restorePicked = function (fallback) {
    const stored = readJson(scenesKey(), null);
    ES.setPicked(Array.isArray(stored) ? stored : fallback || [], true);
  };

  /** Choose the scenes (their layers become the base layers); ``fit`` zooms to them. */
  ES.setPicked = function (paths, fit) {
    const known = new Map(ES.state.scenes.map((s) => [s.path, s]));
    ES.state.picked = paths.filter((p) => known.has(p));
    writeJson(scenesKey(), ES.state.picked);
    const views = ES.state.picked.map((p) => known.get(p).layer).filter(Boolean);
    ES.syncLayers(views, "scene");
    if (fit && views.length) {
      const all = views.filter((v) => v.bounds).map((v) => ES.boundsOf(v.bounds));
      if (all.length) {
        const box = L.latLngBounds(all[0].getSouthWest(), all[0].getNorthEast());
        all.forEach((b) => box.extend(b));
        ES.map.fitBounds(box);
      }
    }
    ES.renderScenes();
  };

  ES.keepPickedFor = (id) => writeJson(scenesKey(id), ES.state.picked);

  ES.renderScenes = function () {
    const list = ES.$("scenes");
    list.replaceChildren();
    for (const scene of ES.state.scenes) {
      const picked = ES.state.picked.includes(scene.path);
      const box = el("input", { type: "checkbox", checked: picked, testid: "scene-checkbox",
        "aria-label": `choose ${scene.path}`,
        onchange: (ev) => {
          const rest = ES.state.picked.filter((p) => p !== scene.path);
          ES.setPicked(ev.target.checked ? [...rest, scene.path] : rest, ev.target.checked);
        } });
      const size = scene.width ? ` ${scene.width}×${scene.height}×${scene.bands}` : "";
      const where = scene.bounds ? "" : " (no georeference: not on the map)";
      list.append(el("li", { testid: "scene-option", "data-path": scene.path },
        el("label", {}, box, ` ${scene.path}`,
          el("span", { className: "hint", text: `${size} ${scene.crs || ""}${where}` }))));
    }
    if (!ES.state.scenes.length) {
      list.append(el("li", { className: "hint",
        text: "no scenes under the server's data folders (EARTHSIGHT_DATA)" }));
    }
  };

  ES.layerSnapshot = () => [...entries.values()].map((e) => ({
    id: e.view.id, name: e.view.name, kind: e.view.kind, group: e.group, visible: e.visible,
    opacity: e.opacity, loaded: e.loaded, tileErrors: e.tileErrors, features: e.features,
    bounds: e.view.bounds || null, step: e.view.step || null, tool: e.view.tool || null,
  }));
})();
