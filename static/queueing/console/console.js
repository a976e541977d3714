/* The counter screen of the agent's console.
 *
 * Truth lives on the server. This page:
 * - reads the counter and its current ticket from GET /api/v1/counters/{id}/
 *   on load, after every action, when the tab comes back into view, and when
 *   the hall's socket says this counter changed (so two tabs on one counter
 *   agree);
 * - acts through POST /api/v1/counters/{id}/<action>/ with an Idempotency-Key
 *   (a fresh UUID per intended action, reused by the one automatic retry after
 *   a network failure), one action at a time: buttons disable while a request
 *   is in flight, which is what makes a double tap harmless;
 * - enables a button only when its action is legal in the current state (the
 *   server decides anyway; its refusals, `{"error": {"code", "message"}}`, are
 *   shown, never swallowed);
 * - follows /ws/halls/{code}/display/ for the waiting counts of its services,
 *   reconnecting with backoff; a gap in `seq` means events were missed, so it
 *   reconnects for a fresh snapshot. A lost connection shows a red banner.
 */
(function () {
  "use strict";

  const root = document.querySelector("[data-counter-screen]");
  if (!root) return;

  const cfg = {
    counterId: Number(root.dataset.counterId),
    counterNumber: Number(root.dataset.counterNumber),
    hall: root.dataset.hall,
    wsPath: root.dataset.wsPath,
    counterUrl: root.dataset.counterUrl,
    poolUrl: root.dataset.poolUrl,
    requestsUrl: root.dataset.requestsUrl,
    signinUrl: root.dataset.signinUrl,
    csrf: root.dataset.csrf,
    me: root.dataset.me,
  };
  const readJson = (id) => JSON.parse(document.getElementById(id).textContent);
  const labels = readJson("console-labels");
  const counterServices = readJson("console-services"); // [{code, name, name_en, waiting}]
  const hallServices = readJson("console-hall-services"); // [{code, name, name_en, prefix}]

  const REQUEST_TIMEOUT_MS = 12000;
  const RETRY_DELAY_MS = 1200;
  const PING_MS = 20000;
  const SILENCE_MS = 45000; // nothing heard (not even a pong) this long: the socket is dead
  const BACKOFF_BASE_MS = 500;
  const BACKOFF_CAP_MS = 10000;
  const BANNER_DELAY_MS = 1500; // a quick reconnect (after a seq gap) shows no banner
  const HTTP_DOWN_POLL_MS = 3000;
  const SAFETY_REFRESH_MS = 30000;
  const NOTICE_MS = 9000;

  const state = {
    counter: null, // {id, number, name, label, hall, state, pause_reason, signed_in_user}
    current: null, // the ticket at the counter, or null
    pool: [], // the visits parked with this counter or its agent: [{number, service, service_name, pool, due_at, due}]
    loaded: false,
    busy: null, // the action in flight
    waiting: Object.fromEntries(counterServices.map((s) => [s.code, s.waiting])),
    seq: null,
    socketOpen: false,
    socketDownSince: null,
    httpDown: false,
    clockOffsetMs: 0, // server clock minus this device's
    reconnects: 0,
    actions: 0, // actions finished, answer and refresh after it included (for tests and debugging)
  };
  window.qmsConsole = state;

  const $ = (selector) => root.querySelector(selector);
  const $$ = (selector) => Array.from(root.querySelectorAll(selector));
  const label = (kind, value) => (labels[kind] && labels[kind][value]) || { zh: value || "", en: "" };
  const serverNow = () => Date.now() + state.clockOffsetMs;

  /* --- Small helpers ------------------------------------------------------- */

  const delay = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

  function duration(seconds) {
    if (seconds == null || !Number.isFinite(seconds)) return "—";
    const s = Math.max(0, Math.floor(seconds));
    const h = Math.floor(s / 3600);
    const m = Math.floor((s % 3600) / 60);
    const pad = (n) => String(n).padStart(2, "0");
    return h ? `${h}:${pad(m)}:${pad(s % 60)}` : `${pad(m)}:${pad(s % 60)}`;
  }

  function clockTime(iso) {
    const d = new Date(iso);
    return Number.isNaN(d.getTime()) ? "" : d.toLocaleTimeString("zh-CN", { hour: "2-digit", minute: "2-digit" });
  }

  /* --- Notices --------------------------------------------------------------- */

  let noticeTimer = null;

  function notify(level, text, { sticky = false, link = null } = {}) {
    const box = $("[data-notice]");
    box.className = `notice notice-${level}`;
    const span = $("[data-notice-text]");
    span.textContent = text;
    if (link) {
      const a = document.createElement("a");
      a.href = link.href;
      a.textContent = link.text;
      span.append(" ", a);
    }
    box.hidden = false;
    clearTimeout(noticeTimer);
    if (!sticky) noticeTimer = setTimeout(() => { box.hidden = true; }, NOTICE_MS);
  }

  function clearNotice() {
    clearTimeout(noticeTimer);
    $("[data-notice]").hidden = true;
  }

  $("[data-notice-close]").addEventListener("click", clearNotice);

  /* --- HTTP ---------------------------------------------------------------- */

  let requestStamp = 0; // every request takes one when it starts
  let appliedStamp = 0; // the newest request whose answer is on screen

  /** Resolves {status, data} for any answer; rejects with an ApiError of status 0 when none came. */
  async function request(method, url, { body, key } = {}) {
    let answer;
    try {
      answer = await QmsApi.send(method, url, {
        body, csrf: cfg.csrf, idempotencyKey: key,
        timeoutMs: REQUEST_TIMEOUT_MS, cache: "no-store",
      });
    } catch (err) {
      setHttpDown(true);
      throw err;
    }
    setHttpDown(false);
    return { status: answer.status, data: answer.data };
  }

  const noAnswer = (err) => err instanceof QmsApi.ApiError && err.network;

  function errorText(result) {
    const err = result.data && result.data.error;
    if (err && err.message) return err.message;
    if (result.status >= 500) return `服务器出错，请重试 / Server error (HTTP ${result.status}); please try again.`;
    return `操作未完成 / The action was refused (HTTP ${result.status}).`;
  }

  function apply(data, stamp) {
    // An answer to a request older than the one on screen is stale: drop it.
    if (stamp < appliedStamp) return;
    appliedStamp = stamp;
    if (data.counter) state.counter = data.counter;
    if ("current_ticket" in data) state.current = data.current_ticket;
    state.loaded = true;
    render();
  }

  /* --- The manager's requests to open a counter ------------------------------------ */

  const requestList = $("[data-request-list]");

  async function loadRequests() {
    let result;
    try {
      result = await request("GET", cfg.requestsUrl);
    } catch (e) {
      if (!noAnswer(e)) throw e;
      return;
    }
    if (result.status !== 200 || !Array.isArray(result.data)) return;
    state.requests = result.data;
    renderRequests();
  }

  function renderRequests() {
    const open = state.requests || [];
    $("[data-requests]").hidden = open.length === 0;
    requestList.replaceChildren(...open.map((r) => {
      const li = document.createElement("li");
      li.dataset.request = r.id;
      const text = document.createElement("span");
      const who = r.requested_by ? `${r.requested_by} ` : "";
      const service = r.service_name ? `（${r.service_name}）` : "";
      text.textContent = `${who}请开启 ${r.counter_name}${service} / Please open counter ${r.counter}`
        + (r.message ? ` · ${r.message}` : "");
      const accept = document.createElement("button");
      accept.type = "button";
      accept.className = "btn btn-small btn-primary";
      accept.textContent = "接受并开启 Accept";
      accept.addEventListener("click", () => answerRequest(r, true));
      const decline = document.createElement("button");
      decline.type = "button";
      decline.className = "btn btn-small btn-ghost";
      decline.textContent = "婉拒 Decline";
      decline.addEventListener("click", () => answerRequest(r, false));
      li.append(text, accept, decline);
      return li;
    }));
  }

  async function answerRequest(r, accept) {
    const result = await request("POST", `/api/v1/counter-requests/${r.id}/answer/`, {
      body: { accept }, key: QmsApi.newKey(),
    });
    if (result.status !== 200) notify("error", errorText(result));
    else if (accept && r.counter_id !== cfg.counterId) {
      window.location.assign(`?counter=${r.counter_id}`); // now signed in to that counter
      return;
    }
    loadRequests();
    refresh();
  }

  /* Refresh: at most one GET in flight; asks made meanwhile run once more after it. */
  let refreshing = null;
  let refreshAgain = false;

  function refresh() {
    if (refreshing) {
      refreshAgain = true;
      return refreshing;
    }
    refreshing = (async () => {
      do {
        refreshAgain = false;
        const stamp = ++requestStamp;
        try {
          const result = await request("GET", cfg.counterUrl);
          if (result.status === 200 && result.data) apply(result.data, stamp);
          else if (result.status === 401 || result.status === 403) signedOut(result);
          const pool = await request("GET", cfg.poolUrl);
          if (pool.status === 200 && Array.isArray(pool.data)) {
            state.pool = pool.data;
            renderPool();
          }
        } catch (e) {
          if (!noAnswer(e)) throw e;
        }
      } while (refreshAgain);
    })().finally(() => { refreshing = null; });
    return refreshing;
  }

  function signedOut(result) {
    notify("error", result.status === 401
      ? "登录已过期，请重新登录 / Your session has ended; please sign in again."
      : errorText(result), { sticky: true, link: { href: cfg.signinUrl, text: "重新登录 / Sign in" } });
  }

  let httpPoll = null;

  function setHttpDown(down) {
    if (state.httpDown === down) return;
    state.httpDown = down;
    clearInterval(httpPoll);
    // While the server is unreachable, keep asking so the page heals by itself.
    if (down) httpPoll = setInterval(() => refresh(), HTTP_DOWN_POLL_MS);
    renderConnection();
  }

  /* --- Actions --------------------------------------------------------------- */

  // Which actions the current state allows: the server's rules, mirrored only
  // to enable buttons (the server still decides).
  function allowed(action) {
    const c = state.counter;
    if (!c || !state.loaded) return false;
    const t = state.current;
    switch (action) {
      case "open": return c.state === "closed";
      case "close": return c.state !== "closed" && !t;
      case "pause": return c.state === "open" && !t;
      case "resume": return c.state === "paused";
      case "call-next": return c.state === "open" && !t;
      case "recall": case "start": case "no-show": return Boolean(t) && t.status === "called";
      case "finish": return Boolean(t) && t.status === "serving";
      case "transfer": return Boolean(t) && transferTargets().length > 0;
      case "park": return Boolean(t);
      case "pool-call": return c.state === "open" && !t;
      default: return false;
    }
  }

  function transferTargets() {
    const from = state.current && state.current.service;
    return hallServices.filter((s) => s.code !== from);
  }

  async function post(action, body, key) {
    const url = `${cfg.counterUrl}${action}/`;
    for (let attempt = 0; ; attempt++) {
      try {
        const result = await request("POST", url, { body, key });
        // A gateway error means the request may or may not have landed: the
        // same key makes a second try safe.
        if (attempt === 0 && result.status >= 502 && result.status <= 504) {
          await delay(RETRY_DELAY_MS);
          continue;
        }
        return result;
      } catch (e) {
        if (!noAnswer(e)) throw e;
        if (attempt === 0) {
          await delay(RETRY_DELAY_MS);
          continue;
        }
        return { status: 0, data: null, network: true };
      }
    }
  }

  async function act(action, body) {
    const fromPool = action.startsWith("pool/");
    if (state.busy || !allowed(fromPool ? "pool-call" : action)) return;
    const key = QmsApi.newKey(); // one intended action, one key: retries reuse it
    const before = state.current;
    state.busy = action;
    render();
    const stamp = ++requestStamp;
    let result;
    try {
      result = await post(action, body, key);
    } finally {
      state.busy = null;
    }
    if (result.network) {
      notify("error", "网络中断，无法确认操作是否完成，恢复连接后将自动刷新，请核对。 / Connection lost: the action "
        + "could not be confirmed. The screen refreshes once the connection is back; please check it.",
      { sticky: true });
    } else if (result.status === 200 && (action === "call-next" || fromPool)) {
      apply({ current_ticket: result.data }, stamp);
      clearNotice();
    } else if (result.status === 204) {
      notify("info", "当前没有等候的号码 / Nobody is waiting for this counter.");
    } else if (result.status >= 200 && result.status < 300) {
      if (result.data) apply(result.data, stamp);
      if (action === "park" && before) {
        notify("success", `${before.number} 已暂存 / parked`);
      } else if (action === "transfer" && before) {
        const to = hallServices.find((s) => s.code === body.service);
        notify("success", `${before.number} 已转至 ${to ? to.name : body.service} / transferred to `
          + `${to ? to.name_en : body.service}`);
      } else {
        clearNotice();
      }
    } else if (result.status === 401) {
      signedOut(result);
    } else {
      // Refusals stay until dismissed or the next action succeeds: never a silent failure.
      notify("error", errorText(result), { sticky: true });
    }
    render();
    await refresh();
    state.actions += 1;
    window.dispatchEvent(new CustomEvent("qms:console-acted", { detail: { action } }));
  }

  /* --- Dialogs: pause reason and transfer target ----------------------------- */

  const pauseDialog = $("[data-pause-dialog]");
  const transferDialog = $("[data-transfer-dialog]");
  const parkDialog = $("[data-park-dialog]");

  function openDialog(dialog) {
    if (typeof dialog.showModal === "function") dialog.showModal();
    else dialog.setAttribute("open", "");
    const first = dialog.querySelector(".btn-option");
    if (first) first.focus();
  }

  function closeDialog(dialog) {
    if (typeof dialog.close === "function" && dialog.open) dialog.close();
    else dialog.removeAttribute("open");
  }

  // A tap on the backdrop (outside the dialog's box) cancels, like Escape.
  function outside(dialog, event) {
    if (event.target !== dialog) return false;
    const box = dialog.getBoundingClientRect();
    return event.clientX < box.left || event.clientX > box.right
      || event.clientY < box.top || event.clientY > box.bottom;
  }

  const openedDialog = () => [pauseDialog, transferDialog, parkDialog].find((d) => d.open || d.hasAttribute("open"));

  function askPause() {
    if (state.busy || !allowed("pause")) return;
    openDialog(pauseDialog);
  }

  function askTransfer() {
    if (state.busy || !allowed("transfer")) return;
    const box = transferDialog.querySelector("[data-transfer-options]");
    box.replaceChildren(...transferTargets().map((service, i) => serviceOption(service, i, "transferService")));
    openDialog(transferDialog);
  }

  /** A dialog's option button for a service: its digit key, prefix and names; dataset[key] = its code. */
  function serviceOption(service, i, key) {
    const button = document.createElement("button");
    button.type = "button";
    button.className = "btn-option";
    button.dataset[key] = service.code;
    const kbd = document.createElement("kbd");
    kbd.textContent = i < 9 ? String(i + 1) : "";
    const zh = document.createElement("span");
    zh.className = "opt-zh";
    zh.textContent = `${service.prefix} · ${service.name}`;
    const en = document.createElement("span");
    en.className = "opt-en";
    en.textContent = service.name_en;
    button.append(kbd, zh, en);
    return button;
  }
  window.qmsServiceOption = serviceOption; // the number tools' dialog (numbers.js) builds the same

  pauseDialog.addEventListener("click", (event) => {
    const option = event.target.closest("[data-pause-reason]");
    if (option) {
      closeDialog(pauseDialog);
      act("pause", { reason: option.dataset.pauseReason });
    } else if (event.target.closest("[data-dialog-cancel]") || outside(pauseDialog, event)) {
      closeDialog(pauseDialog);
    }
  });

  transferDialog.addEventListener("click", (event) => {
    const option = event.target.closest("[data-transfer-service]");
    if (option) {
      closeDialog(transferDialog);
      act("transfer", { service: option.dataset.transferService });
    } else if (event.target.closest("[data-dialog-cancel]") || outside(transferDialog, event)) {
      closeDialog(transferDialog);
    }
  });

  function askPark() {
    if (state.busy || !allowed("park")) return;
    parkDialog.querySelector("[data-park-minutes]").value = "";
    openDialog(parkDialog);
  }

  parkDialog.addEventListener("click", (event) => {
    const option = event.target.closest("[data-park-to]");
    if (option) {
      const minutes = parkDialog.querySelector("[data-park-minutes]").value;
      closeDialog(parkDialog);
      act("park", { to: option.dataset.parkTo, minutes: minutes ? Number(minutes) : null });
    } else if (event.target.closest("[data-dialog-cancel]") || outside(parkDialog, event)) {
      closeDialog(parkDialog);
    }
  });

  function trigger(action) {
    if (action === "pause") askPause();
    else if (action === "transfer") askTransfer();
    else if (action === "park") askPark();
    else act(action);
  }

  root.addEventListener("click", (event) => {
    const button = event.target.closest("button[data-pool-call]");
    if (!button || button.disabled) return;
    act(`pool/${encodeURIComponent(button.dataset.poolCall)}/call`);
  });

  root.addEventListener("click", (event) => {
    const button = event.target.closest("button[data-action]");
    if (!button || button.disabled) return;
    // A pointer tap leaves no focus behind, so Space cannot press it again.
    if (event.detail > 0) button.blur();
    trigger(button.dataset.action);
  });

  /* --- Keyboard ---------------------------------------------------------------- */

  const KEYS = { r: "recall", s: "start", f: "finish", n: "no-show", t: "transfer", o: "open", k: "park" };

  document.addEventListener("keydown", (event) => {
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    const target = event.target;
    if (target && (target.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName))) return;
    const dialog = openedDialog();
    if (dialog) {
      // In a dialog, digits pick an option; Escape is the dialog's own.
      if (/^[1-9]$/.test(event.key)) {
        const option = dialog.querySelectorAll(".btn-option")[Number(event.key) - 1];
        if (option) {
          event.preventDefault();
          option.click();
        }
      }
      return;
    }
    const key = event.key.toLowerCase();
    const paused = Boolean(state.counter) && state.counter.state === "paused";
    let action = null;
    if (event.key === " " || event.key === "Spacebar" || event.key === "F1") action = "call-next";
    else if (key === "p") action = paused ? "resume" : "pause";
    else action = KEYS[key] || null;
    if (!action) return;
    event.preventDefault(); // Space would scroll or press the focused button; F1 opens help
    if (event.repeat) return;
    trigger(action);
  });

  /* --- Rendering ------------------------------------------------------------- */

  function render() {
    const c = state.counter;
    const t = state.current;

    // Counter state in the top bar.
    const pill = $("[data-state-pill]");
    if (c) {
      const st = label("state", c.state);
      let text = `${st.zh} ${st.en}`;
      if (c.state === "paused" && c.pause_reason) text += ` · ${label("pause_reason", c.pause_reason).zh}`;
      pill.textContent = text;
      pill.className = `state-pill state-${c.state}`;
      // Anyone of the hall may act on a counter; say so when it is not the user's own.
      const other = Boolean(c.signed_in_user) && c.signed_in_user !== cfg.me;
      $("[data-signed-in]").textContent = (c.signed_in_user || "—") + (other ? "（非本人 / not you）" : "");
      $(".agent").classList.toggle("is-other", other);
    }

    // The ticket card.
    const card = $("[data-ticket-card]");
    let mode = "loading";
    if (t) mode = t.status === "serving" ? "serving" : "called";
    else if (c) mode = c.state === "closed" ? "closed" : c.state === "paused" ? "paused" : "idle";
    card.dataset.mode = mode;
    card.dataset.priority = t ? t.priority : "";
    $("[data-ticket-number]").textContent = t ? t.number : "";
    const status = $("[data-ticket-status]");
    if (t) {
      const s = label("status", t.status);
      status.textContent = `${s.zh} ${s.en}`;
      const priority = $("[data-ticket-priority]");
      priority.hidden = t.priority === "normal";
      const p = label("priority", t.priority);
      priority.textContent = t.priority === "vip" ? "VIP 贵宾" : `${p.zh} ${p.en}`;
      priority.className = `priority-badge priority-${t.priority}`;
      const service = hallServices.find((x) => x.code === t.service);
      fact("[data-ticket-service]", t.service_name || (service && service.name) || t.service,
        service ? service.name_en : "");
      const ch = label("channel", t.channel);
      fact("[data-ticket-channel]", ch.zh, ch.en);
      fact("[data-ticket-waited]", t.called_at
        ? duration((Date.parse(t.called_at) - Date.parse(t.issued_at)) / 1000) : "—",
      `取号 Issued ${clockTime(t.issued_at)}`);
      fact("[data-ticket-calls]", String(t.call_count), t.call_count > 1 ? "已重呼 Recalled" : "");
    } else {
      status.textContent = "";
      $("[data-ticket-priority]").hidden = true;
      const [title, sub] = idleText(c);
      $("[data-idle-title]").textContent = title;
      $("[data-idle-sub]").textContent = sub;
    }
    tick();

    // Buttons: legal actions only, none while one is in flight.
    for (const button of $$("button[data-action]")) {
      const action = button.dataset.action;
      button.disabled = Boolean(state.busy) || !allowed(action);
      button.classList.toggle("is-busy", state.busy === action);
    }
    // Two controls at a time: open or pause or resume, and close.
    const st = c ? c.state : "closed";
    $(".ctl-open").hidden = st !== "closed";
    $(".ctl-pause").hidden = st !== "open";
    $(".ctl-resume").hidden = st !== "paused";
    root.classList.toggle("is-busy", Boolean(state.busy));

    renderWaiting();
    renderPool();
    renderConnection();
  }

  /** The pool list: each parked visit with its return time and a call-back button. */
  function renderPool() {
    const list = $("[data-pool-list]");
    const canCall = !state.busy && allowed("pool-call");
    list.replaceChildren(...state.pool.map((p) => {
      const item = document.createElement("li");
      item.className = p.due ? "pool-item is-due" : "pool-item";
      item.dataset.poolNumber = p.number;
      const number = document.createElement("b");
      number.className = "pool-number";
      number.textContent = p.number;
      const what = document.createElement("span");
      what.className = "pool-what";
      const kind = p.pool === "agent" ? "我的 Mine" : "窗口 Counter";
      const when = p.due_at ? (p.due ? "已到时 Due" : `${clockTime(p.due_at)} 返回 Back`) : "手动 By hand";
      what.textContent = `${p.service_name} · ${kind} · ${when}`;
      const button = document.createElement("button");
      button.type = "button";
      button.className = "btn btn-small pool-call";
      button.dataset.poolCall = p.number;
      button.disabled = !canCall;
      button.textContent = "叫回 Call back";
      item.append(number, what, button);
      return item;
    }));
    $("[data-pool-count]").textContent = String(state.pool.length);
    $("[data-pool-empty]").hidden = state.pool.length > 0;
    $("[data-pool]").hidden = state.pool.length === 0; // room for the waiting counts while nothing is parked
  }

  function fact(selector, main, sub) {
    const nodes = [document.createTextNode(main)];
    if (sub) {
      const small = document.createElement("small");
      small.textContent = sub;
      nodes.push(small);
    }
    $(selector).replaceChildren(...nodes);
  }

  function idleText(c) {
    if (!c) return ["正在加载…", "Loading…"];
    if (c.state === "closed") return ["窗口已关闭", "Counter closed · press 开启窗口 (O) to sign in and start"];
    if (c.state === "paused") {
      const reason = label("pause_reason", c.pause_reason);
      return [`暂停服务 · ${reason.zh}`, `Paused · ${reason.en} · press 恢复服务 (P) to resume`];
    }
    return ["请叫号", "Ready · press 叫号 (Space) to call the next customer"];
  }

  // Live timers: time since the ticket was (last) called.
  function tick() {
    const t = state.current;
    if (t && t.called_at) {
      fact("[data-ticket-since]", duration((serverNow() - Date.parse(t.called_at)) / 1000),
        `叫号 Called ${clockTime(t.called_at)}`);
    }
  }

  function renderWaiting() {
    let total = 0;
    for (const item of $$("[data-waiting-service]")) {
      const n = state.waiting[item.dataset.waitingService] ?? 0;
      total += n;
      const cell = item.querySelector("[data-waiting-count]");
      if (cell.textContent !== String(n)) {
        cell.textContent = String(n);
        item.classList.remove("is-updated");
        void item.offsetWidth; // restart the highlight
        item.classList.add("is-updated");
      }
      item.classList.toggle("has-waiting", n > 0);
    }
    root.dataset.waitingTotal = String(total);
  }

  function renderConnection() {
    const downLong = !state.socketOpen && state.socketDownSince !== null
      && Date.now() - state.socketDownSince >= BANNER_DELAY_MS;
    const offline = state.httpDown || downLong;
    $("[data-offline-banner]").hidden = !offline;
    root.classList.toggle("is-offline", offline);
    const conn = $("[data-conn]");
    conn.className = `conn ${offline ? "is-offline" : state.socketOpen ? "is-online" : "is-connecting"}`;
    $("[data-conn-text]").textContent = offline ? "已断开" : state.socketOpen ? "实时" : "连接中";
  }

  /* --- The hall's live socket ------------------------------------------------- */

  let socket = null;
  let reconnectTimer = null;
  let lastHeard = 0;
  let connectStartedAt = 0;

  function connect() {
    clearTimeout(reconnectTimer);
    const scheme = window.location.protocol === "https:" ? "wss://" : "ws://";
    const ws = new WebSocket(scheme + window.location.host + cfg.wsPath);
    socket = ws;
    connectStartedAt = Date.now();
    ws.onopen = () => { lastHeard = Date.now(); };
    ws.onmessage = (event) => {
      if (ws !== socket) return;
      lastHeard = Date.now();
      let message;
      try { message = JSON.parse(event.data); } catch (e) { return; }
      onMessage(message);
    };
    ws.onclose = () => { if (ws === socket) dropped(); };
    ws.onerror = () => { /* onclose follows */ };
  }

  function dropped() {
    socket = null;
    if (state.socketOpen || state.socketDownSince === null) state.socketDownSince = Date.now();
    state.socketOpen = false;
    const wait = Math.min(BACKOFF_CAP_MS, BACKOFF_BASE_MS * 2 ** state.reconnects);
    state.reconnects += 1;
    reconnectTimer = setTimeout(connect, wait / 2 + Math.random() * wait / 2);
    setTimeout(renderConnection, BANNER_DELAY_MS + 50);
    renderConnection();
  }

  function reconnectNow() {
    // Drop this socket (its late messages are ignored) and take a fresh snapshot.
    const old = socket;
    socket = null;
    if (old) {
      old.onclose = null;
      try { old.close(); } catch (e) { /* already closed */ }
    }
    state.socketOpen = false;
    if (state.socketDownSince === null) state.socketDownSince = Date.now();
    connect();
  }

  function onMessage(message) {
    if (message.type === "pong") return;
    if (message.type === "snapshot") {
      state.seq = message.seq;
      state.socketOpen = true;
      state.socketDownSince = null;
      state.reconnects = 0;
      if (message.generated_at) state.clockOffsetMs = Date.parse(message.generated_at) - Date.now();
      setWaiting(message.services);
      render();
      refresh(); // whatever happened while the socket was away
      loadRequests();
      return;
    }
    if (typeof message.seq !== "number" || state.seq === null) return;
    if (message.seq <= state.seq) return; // already in the snapshot
    if (message.seq > state.seq + 1) {
      reconnectNow(); // missed events: start again from a snapshot
      return;
    }
    state.seq = message.seq;
    if (message.type === "queue.changed") {
      setWaiting(message.services);
      renderWaiting();
      // Start, finish, no-show and transfer of this counter's ticket (from
      // another tab) only show up as a queue change.
      if (state.current) refreshSoon();
    } else if (message.type === "counter.changed" || message.type === "ticket.called") {
      if (message.counter === cfg.counterNumber) refresh();
    } else if (message.type === "counter.requested") {
      loadRequests();
    }
  }

  function setWaiting(services) {
    for (const s of services || []) {
      if (s.code in state.waiting) state.waiting[s.code] = s.waiting;
    }
  }

  let refreshSoonTimer = null;

  function refreshSoon() {
    clearTimeout(refreshSoonTimer);
    refreshSoonTimer = setTimeout(refresh, 250);
  }

  setInterval(() => {
    if (socket && socket.readyState === WebSocket.CONNECTING && Date.now() - connectStartedAt > SILENCE_MS) {
      reconnectNow(); // a connection attempt that hangs
      return;
    }
    if (!socket || socket.readyState !== WebSocket.OPEN) return;
    if (Date.now() - lastHeard > SILENCE_MS) {
      reconnectNow(); // a connection that died without a close
      return;
    }
    try { socket.send(JSON.stringify({ type: "ping" })); } catch (e) { /* onclose follows */ }
  }, PING_MS);

  /* --- Staying in step ------------------------------------------------------- */

  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "visible") refresh();
  });
  window.addEventListener("focus", () => refresh());
  // The number tools (numbers.js) called a ticket to this counter.
  window.addEventListener("qms:console-refresh", () => refresh());
  window.addEventListener("online", () => {
    state.reconnects = 0;
    if (!state.socketOpen) reconnectNow();
    refresh();
  });
  window.addEventListener("offline", () => {
    setHttpDown(true);
  });
  setInterval(() => {
    if (document.visibilityState === "visible") refresh();
  }, SAFETY_REFRESH_MS);
  setInterval(() => {
    tick();
    renderConnection();
  }, 1000);

  render();
  refresh();
  connect();
})();
