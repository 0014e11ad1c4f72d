/* EarthSight map page, part 3: drawing the region of the next question (own small Leaflet code,
   no plugin). A box (two opposite corners, or a drag), a polygon (clicks, then double-click or
   Finish) or a point (one click, sent as a small circle polygon). The shape goes to the server
   as the `region` of the next chat message, in lon/lat (EPSG:4326). */
"use strict";

(function () {
  const ES = window.EarthSightApp;
  const el = ES.el;
  const POINT_RADIUS_M = 30;
  const POINT_SIDES = 32;
  const EARTH_RADIUS_M = 6371008.8;
  const HINTS = {
    box: "Box: click two opposite corners, or drag.",
    polygon: "Polygon: click the corners, then double-click or press Finish.",
    point: `Point: click once; it is sent as a ${POINT_RADIUS_M} m radius circle ` +
           `(${POINT_SIDES}-sided polygon).`,
  };
  const SHAPE_STYLE = { color: "#1f6feb", weight: 2, dashArray: "6 4", fillOpacity: 0.08 };

  let mode = null;
  let vertices = [];       // corners clicked so far (LatLng)
  let pressedAt = null;    // container point of a box's first mouse press (drag detection)
  let sketch = null;       // the shape being drawn
  let drawn = null;        // the finished region on the map

  const rad = (deg) => (deg * Math.PI) / 180;
  const deg = (r) => (r * 180) / Math.PI;

  /** Geodesic area (m²) of a lon/lat ring on the sphere (Chamberlain & Duquette, 2007). */
  function ringArea(ring) {
    let total = 0;
    for (let i = 0; i < ring.length - 1; i += 1) {
      const [lon1, lat1] = ring[i];
      const [lon2, lat2] = ring[i + 1];
      total += rad(lon2 - lon1) * (2 + Math.sin(rad(lat1)) + Math.sin(rad(lat2)));
    }
    return Math.abs((total * EARTH_RADIUS_M * EARTH_RADIUS_M) / 2);
  }

  function areaText(m2) {
    return m2 >= 1e6 ? `${ES.formatNumber(m2 / 1e6)} km²` : `${ES.formatNumber(m2)} m²`;
  }

  function closedRing(latlngs) {
    const ring = latlngs.map((p) => [p.lng, p.lat]);
    ring.push([...ring[0]]);
    return ring;
  }

  function clearSketch() {
    if (sketch) ES.map.removeLayer(sketch);
    sketch = null;
    vertices = [];
    pressedAt = null;
    ES.$("draw-finish").disabled = true;
  }

  ES.setDrawMode = function (next) {
    clearSketch();
    mode = next && next !== mode ? next : null;
    for (const button of document.querySelectorAll("[data-draw]")) {
      button.classList.toggle("active", button.dataset.draw === mode);
    }
    ES.map.getContainer().classList.toggle("drawing", Boolean(mode));
    if (mode) ES.map.closePopup();
    if (mode === "box") ES.map.dragging.disable(); else ES.map.dragging.enable();
    if (mode === "polygon") ES.map.doubleClickZoom.disable(); else ES.map.doubleClickZoom.enable();
    ES.$("draw-hint").textContent = mode ? HINTS[mode] : "";
  };

  function finish(shape, latlngs) {
    const ring = closedRing(latlngs);
    const geometry = { type: "Polygon", coordinates: [ring] };
    const area = ringArea(ring);
    ES.setDrawMode(null);
    ES.clearRegion();
    drawn = L.geoJSON(geometry, { style: () => SHAPE_STYLE, interactive: false }).addTo(ES.map);
    ES.state.region = { shape, geometry, area_m2: area,
                        radius_m: shape === "point" ? POINT_RADIUS_M : null };
    renderNote();
  }

  function boxCorners(a, b) {
    const bounds = L.latLngBounds(a, b);
    return [bounds.getSouthWest(), bounds.getSouthEast(), bounds.getNorthEast(),
            bounds.getNorthWest()];
  }

  function circle(center) {
    const points = [];
    const d = POINT_RADIUS_M / EARTH_RADIUS_M;
    for (let i = 0; i < POINT_SIDES; i += 1) {
      const theta = (2 * Math.PI * i) / POINT_SIDES;
      points.push(L.latLng(center.lat + deg(d * Math.cos(theta)),
                           center.lng + deg((d * Math.sin(theta)) / Math.cos(rad(center.lat)))));
    }
    return points;
  }

  function finishPolygon() {
    if (vertices.length >= 3) finish("polygon", vertices.slice());
  }

  function onMouseDown(ev) {
    if (mode !== "box") return;
    if (!vertices.length) {
      vertices = [ev.latlng];
      pressedAt = ev.containerPoint;
    } else {
      finish("box", boxCorners(vertices[0], ev.latlng));
    }
  }

  function onMouseMove(ev) {
    if (!mode || !vertices.length) return;
    if (sketch) ES.map.removeLayer(sketch);
    sketch = mode === "box"
      ? L.polygon(boxCorners(vertices[0], ev.latlng), { ...SHAPE_STYLE, interactive: false })
      : L.polyline([...vertices, ev.latlng], { ...SHAPE_STYLE, interactive: false });
    sketch.addTo(ES.map);
  }

  function onMouseUp(ev) {
    if (mode !== "box" || !pressedAt) return;
    const dragged = ev.containerPoint.distanceTo(pressedAt) > 5;
    pressedAt = null;
    if (dragged) finish("box", boxCorners(vertices[0], ev.latlng));
  }

  function onClick(ev) {
    if (mode === "point") {
      finish("point", circle(ev.latlng));
    } else if (mode === "polygon") {
      const last = vertices[vertices.length - 1];
      const near = last && ES.map.latLngToContainerPoint(last).distanceTo(ev.containerPoint) < 4;
      if (!near) vertices.push(ev.latlng);
      ES.$("draw-finish").disabled = vertices.length < 3;
    }
  }

  function onDoubleClick() {
    if (mode === "polygon") finishPolygon();
  }

  function renderNote() {
    const note = ES.$("region-note");
    const region = ES.state.region;
    note.replaceChildren();
    note.hidden = !region;
    if (!region) return;
    const radius = region.radius_m ? ` (a ${region.radius_m} m radius circle)` : "";
    note.append(`Region: ${region.shape}${radius}, ${areaText(region.area_m2)}, ` +
                "sent with the next question. ",
    el("button", { type: "button", testid: "region-clear", text: "clear",
                   onclick: () => ES.clearRegion() }));
  }

  /** Remove the drawn region (and any shape being drawn). */
  ES.clearRegion = function () {
    clearSketch();
    if (drawn) ES.map.removeLayer(drawn);
    drawn = null;
    ES.state.region = null;
    renderNote();
  };

  ES.initDrawing = function () {
    const map = ES.map;
    map.on("mousedown", onMouseDown);
    map.on("mousemove", onMouseMove);
    map.on("mouseup", onMouseUp);
    map.on("click", onClick);
    map.on("dblclick", onDoubleClick);
    for (const button of document.querySelectorAll("[data-draw]")) {
      button.addEventListener("click", () => ES.setDrawMode(button.dataset.draw));
    }
    ES.$("draw-finish").addEventListener("click", finishPolygon);
    ES.$("draw-clear").addEventListener("click", () => { ES.setDrawMode(null); ES.clearRegion(); });
    document.addEventListener("keydown", (ev) => {
      if (ev.key === "Escape" && mode) ES.setDrawMode(null);
    });
  };

  ES.drawMode = () => mode;
  ES.POINT_RADIUS_M = POINT_RADIUS_M;
})();
