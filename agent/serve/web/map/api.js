/* EarthSight map page, part 1: the shared state, small DOM helpers and the HTTP calls.
   Every call goes to this server with the login cookie (same origin); nothing else is
   contacted. Plain JS, no build step. */
"use strict";

(function () {
  const ES = {
    state: {
      loggedIn: false,
      session: null,        // the session id (also in the page URL: ?session=<id>)
      scenes: [],           // SceneView list from GET /scenes
      picked: [],           // chosen scene paths (what the next question is about)
      turns: [],            // TurnView list: finished turns, then the waiting one
      live: null,           // the turn being streamed: {request, plan, steps, status, error}
      region: null,         // the drawn region for the next question: {shape, geometry}
      busy: false,
      errors: [],           // error messages shown in the chat
      lastStream: [],       // what the last NDJSON stream said: progress kinds, then turn/error
    },
  };
  window.EarthSightApp = ES;

  /** An element with attributes ("text" sets textContent, "testid" data-testid). */
  ES.el = function (tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs || {})) {
      if (value === null || value === undefined || value === false) continue;
      if (key === "text") node.textContent = String(value);
      else if (key === "testid") node.dataset.testid = value;
      else if (key === "className") node.className = value;
      else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
      else node.setAttribute(key, value === true ? "" : String(value));
    }
    for (const child of children.flat()) {
      if (child === null || child === undefined || child === false) continue;
      node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return node;
  };

  ES.$ = (id) => document.getElementById(id);

  ES.status = function (text) {
    ES.$("status").textContent = text || "";
  };

  /** A number for people: at most 4 significant digits after the point, no exponent for
      ordinary magnitudes. */
  ES.formatNumber = function (value) {
    if (typeof value !== "number" || !Number.isFinite(value)) return String(value);
    if (Number.isInteger(value)) return value.toLocaleString("en-US");
    const magnitude = Math.abs(value);
    const digits = magnitude >= 1000 ? 1 : magnitude >= 1 ? 3 : 5;
    return value.toLocaleString("en-US", { maximumFractionDigits: digits });
  };

  /** The detail of an error answer ({"detail": ...}) as text. */
  function detailText(data, status) {
    const detail = data && data.detail !== undefined ? data.detail : data;
    if (typeof detail === "string") return detail;
    if (Array.isArray(detail)) {
      return detail.map((d) => (d && d.msg ? `${(d.loc || []).join(".")}: ${d.msg}` : JSON.stringify(d)))
        .join("; ");
    }
    return detail ? JSON.stringify(detail) : `HTTP ${status}`;
  }

  class HttpError extends Error {
    constructor(status, message) {
      super(message);
      this.status = status;
    }
  }
  ES.HttpError = HttpError;

  /** A JSON call; throws HttpError (with the server's message) when not 2xx. */
  ES.call = async function (method, url, body) {
    const init = { method, credentials: "same-origin", headers: { Accept: "application/json" } };
    if (body !== undefined) {
      init.headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    const response = await fetch(url, init);
    let data = null;
    const text = await response.text();
    try {
      data = text ? JSON.parse(text) : null;
    } catch (err) {
      data = text;
    }
    if (!response.ok) throw new HttpError(response.status, detailText(data, response.status));
    return data;
  };

  /** POST ``body`` and hand each NDJSON line of the answer to ``onEvent`` as it arrives
      (fetch + ReadableStream, read line by line); ``onOpen`` runs once the server accepted. */
  ES.stream = async function (url, body, onEvent, onOpen) {
    const response = await fetch(url, {
      method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json", Accept: "application/x-ndjson" },
      body: JSON.stringify(body),
    });
    if (!response.ok) {
      const text = await response.text();
      let data = text;
      try { data = JSON.parse(text); } catch (err) { /* plain text */ }
      throw new HttpError(response.status, detailText(data, response.status));
    }
    if (onOpen) onOpen();
    const reader = response.body.getReader();
    const decoder = new TextDecoder();
    let buffer = "";
    for (;;) {
      const { value, done } = await reader.read();
      buffer += decoder.decode(value || new Uint8Array(), { stream: !done });
      let cut;
      while ((cut = buffer.indexOf("\n")) >= 0) {
        const line = buffer.slice(0, cut).trim();
        buffer = buffer.slice(cut + 1);
        if (line) onEvent(JSON.parse(line));
      }
      if (done) break;
    }
    if (buffer.trim()) onEvent(JSON.parse(buffer));
  };

  /** Post the token to /login (form-encoded) so that the server sets its HttpOnly cookie. */
  ES.login = async function (token) {
    const form = new URLSearchParams({ token, next: "/map" });
    const response = await fetch("/login", {
      method: "POST", credentials: "same-origin", body: form,
      headers: { "Content-Type": "application/x-www-form-urlencoded" },
    });
    return response.ok;
  };

  ES.sessionUrl = (tail) => `/sessions/${encodeURIComponent(ES.state.session)}${tail || ""}`;

  /** Make a session when the page has none yet; keep its id in the URL. */
  ES.ensureSession = async function () {
    if (ES.state.session) return ES.state.session;
    const made = await ES.call("POST", "/sessions");
    ES.setSession(made.session_id);
    return made.session_id;
  };

  ES.setSession = function (id) {
    ES.state.session = id;
    const url = new URL(window.location.href);
    if (id) url.searchParams.set("session", id);
    else url.searchParams.delete("session");
    url.hash = "";
    window.history.replaceState(null, "", url.pathname + url.search);
    ES.$("session-id").textContent = id || "new";
  };
})();
