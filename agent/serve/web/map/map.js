/* EarthSight map page, part 5: start-up. Log in with the #token=... of the address (posted to
   /login, which sets the HttpOnly cookie; the fragment is removed at once), make the map (no
   online basemap unless one is set in Settings), restore the session named in ?session=<id>
   (its turns and layers), and expose a read-only `window.earthsight` for tests. */
"use strict";

(function () {
  const ES = window.EarthSightApp;
  const S = ES.state;
  const BASEMAP_KEY = "earthsight.basemap";
  let basemap = null;

  function basemapError(text) {
    ES.$("basemap-error").textContent = text || "";
  }

  function applyBasemap(template) {
    if (basemap) ES.map.removeLayer(basemap);
    basemap = null;
    basemapError("");
    if (!template) return;
    if (!/^https?:\/\/[^/]+\/.*\{z\}.*\{x\}.*\{y\}/.test(template) &&
        !/^https?:\/\/[^/]+\/.*\{z\}.*\{y\}.*\{x\}/.test(template)) {
      basemapError("A basemap needs an http(s) URL template with {z}, {x} and {y}.");
      return;
    }
    const host = new URL(template.replace(/\{[a-z]\}/g, "0")).host;
    basemap = L.tileLayer(template, { zIndex: 1, maxZoom: 22, attribution: `basemap: ${host}` });
    basemap.addTo(ES.map);
  }

  function initMap() {
    ES.map = L.map("map", { maxZoom: 22, zoomSnap: 0.25, fadeAnimation: false }).setView([20, 0], 2);
    ES.map.attributionControl.setPrefix("Leaflet");
    applyBasemap(window.localStorage.getItem(BASEMAP_KEY));
    document.addEventListener("securitypolicyviolation", (ev) => {
      if (basemap && ev.violatedDirective.startsWith("img-src")) {
        basemapError("The server's policy blocked the basemap: allow its origin with " +
                     "EARTHSIGHT_MAP_TILE_ORIGINS when starting the server.");
      }
    });
    ES.$("basemap-url").value = window.localStorage.getItem(BASEMAP_KEY) || "";
    ES.$("basemap-form").addEventListener("submit", (ev) => {
      ev.preventDefault();
      const template = ES.$("basemap-url").value.trim();
      if (template) window.localStorage.setItem(BASEMAP_KEY, template);
      else window.localStorage.removeItem(BASEMAP_KEY);
      applyBasemap(template);
    });
    ES.$("basemap-clear").addEventListener("click", () => {
      window.localStorage.removeItem(BASEMAP_KEY);
      ES.$("basemap-url").value = "";
      applyBasemap(null);
    });
  }

  function showLogin(message) {
    S.loggedIn = false;
    ES.$("login").hidden = false;
    ES.$("login-error").textContent = message || "";
    ES.status("not logged in");
  }

  /** Log in with the token of the address fragment (removed from the address first). */
  async function loginFromFragment() {
    const match = /(?:^#|&)token=([^&]+)/.exec(window.location.hash);
    if (!match) return;
    window.history.replaceState(null, "", window.location.pathname + window.location.search);
    if (!(await ES.login(decodeURIComponent(match[1])))) {
      showLogin("The token in the address was not accepted.");
    }
  }

  function fitToSessionLayers() {
    if (S.picked.length) return;
    const first = [...ES.layerEntries.values()].find((e) => e.view.bounds);
    if (first) ES.map.fitBounds(ES.boundsOf(first.view.bounds));
  }

  async function start() {
    S.ready = false;
    try {
      await ES.loadScenes();
    } catch (err) {
      if (err.status === 401) showLogin();
      else ES.showError(`scenes: ${err.message}`);
      S.ready = true;
      return;
    }
    S.loggedIn = true;
    ES.$("login").hidden = true;
    ES.status("");
    const session = new URLSearchParams(window.location.search).get("session");
    if (session) {
      ES.setSession(session);
      try {
        await ES.loadChat();
        await ES.refreshSessionLayers();
      } catch (err) {
        ES.showError(`session ${session}: ${err.message}`);
        if (err.status === 404) ES.setSession(null);
      }
    }
    const last = S.turns.length ? S.turns[S.turns.length - 1].scenes || [] : [];
    ES.restorePicked(last);
    fitToSessionLayers();
    ES.renderTurns();
    S.ready = true;
  }

  function newSession() {
    if (S.busy) return;
    ES.setSession(null);
    S.turns = [];
    S.errors = [];
    ES.clearRegion();
    ES.syncLayers([], "session");
    ES.renderTurns();
  }

  function expose() {
    const copy = (value) => (value === undefined ? null : JSON.parse(JSON.stringify(value)));
    const api = {};
    const getters = {
      ready: () => Boolean(S.ready),
      loggedIn: () => S.loggedIn,
      session: () => S.session,
      busy: () => S.busy,
      picked: () => copy(S.picked),
      scenes: () => copy(S.scenes),
      layers: () => ES.layerSnapshot(),
      turns: () => copy(S.turns),
      lastTurn: () => copy(S.turns[S.turns.length - 1] || null),
      live: () => copy(S.live),
      lastStream: () => copy(S.lastStream),
      region: () => copy(S.region),
      errors: () => S.errors.map((e) => e.message),
      drawMode: () => ES.drawMode(),
      view: () => ({ center: ES.map.getCenter(), zoom: ES.map.getZoom() }),
    };
    for (const [name, get] of Object.entries(getters)) {
      Object.defineProperty(api, name, { get, enumerable: true });
    }
    /** The page coordinates (CSS pixels) of a lon/lat on the map. */
    api.pointOf = (lon, lat) => {
      const p = ES.map.latLngToContainerPoint([lat, lon]);
      const box = ES.map.getContainer().getBoundingClientRect();
      return { x: box.left + p.x, y: box.top + p.y };
    };
    Object.defineProperty(window, "earthsight", { value: Object.freeze(api), writable: false,
                                                  configurable: false, enumerable: true });
  }

  function boot() {
    initMap();
    ES.initDrawing();
    ES.initChat();
    expose();
    ES.$("new-session").addEventListener("click", newSession);
    ES.$("login-form").addEventListener("submit", async (ev) => {
      ev.preventDefault();
      const ok = await ES.login(ES.$("login-token").value.trim());
      ES.$("login-token").value = "";
      if (ok) start(); else showLogin("Wrong token.");
    });
    ES.renderTurns();
    loginFromFragment().then(start);
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", boot);
  else boot();
})();
