/* EarthSight map page, part 4: the conversation. Ask (with the chosen scenes and the drawn
   region), follow the plan step by step from the NDJSON stream, approve or reject heavy steps,
   and keep the numbers, files and history of the session beside it. */
"use strict";

(function () {
  const ES = window.EarthSightApp;
  const el = ES.el;
  const S = ES.state;
  let regionLayer = null;   // the regions of earlier turns, drawn faintly

  ES.showError = function (message) {
    S.errors.push({ message: String(message), after: S.turns.length });
    ES.renderTurns();
  };

  function argsText(args) {
    const parts = Object.entries(args || {}).map(([k, v]) => {
      const text = typeof v === "string" ? v : JSON.stringify(v);
      return `${k}=${text.length > 40 ? text.slice(0, 39) + "…" : text}`;
    });
    return parts.join(", ");
  }

  function planList(turn) {
    const done = new Map((turn.steps || []).map((s) => [s.id, s]));
    const items = (turn.plan || []).map((p) => {
      const step = done.get(p.id);
      const status = step ? step.status : turn.status === "waiting" ? "waiting" : "not run";
      return el("li", { testid: "plan-step", "data-step": p.id, "data-status": status },
        `${p.id} ${p.tool}(${argsText(p.args)}) — ${status}`,
        step && step.cluster ? el("span", { className: "where", testid: "plan-step-where",
                                            text: ` · ${whereText(step.cluster)}` }) : null,
        step && step.summary ? el("span", { className: "summary", text: step.summary }) : null);
    });
    return el("ol", { className: "plan", testid: "plan" }, items);
  }

  function approvalBox(turn) {
    const heavy = (turn.approval && turn.approval.heavy) || [];
    return el("div", { className: "approval", testid: "approval" },
      el("div", { text: "These steps are heavy; run them?" }),
      el("ul", {}, heavy.map((h) => el("li", { text: h.text || `${h.step} ${h.tool}` }))),
      el("button", { type: "button", testid: "approve", disabled: S.busy,
                     onclick: () => ES.decide(true), text: "Approve" }),
      el("button", { type: "button", testid: "reject", disabled: S.busy,
                     onclick: () => ES.decide(false), text: "Reject" }));
  }

  function turnCard(turn) {
    const scenes = (turn.scenes || []).join(", ");
    const where = turn.region && (turn.region.file || (turn.region.bbox || []).join(", "));
    const region = where ? ` · region ${where}` : "";
    return el("article", { className: `turn ${turn.status}`, testid: "turn",
                           "data-index": turn.index, "data-status": turn.status,
                           id: `turn-${turn.index}` },
      el("p", { className: "request", text: turn.request }),
      el("div", { className: "meta", text: `#${turn.index} ${turn.status}` +
                  (scenes ? ` · ${scenes}` : "") + region }),
      planList(turn),
      turn.status === "waiting" ? approvalBox(turn) : null,
      turn.answer ? el("p", { className: "answer", testid: "answer", text: turn.answer }) : null);
  }

  /** What a step has done: "<stage> n/N" of its last progress event (the tiles of a scene
      are counted over all cluster workers), kept once the step finished; only the stage
      while its total is unknown; null before any progress. */
  function stepCount(s) {
    if (!s.total) {
      return s.stage && s.status === "running" ? el("span", { className: "count",
        text: ` (${s.stage})` }) : null;
    }
    return el("span", { className: "count", testid: "step-count", "data-stage": s.stage,
                        "data-done": s.done, "data-total": s.total },
      ` · ${s.stage ? `${s.stage} ` : ""}${s.done}/${s.total}`);
  }

  function liveCard(live) {
    const steps = Object.values(live.steps).sort((a, b) => a.index - b.index);
    return el("article", { className: "turn live", testid: "live-turn" },
      el("p", { className: "request", text: live.request }),
      el("div", { className: "meta", text: live.plan ? `plan: ${live.plan}` : "planning…" }),
      el("ol", { className: "plan", testid: "live-plan" }, steps.map((s) => el("li", {
        testid: "live-step", "data-step": s.step, "data-status": s.status },
        `${s.step} ${s.tool} — ${s.status}`,
        stepCount(s),
        s.status === "running" && s.total ? el("progress", { max: s.total, value: s.done }) : null,
        s.where ? el("span", { className: "where", testid: "step-where", text: ` · ${s.where}` })
          : null,
        s.message ? el("span", { className: "summary", text: s.message }) : null))));
  }

  /** Where a finished step's tiles ran (the step_finish event's ``cluster``), or "". */
  function whereText(run) {
    if (!run) return "";
    const n = (run.workers || []).length;
    return `${run.tasks} task${run.tasks === 1 ? "" : "s"} on ${n} worker${n === 1 ? "" : "s"}`;
  }

  ES.renderTurns = function () {
    const box = ES.$("turns");
    box.replaceChildren();
    const errorsAfter = (n) => S.errors.filter((e) => e.after === n).map((e) =>
      el("div", { className: "chat-error", testid: "chat-error", role: "alert", text: e.message }));
    box.append(...errorsAfter(0));
    S.turns.forEach((turn, i) => box.append(turnCard(turn), ...errorsAfter(i + 1)));
    if (S.live) box.append(liveCard(S.live));
    if (!S.turns.length && !S.live && !S.errors.length) {
      box.append(el("p", { className: "hint", text: "Choose scenes on the right, draw a region " +
        "if the question is about a part of them, and ask." }));
    }
    box.scrollTop = box.scrollHeight;
    ES.$("ask-button").disabled = S.busy;
    renderResults();
  };

  function renderResults() {
    const numbers = ES.$("numbers");
    numbers.replaceChildren();
    const files = ES.$("files");
    files.replaceChildren();
    const history = ES.$("history");
    history.replaceChildren();
    const seen = new Set();
    for (const turn of S.turns) {
      for (const n of turn.numbers || []) {
        numbers.append(el("tr", { testid: "number-row", "data-turn": turn.index,
                                  "data-name": n.name, "data-value": n.value,
                                  "data-units": n.units, "data-step": n.step,
                                  "data-tool": n.tool },
          el("td", { text: turn.index }), el("td", { text: n.name }),
          el("td", { className: "value", text: ES.formatNumber(n.value) }),
          el("td", { text: n.units }), el("td", { text: n.step }), el("td", { text: n.tool })));
      }
      for (const f of turn.files || []) {
        if (!f.url || seen.has(f.url)) continue;
        seen.add(f.url);
        files.append(el("li", {}, el("a", { href: f.url, download: "", testid: "file-link",
                                             text: f.name }),
                        ` (${f.kind}${f.step ? `, ${f.step}` : ""})`));
      }
      history.append(el("li", { testid: "history-item", text: `#${turn.index} ` +
        `${turn.request} — ${turn.status}`, onclick: () => {
          const card = ES.$(`turn-${turn.index}`);
          if (card) card.scrollIntoView({ behavior: "smooth" });
        } }));
    }
    drawTurnRegions();
  }

  function drawTurnRegions() {
    if (!ES.map) return;
    if (regionLayer) ES.map.removeLayer(regionLayer);
    const shapes = S.turns.filter((t) => t.region && t.region.geojson).map((t) => t.region.geojson);
    regionLayer = L.geoJSON(shapes, { interactive: false, style: () => ({
      color: "#1d2327", weight: 2, dashArray: "3 5", fill: false }) }).addTo(ES.map);
  }

  /* --- the stream ------------------------------------------------------------------------- */

  function onEvent(event) {
    const live = S.live;
    S.lastStream.push(event.event === "progress" ? event.kind : event.event);
    if (event.event === "progress" && live) {
      if (event.kind === "plan") {
        live.plan = event.message;
      } else if (event.step) {
        const step = live.steps[event.step] || { step: event.step, tool: event.tool,
                                                 index: event.index, status: "waiting" };
        if (event.kind === "step_start") step.status = "running";
        if (event.kind === "step_progress") Object.assign(step, { status: "running",
          stage: event.stage, done: event.done, total: event.total });
        if (event.kind === "step_finish") Object.assign(step, { status: event.status,
          message: event.message, where: whereText(event.cluster) });
        if (event.kind === "step_skip") Object.assign(step, { status: "skipped",
          message: event.message });
        live.steps[event.step] = step;
      }
    } else if (event.event === "turn" && event.turn) {
      const at = S.turns.findIndex((t) => t.index === event.turn.index);
      if (at >= 0) S.turns[at] = event.turn; else S.turns.push(event.turn);
      S.live = null;
    } else if (event.event === "error") {
      S.live = null;
      ES.showError(`${event.status || ""} ${event.message || "the turn failed"}`.trim());
    }
    ES.renderTurns();
  }

  /** Stream a turn: ``onOpen`` once the server accepted it, ``onRefused`` when it did not
      (nothing ran). */
  async function run(url, body, live, onOpen, onRefused) {
    S.busy = true;
    S.live = live;
    ES.renderTurns();
    let opened = false;
    S.lastStream = [];
    try {
      await ES.stream(url, body, onEvent, () => {
        opened = true;
        if (onOpen) onOpen();
      });
    } catch (err) {
      S.live = null;
      if (!opened && onRefused) onRefused();
      ES.showError(err.status ? `${err.status}: ${err.message}` : err.message);
    } finally {
      S.busy = false;
      S.live = null;
      ES.renderTurns();
    }
    try {
      await ES.refreshSessionLayers();
    } catch (err) {
      ES.showError(`layers: ${err.message}`);
    }
  }

  /** Send the question in the ask box (with the chosen scenes and the drawn region). */
  ES.ask = async function () {
    const input = ES.$("ask-input");
    const message = input.value.trim();
    if (!message || S.busy) return;
    try {
      const before = S.session;
      const id = await ES.ensureSession();
      if (!before) ES.keepPickedFor(id);
    } catch (err) {
      ES.showError(`no session: ${err.message}`);
      return;
    }
    const region = S.region ? S.region.geometry : null;
    const body = { message, images: S.picked.length ? S.picked.slice() : null, region,
                   gsd: null, planner: "offline" };
    input.value = "";
    await run(ES.sessionUrl("/chat"), body, { request: message, steps: {}, plan: null },
              () => ES.clearRegion(),  // the region went with the message
              () => { if (!input.value) input.value = message; });  // refused: keep it
  };

  /** Approve (true) or reject (false) the heavy steps of the waiting turn. */
  ES.decide = async function (approve) {
    const waiting = S.turns.find((t) => t.status === "waiting");
    if (!waiting || S.busy) return;
    const label = approve ? "approved" : "rejected";
    await run(ES.sessionUrl("/chat/approval"), { approve },
              { request: `${waiting.request} (${label})`, steps: {}, plan: null });
  };

  /** The session's turns (finished, then the waiting one) as the server keeps them. */
  ES.loadChat = async function () {
    const data = await ES.call("GET", ES.sessionUrl("/chat"));
    S.turns = [...(data.turns || [])];
    if (data.waiting && !S.turns.some((t) => t.index === data.waiting.index)) {
      S.turns.push(data.waiting);
    }
    S.running = Boolean(data.running);
    ES.status(S.running ? "a turn of this session is running…" : "");
    ES.renderTurns();
    if (S.running && !S.busy) {  // another tab (or a reload) left a turn running: follow it
      window.setTimeout(() => ES.loadChat().then(ES.refreshSessionLayers)
        .catch((err) => ES.showError(err.message)), 2000);
    }
  };

  ES.initChat = function () {
    ES.$("ask-form").addEventListener("submit", (ev) => {
      ev.preventDefault();
      ES.ask();
    });
    ES.$("ask-input").addEventListener("keydown", (ev) => {
      if (ev.key === "Enter" && !ev.shiftKey) {
        ev.preventDefault();
        ES.ask();
      }
    });
  };
})();
