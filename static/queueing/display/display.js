/* Live client of the lobby wall display and the counter screens.
 *
 * The page arrives rendered with the hall's snapshot; this keeps it true over
 * /ws/halls/{code}/display/:
 * - the socket's first message is a snapshot, which replaces what is shown;
 * - events apply in `seq` order; one at or below the current seq is stale and
 *   dropped; a gap (seq jumps by more than one) means something was missed, so
 *   the client reconnects and takes a fresh snapshot;
 * - a dropped socket reconnects with exponential backoff and jitter (cap 15 s)
 *   and says so in a small corner notice; a ping every 20 s keeps it alive and
 *   finds connections that died silently;
 * - the server answers a ping with the hall's current seq: one below this
 *   screen's (the server's Redis started again) or above it for longer than a
 *   moment (events were lost) means a fresh snapshot; null means live events
 *   are unavailable, and the screen pings every few seconds until they are
 *   back, so it catches up within seconds of the server's recovery.
 * The device also registers itself and sends a heartbeat every 30 s, with the
 * token its first heartbeat was given (kept in localStorage).
 */
(function () {
  "use strict";

  const root = document.querySelector(".display-root");
  const config = {
    hall: root.dataset.hall,
    kind: root.dataset.kind, // "lobby" | "counter"
    counter: root.dataset.counter ? Number(root.dataset.counter) : null,
    wsPath: root.dataset.wsPath,
    heartbeatUrl: root.dataset.heartbeatUrl,
    timeZone: root.dataset.timeZone || undefined,
  };
  const HISTORY = 8; // recent calls below the newest
  const PING_MS = 20000;
  const SILENCE_MS = 45000; // no message (not even a pong) this long: the socket is dead
  const BACKOFF_BASE_MS = 500;
  const BACKOFF_CAP_MS = 15000;
  const NOTICE_DELAY_MS = 1000; // a quick reconnect (after a gap) shows no notice
  const HEARTBEAT_MS = 30000;
  const DEGRADED_PING_MS = 3000; // while the server has no live events
  const IN_FLIGHT_MS = 2000; // an event numbered before a pong may still be on its way

  const state = {
    seq: null,
    services: [],
    calls: [], // newest first: {number, counter, service, called_at, recall, reinstated}
    counters: [],
    alert: null,
    clockOffsetMs: 0, // server time minus this screen's clock
    connected: false,
    live: true, // false while the server answers that live events are unavailable
    connects: 0, // sockets opened, the first included
    resyncs: 0, // reconnections asked for by this client (a gap in seq, a silent socket, a new day)
  };
  window.qmsDisplay = state;

  const $ = (selector) => root.querySelector(selector);
  const escape = (value) => String(value ?? "").replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

  /* --- Applying messages -------------------------------------------------- */

  function applySnapshot(snapshot) {
    state.seq = snapshot.seq;
    state.services = snapshot.services || [];
    state.counters = snapshot.counters || [];
    state.alert = snapshot.alert || null;
    // Calls still at a counter are the truth; calls seen earlier that have
    // since finished stay in the history below them.
    const active = (snapshot.now_serving || []).map((c) => ({ ...c, recall: false }));
    const numbers = new Set(active.map((c) => c.number));
    state.calls = active.concat(state.calls.filter((c) => !numbers.has(c.number)))
      .sort((a, b) => Date.parse(b.called_at) - Date.parse(a.called_at))
      .slice(0, HISTORY + 1);
    if (snapshot.generated_at) state.clockOffsetMs = Date.parse(snapshot.generated_at) - Date.now();
    render();
  }

  const handlers = {
    "ticket.called"(event) {
      const call = { number: event.number, counter: event.counter, service: event.service,
                     called_at: event.called_at, recall: Boolean(event.recall),
                     reinstated: Boolean(event.reinstated) };
      state.calls = [call].concat(state.calls.filter((c) => c.number !== call.number)).slice(0, HISTORY + 1);
      const board = state.counters.find((b) => b.number === event.counter);
      if (board) board.current = event.number;
      render({ freshCall: call });
      if (config.kind === "lobby" && window.qmsAnnouncer) window.qmsAnnouncer.announce(call);
    },
    "queue.changed"(event) {
      state.services = event.services || [];
      render();
    },
    "counter.changed"(event) {
      const board = state.counters.find((b) => b.number === event.counter);
      if (board) {
        board.state = event.state;
        // The number now at the counter; null once its ticket has left it.
        if ("current" in event) board.current = event.current;
        else if (event.state !== "open") board.current = null;
      }
      render();
    },
    alert(event) {
      state.alert = event.message ? { level: event.level, message: event.message } : null;
      render();
    },
  };

  function onMessage(message) {
    if (message.type === "snapshot") {
      applySnapshot(message);
      markConnected();
      return;
    }
    if (message.type === "pong") {
      onPong(message);
      return;
    }
    if (state.seq === null || typeof message.seq !== "number") return;
    if (message.seq <= state.seq) return; // stale: the snapshot or an earlier event covered it
    if (message.seq !== state.seq + 1) {
      reconnect("gap"); // missed an event: start again from a fresh snapshot
      return;
    }
    state.seq = message.seq;
    // Events for others on the same socket (a console's counter requests) only count.
    if (message.type in handlers) handlers[message.type](message);
  }

  let quickPing = null;

  function onPong(message) {
    if (message.seq === null || message.seq === undefined) {
      // The server cannot number events now: ask again soon.
      state.live = false;
      if (!quickPing) quickPing = setTimeout(() => { quickPing = null; keepAlive(); }, DEGRADED_PING_MS);
      return;
    }
    state.live = true;
    if (state.seq === null || message.seq === state.seq) return;
    if (message.seq < state.seq) {
      reconnect("restart"); // the server's sequence started again: what is shown may be stale
      return;
    }
    const behind = message.seq;
    setTimeout(() => {
      if (state.seq !== null && state.seq < behind) reconnect("missed");
    }, IN_FLIGHT_MS);
  }

  /* --- Rendering ---------------------------------------------------------- */

  function render(options = {}) {
    if (config.kind === "lobby") renderLobby(options);
    else renderCounter(options);
  }

  function renderLobby({ freshCall }) {
    const [newest, ...history] = state.calls;
    const panel = $("[data-newest]");
    panel.toggleAttribute("data-empty", !newest);
    $("[data-newest-number]").textContent = newest ? newest.number : "—";
    $("[data-newest-counter]").innerHTML = newest
      ? `请到 <b>${escape(newest.counter)}</b> 号窗口 <span class="en">Counter ${escape(newest.counter)}</span>` +
        (newest.recall ? `<span class="recall-tag">重呼 Recall</span>` : "") +
        (newest.reinstated ? `<span class="recall-tag reinstated-tag">过号顺延 Reinstated</span>` : "")
      : `请留意叫号 <span class="en">Please wait for your number</span>`;
    if (freshCall) flash(panel);

    const rows = history.slice(0, HISTORY).map((c) =>
      `<li><span class="num">${escape(c.number)}</span>` +
      (c.reinstated ? `<span class="tag" title="过号顺延 Reinstated">顺延</span>` : "") +
      `<span class="ctr">${escape(c.counter)}<small>号窗口</small></span></li>`);
    while (rows.length < HISTORY) rows.push(`<li class="blank"><span class="num">&nbsp;</span></li>`);
    $("[data-history]").innerHTML = rows.join("");

    $("[data-services]").innerHTML = state.services.map((s) =>
      `<div class="service"><div class="svc-name${s.name.length > 6 ? " long" : ""}">${escape(s.name)}</div>` +
      `<div class="svc-en">${escape(s.name_en)}</div>` +
      `<div class="svc-waiting"><b>${escape(s.waiting)}</b> 人等候 <span class="en">waiting</span></div></div>`,
    ).join("");

    const banner = $("[data-alert]");
    banner.hidden = !state.alert;
    banner.className = "alert-banner" + (state.alert ? ` level-${state.alert.level}` : "");
    banner.textContent = state.alert ? state.alert.message : "";
  }

  function renderCounter({ freshCall }) {
    const board = state.counters.find((b) => b.number === config.counter) || { state: "closed", current: null };
    const main = $("[data-counter-board]");
    main.className = `counter-main state-${board.state}`;
    if (board.state === "paused") {
      main.innerHTML = `<div class="counter-state">暂停服务</div><div class="counter-state-en">Paused</div>` +
        `<div class="counter-hint">请到其他窗口办理 <span class="en">Please use another counter</span></div>`;
    } else if (board.state === "closed") {
      main.innerHTML = `<div class="counter-state">未开放</div><div class="counter-state-en">Closed</div>`;
    } else if (board.current) {
      main.innerHTML = `<div class="counter-label">当前号码 <span class="en">Now serving</span></div>` +
        `<div class="counter-number">${escape(board.current)}</div>`;
      if (freshCall && freshCall.counter === config.counter) flash(main);
    } else {
      main.innerHTML = `<div class="counter-idle">欢迎光临</div><div class="counter-state-en">Welcome</div>`;
    }
  }

  function flash(element) {
    element.classList.remove("fresh");
    void element.offsetWidth; // restart the animation
    element.classList.add("fresh");
  }

  /* --- Clock ------------------------------------------------------------- */

  const WEEKDAYS = ["星期日", "星期一", "星期二", "星期三", "星期四", "星期五", "星期六"];
  let shownDate = null;

  function tick() {
    const now = new Date(Date.now() + state.clockOffsetMs);
    const parts = Object.fromEntries(new Intl.DateTimeFormat("en-GB", {
      timeZone: config.timeZone, year: "numeric", month: "numeric", day: "numeric",
      hour: "2-digit", minute: "2-digit", second: "2-digit", hourCycle: "h23", weekday: "short",
    }).formatToParts(now).map((p) => [p.type, p.value]));
    const clock = $("[data-clock]");
    if (clock) {
      clock.textContent = config.kind === "lobby"
        ? `${parts.hour}:${parts.minute}:${parts.second}`
        : `${parts.hour}:${parts.minute}`;
    }
    const weekday = WEEKDAYS[["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"].indexOf(parts.weekday)];
    const date = `${parts.year}年${parts.month}月${parts.day}日 ${weekday}`;
    const dateEl = $("[data-date]");
    if (dateEl) dateEl.textContent = date;
    if (shownDate !== null && date !== shownDate) {
      // A new business day: numbers start again, so yesterday's calls go.
      state.calls = [];
      reconnect("new day");
    }
    shownDate = date;
  }

  /* --- The socket -------------------------------------------------------- */

  let socket = null;
  let attempt = 0;
  let retryTimer = null;
  let noticeTimer = null;
  let lastMessageAt = 0;

  function connect() {
    clearTimeout(retryTimer);
    const scheme = location.protocol === "https:" ? "wss:" : "ws:";
    const ws = new WebSocket(`${scheme}//${location.host}${config.wsPath}`);
    socket = ws;
    state.connects += 1;
    ws.onmessage = (e) => {
      if (ws !== socket) return;
      lastMessageAt = Date.now();
      let message;
      try {
        message = JSON.parse(e.data);
      } catch (err) {
        return;
      }
      onMessage(message);
    };
    ws.onclose = () => {
      if (ws === socket) dropped();
    };
  }

  function markConnected() {
    attempt = 0;
    state.connected = true;
    clearTimeout(noticeTimer);
    $(".conn-lost").hidden = true;
  }

  function dropped() {
    socket = null;
    state.connected = false;
    clearTimeout(noticeTimer);
    noticeTimer = setTimeout(() => { $(".conn-lost").hidden = false; }, NOTICE_DELAY_MS);
    // Full backoff with jitter, so a hall's screens do not all return at once.
    const ceiling = Math.min(BACKOFF_CAP_MS, BACKOFF_BASE_MS * 2 ** attempt);
    attempt += 1;
    retryTimer = setTimeout(connect, ceiling / 2 + Math.random() * ceiling / 2);
  }

  function reconnect(reason) {
    state.resyncs += 1;
    const ws = socket;
    if (ws) {
      ws.onclose = null;
      ws.close(4000, reason);
    }
    dropped();
  }

  function keepAlive() {
    if (!socket || socket.readyState !== WebSocket.OPEN) return;
    if (Date.now() - lastMessageAt > SILENCE_MS) {
      reconnect("silent");
      return;
    }
    socket.send(JSON.stringify({ type: "ping" }));
  }

  /* --- Heartbeat --------------------------------------------------------- */

  function deviceId() {
    const key = "qms.display.device";
    let id = localStorage.getItem(key);
    if (!id) {
      // randomUUID needs a secure context; a hall's screens often load over plain HTTP.
      id = crypto.randomUUID ? crypto.randomUUID()
        : ([1e7] + -1e3 + -4e3 + -8e3 + -1e11).replace(/[018]/g, (c) =>
          (c ^ (crypto.getRandomValues(new Uint8Array(1))[0] & (15 >> (c / 4)))).toString(16));
      localStorage.setItem(key, id);
    }
    return id;
  }

  // The token the device's first heartbeat was given; every later one sends it.
  const TOKEN_KEY = "qms.display.token";

  function heartbeat() {
    const body = { device_id: deviceId(), kind: config.kind, counter: config.counter };
    const token = localStorage.getItem(TOKEN_KEY);
    if (token) body.device_token = token;
    const name = new URLSearchParams(location.search).get("name");
    if (name) body.name = name.slice(0, 60);
    fetch(config.heartbeatUrl, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      credentials: "omit",
      body: JSON.stringify(body),
    }).then(async (response) => {
      const answer = await response.json().catch(() => ({}));
      if (response.ok && answer.device_token) {
        localStorage.setItem(TOKEN_KEY, answer.device_token);
      } else if (response.status === 403 && answer.error && answer.error.code === "display_token_invalid") {
        // This id is another device's (or its token was lost): register anew at the next beat.
        localStorage.removeItem("qms.display.device");
        localStorage.removeItem(TOKEN_KEY);
      }
    }).catch(() => {});
  }

  /* --- Start ------------------------------------------------------------- */

  const initial = document.getElementById("display-snapshot");
  if (initial) {
    // The server rendered this snapshot; keep its data (not its seq, which the
    // socket's own snapshot sets) so the first live event renders on top of it.
    const snapshot = JSON.parse(initial.textContent);
    state.services = snapshot.services || [];
    state.counters = snapshot.counters || [];
    state.alert = snapshot.alert || null;
    state.calls = (snapshot.now_serving || []).slice(0, HISTORY + 1);
    if (snapshot.generated_at) state.clockOffsetMs = Date.parse(snapshot.generated_at) - Date.now();
  }
  tick();
  setInterval(tick, 1000);
  connect();
  setInterval(keepAlive, PING_MS);
  heartbeat();
  setInterval(heartbeat, HEARTBEAT_MS);
})();
