/* The hall manager's live floor.
 *
 * The page arrives rendered with the floor as it was (the #floor-state JSON);
 * /ws/halls/{code}/floor/ sends the floor again after every evaluation of the
 * hall (every change of its line, at least once a minute). A dropped socket
 * reconnects with backoff, and meanwhile the page reads GET
 * /api/v1/halls/{code}/floor/ every 15 s. Acknowledging a warning and
 * applying a suggestion go through the API (session and CSRF); a suggestion
 * the floor has overtaken answers 409, which the page says.
 */
(function () {
  "use strict";

  const root = document.querySelector("[data-floor-root]");
  if (!root) return;
  const cfg = {
    hall: root.dataset.hall,
    wsPath: root.dataset.wsPath,
    floorUrl: root.dataset.floorUrl,
    canAct: root.dataset.canAct === "true",
    csrf: root.dataset.csrf,
  };
  const PING_MS = 20000;
  const POLL_MS = 15000;
  const BACKOFF_CAP_MS = 15000;
  const LEVELS = {
    notice: ["提示", "Notice"],
    warning: ["预警", "Warning"],
    critical: ["严重", "Critical"],
  };
  const STATES = {
    open: ["服务中", "Open"],
    paused: ["暂停", "Paused"],
    closed: ["关闭", "Closed"],
  };
  const TICKET = {
    called: ["已叫号", "Called"],
    serving: ["办理中", "Serving"],
  };
  // The counters' work profiles: how each chooses among its services.
  const PROFILES = {
    fifo: ["先到先叫", "First come"],
    strict: ["按业务顺序", "Services in order"],
    weighted: ["按权重", "Weighted"],
  };

  const state = {
    floor: JSON.parse(document.getElementById("floor-state").textContent),
    receivedAt: Date.now(),
    connected: false,
    updates: 0,
    busy: new Set(), // suggestions and warnings with a request in flight
  };
  window.qmsFloor = state;

  const $ = (sel) => root.querySelector(sel);
  const el = (tag, attrs = {}, ...children) => {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attrs)) {
      if (name === "class") node.className = value;
      else if (name.startsWith("data-")) node.setAttribute(name, value);
      else node[name] = value;
    }
    node.append(...children.filter((c) => c !== null && c !== undefined));
    return node;
  };
  const both = (zh, en) => [document.createTextNode(`${zh} `), el("span", { class: "en" }, en)];
  const minutes = (seconds) => (seconds == null ? "–" : String(Math.max(0, Math.ceil(seconds / 60))));
  const since = (seconds) => {
    if (seconds == null) return "–";
    const s = seconds + Math.floor((Date.now() - state.receivedAt) / 1000);
    const m = Math.floor(s / 60);
    return m >= 60 ? `${Math.floor(m / 60)}h${String(m % 60).padStart(2, "0")}` : `${m}:${String(s % 60).padStart(2, "0")}`;
  };
  const share = (figure, target) => (target ? figure / target : 0);
  const tone = (ratio) => (ratio >= 2 ? "is-critical" : ratio > 1 ? "is-warning" : ratio > 0.75 ? "is-notice" : "");

  /* --- Rendering ---------------------------------------------------------- */

  function render() {
    const f = state.floor;
    renderWarnings(f.warnings || []);
    const services = Object.fromEntries((f.services || []).map((s) => [s.code, s]));
    $("[data-services]").replaceChildren(...(f.services || []).map((s) => {
      const [low, high] = s.estimated_wait_range || [0, 0];
      const range = Math.ceil(high / 60) - Math.floor(low / 60) >= 4 ? ` (${Math.floor(low / 60)}–${Math.ceil(high / 60)})` : "";
      const over = s.capacity_15m ? s.arrivals_15m / s.capacity_15m : (s.arrivals_15m ? 2 : 0);
      return el("tr", { "data-service": s.code },
        el("th", {}, ...both(s.name, s.name_en)),
        el("td", { class: "num" }, String(s.waiting)),
        el("td", { class: `num ${tone(share(s.estimated_wait_seconds, s.target_wait_seconds))}` },
          `${minutes(s.estimated_wait_seconds)}′${range}`),
        el("td", { class: `num ${tone(share(s.longest_wait_seconds, s.target_wait_seconds))}` },
          `${minutes(s.longest_wait_seconds)}′`),
        el("td", { class: "num" }, `${minutes(s.target_wait_seconds)}′`),
        el("td", { class: `num ${over > 1.5 ? "is-critical" : over > 1 ? "is-warning" : ""}` },
          `${s.arrivals_15m} / ${s.capacity_15m}`),
        el("td", { class: "num" }, String(s.open_counters)),
      );
    }));
    $("[data-counters]").replaceChildren(...(f.counters || []).map((c) => {
      const [zh, en] = STATES[c.state] || [c.state, ""];
      const current = c.current
        ? el("div", { class: "m-current" },
          el("b", {}, c.current.number), " ",
          ...both((TICKET[c.current.status] || [c.current.status])[0], (TICKET[c.current.status] || ["", ""])[1]),
          el("span", { class: "muted", "data-tick": String(c.current.seconds ?? ""), "data-prefix": " " },
            ` ${since(c.current.seconds)}`))
        : el("div", { class: "m-current muted" }, "—");
      return el("article", { class: `m-counter state-${c.state}`, "data-counter": String(c.number) },
        el("header", {}, el("b", {}, c.label), el("span", { class: `m-pill state-${c.state}` }, ...both(zh, en))),
        el("div", { class: "m-profile", "data-profile": c.profile || "fifo" },
          ...both(...(PROFILES[c.profile] || PROFILES.fifo))),
        el("div", { class: "m-agent" }, c.agent || "—"),
        current,
        el("div", { class: "m-meta muted" },
          (c.services || []).map((code) => (services[code] ? services[code].name : code)).join("、") || "—",
          el("span", { class: "m-since", "data-tick": String(c.seconds_in_state ?? ""), "data-prefix": " · " },
            ` · ${since(c.seconds_in_state)}`)),
      );
    }));
    const quiet = f.quiet_devices || [];
    $("[data-devices]").replaceChildren(...quiet.map((d) => el("li", { "data-device": d.key },
      el("b", {}, d.name), " ",
      el("span", { class: "muted" }, d.last_seen_at ? `最后在线 ${d.last_seen_at.slice(11, 16)}` : "从未上线 / never seen"))));
    $("[data-no-devices]").hidden = quiet.length > 0;
  }

  function renderWarnings(warnings) {
    $("[data-warning-count]").textContent = warnings.length ? String(warnings.length) : "";
    $("[data-no-warnings]").hidden = warnings.length > 0;
    const order = { critical: 0, warning: 1, notice: 2 };
    const sorted = [...warnings].sort((a, b) => order[a.level] - order[b.level]);
    $("[data-warnings]").replaceChildren(...sorted.map((w) => {
      const [zh, en] = LEVELS[w.level] || [w.level, ""];
      const ack = w.acknowledged_at
        ? el("span", { class: "m-acked muted" }, `已确认 ${w.acknowledged_by || ""}`)
        : el("button", {
          type: "button", class: "m-btn m-small", disabled: !cfg.canAct || state.busy.has(`w${w.id}`),
          onclick: () => acknowledge(w),
        }, ...both("确认", "Acknowledge"));
      const suggestions = (w.suggestions || []).map((s) => el("li", {},
        el("button", {
          type: "button", class: "m-btn m-apply", "data-suggestion": String(s.id),
          "data-kind": s.kind, disabled: !cfg.canAct || state.busy.has(`s${s.id}`),
          onclick: () => apply(s),
        }, s.text)));
      return el("li", { class: `m-warning level-${w.level}`, "data-warning": String(w.id), "data-kind": w.kind },
        el("div", { class: "m-warning-head" },
          el("span", { class: `m-level level-${w.level}` }, ...both(zh, en)),
          el("span", { class: "m-message" }, w.message),
          ack),
        suggestions.length ? el("ul", { class: "m-suggestions" }, ...suggestions) : null);
    }));
  }

  /* --- Acting -------------------------------------------------------------- */

  const toast = el("p", { class: "m-toast", role: "status", hidden: true });
  document.body.append(toast);
  let toastTimer = null;
  function say(text, bad) {
    toast.textContent = text;
    toast.className = `m-toast${bad ? " is-bad" : ""}`;
    toast.hidden = false;
    clearTimeout(toastTimer);
    toastTimer = setTimeout(() => { toast.hidden = true; }, 6000);
  }

  async function act(busyKey, url, done) {
    state.busy.add(busyKey);
    render();
    try {
      const data = await QmsApi.request("POST", url, { csrf: cfg.csrf, idempotencyKey: QmsApi.newKey() });
      done(data);
    } catch (err) {
      say(err.message || "操作未完成 / Not done", true);
    } finally {
      state.busy.delete(busyKey);
      refreshSoon();
    }
  }

  function acknowledge(w) {
    act(`w${w.id}`, `/api/v1/warnings/${w.id}/acknowledge/`, () => say("已确认 / Acknowledged"));
  }

  function apply(s) {
    act(`s${s.id}`, `/api/v1/suggestions/${s.id}/apply/`, () => say(`已执行：${s.text}`));
  }

  /* --- Keeping it live ----------------------------------------------------- */

  function take(floor) {
    state.floor = floor;
    state.receivedAt = Date.now();
    state.updates += 1;
    render();
  }

  let refreshTimer = null;
  function refreshSoon() {
    clearTimeout(refreshTimer);
    refreshTimer = setTimeout(poll, 300);
  }

  async function poll() {
    try {
      take(await QmsApi.request("GET", cfg.floorUrl, { cache: "no-store" }));
    } catch (err) { /* the socket or the next poll will bring it */ }
  }

  let socket = null;
  let attempt = 0;
  let pollTimer = null;

  function setConnected(on) {
    state.connected = on;
    const conn = document.querySelector("[data-conn]");
    conn.className = `m-conn ${on ? "is-live" : "is-lost"}`;
    conn.querySelector("[data-conn-text]").textContent = on ? "实时 Live" : "重连中 Reconnecting";
    clearInterval(pollTimer);
    if (!on) pollTimer = setInterval(poll, POLL_MS);
  }

  function connect() {
    const scheme = location.protocol === "https:" ? "wss:" : "ws:";
    const ws = new WebSocket(`${scheme}//${location.host}${cfg.wsPath}`);
    socket = ws;
    ws.onmessage = (event) => {
      let message;
      try { message = JSON.parse(event.data); } catch (e) { return; }
      if (message.type === "floor") {
        attempt = 0;
        setConnected(true);
        take(message);
      }
    };
    ws.onclose = () => {
      if (ws !== socket) return;
      setConnected(false);
      const ceiling = Math.min(BACKOFF_CAP_MS, 500 * 2 ** attempt);
      attempt += 1;
      setTimeout(connect, ceiling / 2 + Math.random() * ceiling / 2);
    };
  }

  render();
  connect();
  setInterval(() => { if (socket && socket.readyState === WebSocket.OPEN) socket.send('{"type":"ping"}'); }, PING_MS);
  // Times in state tick on between updates (without redrawing what may be clicked).
  setInterval(() => {
    root.querySelectorAll("[data-tick]").forEach((node) => {
      if (node.dataset.tick !== "") node.textContent = node.dataset.prefix + since(Number(node.dataset.tick));
    });
  }, 1000);
})();
