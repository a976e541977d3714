/* The customer's live ticket page.
 *
 * The page arrives rendered with the ticket's state; this keeps it true over
 * /ws/tickets/{token}/. Every frame is the whole state of the ticket, so the
 * latest frame simply replaces what is shown, and after a reconnect the first
 * frame is the truth. A dropped socket reconnects with exponential backoff and
 * jitter (cap 15 s), at once when the phone wakes the page again; a ping every
 * 20 s finds connections that died silently. Once the ticket is finished
 * (done, no-show, cancelled) nothing can change it any more and the socket is
 * let go.
 *
 * Cancelling, rating, stepping away (暂离) and checking in on arrival go
 * through the public API with the ticket's token. Beside its phase, the root
 * carries the holder's presence (data-presence: remote, away, here; the
 * server's ticket_presence) for the panels that go with it. The ticket is
 * remembered in this browser (localStorage "qms-tickets"), so that scanning
 * a hall's check-in code with the phone finds it.
 */
(function () {
  "use strict";

  const root = document.querySelector(".ticket-root");
  const cfg = JSON.parse(document.getElementById("ticket-config").textContent);
  const FINAL = new Set(["done", "no_show", "cancelled"]); // statuses
  const PING_MS = 20000;
  const SILENCE_MS = 45000;
  const BACKOFF_BASE_MS = 500;
  const BACKOFF_CAP_MS = 15000;
  const NOTICE_DELAY_MS = 1500; // a quick reconnect shows no notice
  const STATUS_LABELS = {
    waiting: ["等候中", "Waiting"],
    near: ["快到您了", "Almost your turn"],
    called: ["请到窗口", "Your turn"],
    serving: ["办理中", "Being served"],
    done: ["已完成", "Done"],
    no_show: ["已过号", "Missed"],
    cancelled: ["已取消", "Cancelled"],
    closed: ["已结束营业", "Closed for the day"],
    removed: ["已取消", "Cancelled"],
  };

  const state = {
    ticket: cfg.state,
    phase: root.dataset.phase,
    connected: false,
    connects: 0,
    frames: 0,
    vibrations: [], // phases that buzzed the phone (for tests and curiosity)
    rated: cfg.rated,
  };
  window.qmsTicket = state;

  const $ = (selector) => root.querySelector(selector);
  const $$ = (selector) => Array.from(root.querySelectorAll(selector));
  const setText = (selector, text) => $$(selector).forEach((el) => { el.textContent = text; });
  const bilingual = (el, zh, en) => {
    el.textContent = `${zh} `;
    const span = document.createElement("span");
    span.className = "en";
    span.textContent = en;
    el.appendChild(span);
  };

  /* --- Showing the ticket --------------------------------------------------- */

  function phaseOf(ticket) {
    if (ticket.status === "cancelled") {
      // Why it ended: the hall's day closed first, or staff took it out.
      return { day_closed: "closed", staff: "removed" }[ticket.cancel_reason] || "cancelled";
    }
    if (ticket.status !== "waiting") return ticket.status;
    const position = ticket.position;
    const wait = ticket.estimated_wait_seconds;
    if (position != null && position <= cfg.nearPosition) return "near";
    if (wait != null && wait < cfg.nearSeconds) return "near";
    return "waiting";
  }

  function aheadHtml(ticket) {
    const ahead = ticket.position == null ? null : ticket.position - 1;
    const zh = $("[data-ahead-zh]");
    zh.textContent = "";
    if (ticket.parked) {
      // Set aside by the agent (a form to fill, a document to fetch): no place in the line.
      zh.textContent = "号码已暂存，准备好后请回到窗口";
      setText("[data-ahead-en]", "Set aside: go back to the counter when you are ready");
    } else if (ahead === 0) {
      zh.textContent = "下一位就是您";
      setText("[data-ahead-en]", "You are next");
    } else {
      zh.append("前面还有 ");
      const b = document.createElement("b");
      b.textContent = ahead == null ? "–" : String(ahead);
      zh.append(b, " 位");
      setText("[data-ahead-en]", `${ahead ?? "–"} ahead of you`);
    }
    const minutes = ticket.estimated_wait_seconds == null ? null : Math.ceil(ticket.estimated_wait_seconds / 60);
    const waitZh = $("[data-wait-zh]");
    waitZh.textContent = "";
    // Rounded, and as a range when the estimate is unsure (the page's server side: wait_range_minutes).
    const range = ticket.estimated_wait_range;
    const low = range ? Math.floor(range[0] / 60) : null;
    const high = range ? Math.ceil(range[1] / 60) : null;
    const unsure = range && high - low >= cfg.rangeShownMinutes;
    if (minutes) {
      const b = document.createElement("b");
      b.textContent = String(minutes);
      waitZh.append("预计等候约 ", b, " 分钟");
      if (unsure) {
        const small = document.createElement("small");
        small.textContent = `（${low}–${high} 分钟）`;
        waitZh.append(small);
      }
      setText("[data-wait-en]", `About ${minutes} min` + (unsure ? ` (${low}–${high})` : ""));
    } else {
      waitZh.textContent = "即将叫号";
      setText("[data-wait-en]", "Any moment now");
    }
  }

  function presenceOf(ticket) {
    if (ticket.status !== "waiting") return "";
    if (ticket.check_in_required) return "remote";
    if (ticket.away_until && new Date(ticket.away_until).getTime() > Date.now()) return "away";
    return ticket.step_away_left ? "here" : "";
  }

  let awayTimer = null;

  function renderPresence(ticket, phase) {
    const presence = presenceOf(ticket);
    state.presence = presence;
    root.dataset.presence = presence;
    clearTimeout(awayTimer);
    if (presence === "away") {
      const hm = String(ticket.away_until).slice(11, 16); // the hall's local time, as sent
      setText("[data-away-until]", hm);
      setText("[data-away-until-en]", hm);
      // Back in the line when the time is up, even before the server says so.
      const left = new Date(ticket.away_until).getTime() - Date.now();
      awayTimer = setTimeout(render, Math.min(Math.max(left + 500, 500), 2147483000));
      bilingual($("[data-status-label]"), "暂离中", "Stepped away");
    } else if (presence === "remote") {
      bilingual($("[data-status-label]"), "待到店签到", "Check in on arrival");
    }
    return presence;
  }

  function render() {
    const ticket = state.ticket;
    const phase = phaseOf(ticket);
    const previous = state.phase;
    state.phase = phase;
    root.dataset.phase = phase;
    setText("[data-ticket-number]", ticket.number);
    const names = cfg.services[ticket.service];
    if (names) {
      setText("[data-service-zh]", names.zh);
      setText("[data-service-en]", names.en);
    }
    const [zh, en] = STATUS_LABELS[phase] || [phase, ""];
    bilingual($("[data-status-label]"), zh, en);
    if (phase === "waiting" || phase === "near") aheadHtml(ticket);
    renderPresence(ticket, phase);
    const counter = ticket.counter == null ? "" : String(ticket.counter);
    setText("[data-counter]", counter);
    setText("[data-counter-en]", counter);
    setText("[data-counter-serving]", counter);
    setText("[data-counter-serving-en]", counter);
    // A hall may name its counters ("VIP 室"); the default name says nothing new.
    const name = ticket.counter_name || "";
    setText("[data-counter-name]", name && name !== `${counter}号窗口` ? name : "");
    document.title = phase === "called" && counter
      ? `请到 ${counter} 号窗口 · ${ticket.number}`
      : `${ticket.number} · ${$("[data-hall-name]").textContent}`;
    // Called (or finished) while deciding whether to leave: there is nothing to cancel any more.
    const dialog = $("[data-cancel-dialog]");
    if (dialog.open && phase !== "waiting" && phase !== "near") dialog.close();
    if (phase !== previous && (phase === "near" || phase === "called")) buzz(phase);
    if (phase !== previous && phase === "done") showRating();
  }

  function buzz(phase) {
    state.vibrations.push(phase);
    if (navigator.vibrate) {
      try {
        navigator.vibrate(phase === "called" ? [400, 150, 400, 150, 400] : [250, 120, 250]);
      } catch (err) { /* some browsers refuse without a tap first */ }
    }
  }

  function apply(ticket) {
    state.ticket = ticket;
    state.frames += 1;
    render();
    if (FINAL.has(ticket.status)) finish();
  }

  /* --- The socket ------------------------------------------------------------- */

  let socket = null;
  let attempt = 0;
  let retryTimer = null;
  let pingTimer = null;
  let noticeTimer = null;
  let lastMessageAt = 0;
  let finished = FINAL.has(state.ticket.status);

  function setConnected(connected) {
    state.connected = connected;
    clearTimeout(noticeTimer);
    const conn = $("[data-conn]");
    if (connected) {
      conn.dataset.state = "live";
    } else if (!finished) {
      noticeTimer = setTimeout(() => { if (!state.connected && !finished) conn.dataset.state = "lost"; },
        NOTICE_DELAY_MS);
    }
  }

  function connect() {
    clearTimeout(retryTimer);
    if (finished || socket) return;
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    const ws = new WebSocket(`${scheme}://${location.host}${cfg.wsPath}`);
    socket = ws;
    ws.onopen = () => {
      if (ws !== socket) return;
      state.connects += 1;
      lastMessageAt = Date.now();
    };
    ws.onmessage = (event) => {
      if (ws !== socket) return;
      lastMessageAt = Date.now();
      let message;
      try { message = JSON.parse(event.data); } catch (err) { return; }
      if (message.type === "ticket") {
        attempt = 0;
        setConnected(true);
        apply(message);
      }
    };
    ws.onclose = (event) => {
      if (ws !== socket) return;
      socket = null;
      setConnected(false);
      if (event.code === 4404) { // the ticket is gone: reloading shows the not-found page
        finished = true;
        location.reload();
        return;
      }
      scheduleReconnect();
    };
    ws.onerror = () => { /* onclose follows and reconnects */ };
  }

  function scheduleReconnect() {
    if (finished) return;
    clearTimeout(retryTimer);
    const delay = Math.min(BACKOFF_CAP_MS, BACKOFF_BASE_MS * 2 ** attempt);
    attempt += 1;
    retryTimer = setTimeout(connect, delay / 2 + Math.random() * delay / 2);
  }

  function dropSocket() {
    const ws = socket;
    socket = null;
    if (ws) {
      ws.onclose = null;
      try { ws.close(); } catch (err) { /* already closing */ }
    }
  }

  function finish() {
    if (finished && !socket) return;
    finished = true;
    clearTimeout(retryTimer);
    clearInterval(pingTimer);
    dropSocket();
    const conn = $("[data-conn]");
    conn.dataset.state = "final";
  }

  pingTimer = setInterval(() => {
    if (!socket || socket.readyState !== WebSocket.OPEN) return;
    if (Date.now() - lastMessageAt > SILENCE_MS) { // silently dead: start again
      dropSocket();
      setConnected(false);
      connect();
      return;
    }
    socket.send(JSON.stringify({ type: "ping" }));
  }, PING_MS);

  // A phone puts a background page to sleep and its socket with it: on waking,
  // reconnect at once instead of waiting out the backoff.
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState !== "visible" || finished) return;
    if (!socket) {
      attempt = 0;
      connect();
    }
  });
  window.addEventListener("online", () => { if (!socket && !finished) { attempt = 0; connect(); } });

  /* --- Messages from actions --------------------------------------------------- */

  const toast = $("[data-toast]");
  function say(message) {
    toast.textContent = "";
    const [zh, en] = String(message).split(" / ");
    toast.append(zh);
    if (en) {
      const span = document.createElement("span");
      span.className = "en";
      span.textContent = en;
      toast.append(span);
    }
    toast.hidden = !message;
  }

  /** Resolves {status, data, error} for any answer; rejects (an ApiError) when none came. */
  function post(url, body) {
    return QmsApi.send("POST", url, { body: body || {}, timeoutMs: 0 });
  }

  /** The live frame that an API answer (the ticket) amounts to. */
  function frameOf(data) {
    return {
      type: "ticket", number: data.number, status: data.status, cancel_reason: data.cancel_reason,
      position: data.position, estimated_wait_seconds: data.estimated_wait_seconds,
      estimated_wait_range: data.estimated_wait_range, counter: data.counter, service: data.service,
      check_in_required: data.check_in_required, away_until: data.away_until, step_away_left: data.step_away_left,
      parked: data.parked,
    };
  }

  /** Post an action and show its answer: the new state, or the error's message. */
  async function act(button, url, body, fallback) {
    button.disabled = true;
    say("");
    try {
      const { status, data } = await post(url, body);
      if (status === 200 && data && data.number) {
        apply(frameOf(data));
        return true;
      }
      say((data && data.error && data.error.message) || fallback);
    } catch (err) {
      say("网络异常，请重试 / Network problem; please try again.");
    } finally {
      button.disabled = false;
    }
    return false;
  }

  /* --- Stepping away and checking in ----------------------------------------- */

  $$("[data-step-away]").forEach((button) => button.addEventListener("click", () => act(
    button, cfg.awayUrl, { minutes: Number(button.dataset.stepAway) },
    "暂离失败，请重试 / Could not step away; please try again.")));
  $("[data-come-back]").addEventListener("click", (event) => act(
    event.currentTarget, cfg.backUrl, {}, "操作失败，请重试 / Something went wrong; please try again."));

  const hereButton = $("[data-check-in-here]");
  hereButton.addEventListener("click", () => {
    if (!navigator.geolocation) {
      say("此浏览器无法定位，请在取号机或扫码签到 / This browser cannot share its location; check in at the kiosk or scan the hall's code.");
      return;
    }
    hereButton.disabled = true;
    navigator.geolocation.getCurrentPosition(
      (where) => {
        hereButton.disabled = false;
        act(hereButton, cfg.checkInUrl, { lat: where.coords.latitude, lng: where.coords.longitude },
          "签到失败，请在取号机签到 / Could not check you in; please use the kiosk.");
      },
      () => {
        hereButton.disabled = false;
        say("未能获取位置，请在取号机或扫码签到 / Your location is not available; check in at the kiosk or scan the hall's code.");
      },
      { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 },
    );
  });

  /* --- Remembering the ticket in this browser --------------------------------- */

  // For the hall's check-in code (/m/check-in/...): the phone's tickets of today.
  function remember() {
    try {
      const key = "qms-tickets";
      const cutoff = Date.now() - 2 * 24 * 3600 * 1000;
      const token = cfg.wsPath.split("/")[3];
      const kept = JSON.parse(localStorage.getItem(key) || "[]")
        .filter((t) => t && t.token !== token && t.savedAt > cutoff);
      if (!FINAL.has(state.ticket.status)) {
        kept.push({ token, hall: cfg.hall, number: state.ticket.number, day: cfg.businessDate, savedAt: Date.now() });
      }
      localStorage.setItem(key, JSON.stringify(kept.slice(-10)));
    } catch (err) { /* private mode: nothing remembered */ }
  }

  /* --- Cancel ------------------------------------------------------------------ */

  const dialog = $("[data-cancel-dialog]");
  const confirmButton = $("[data-cancel-confirm]");
  $("[data-cancel-open]").addEventListener("click", () => {
    say("");
    if (typeof dialog.showModal === "function") dialog.showModal();
    else dialog.setAttribute("open", "");
  });
  $("[data-cancel-keep]").addEventListener("click", () => dialog.close());
  confirmButton.addEventListener("click", async () => {
    confirmButton.disabled = true;
    dialog.close();
    try {
      const { status, data, error } = await post(cfg.cancelUrl);
      if (status === 200 && data) {
        apply(frameOf(data));
      } else if (error && error.code === "ticket_not_waiting") {
        say("您的号码已被叫到，不能取消 / Your number has already been called, so it cannot be cancelled.");
      } else {
        say((data && data.error && data.error.message) || "取消失败，请重试 / Could not cancel; please try again.");
      }
    } catch (err) {
      say("网络异常，请重试 / Network problem; please try again.");
    } finally {
      confirmButton.disabled = false;
    }
  });

  /* --- Rating ------------------------------------------------------------------ */

  const form = $("[data-rating-form]");
  const stars = $("[data-stars]");
  const submit = $("[data-rating-submit]");
  const comment = form.querySelector("textarea");
  const ratingError = $("[data-rating-error]");

  function chosenScore() {
    const checked = form.querySelector("input[name=score]:checked");
    return checked ? Number(checked.value) : null;
  }

  form.addEventListener("change", () => {
    const score = chosenScore();
    stars.dataset.score = score || "";
    submit.disabled = !score;
    if (score) {
      const input = form.querySelector("input[name=score]:checked");
      bilingual($("[data-score-label]"), `${score} 分 · ${input.dataset.zh}`, input.dataset.en);
    }
  });
  comment.addEventListener("input", () => { setText("[data-comment-count]", String(comment.value.length)); });

  function showRated(score) {
    state.rated = score;
    form.hidden = true;
    const shown = $("[data-rated-stars]");
    Array.from(shown.children).forEach((star, i) => star.classList.toggle("on", score != null && i < score));
    shown.setAttribute("aria-label", score ? `${score} / 5` : "");
    $("[data-rated]").hidden = false;
  }

  function showRating() {
    if (state.rated) showRated(state.rated);
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const score = chosenScore();
    if (!score) return;
    submit.disabled = true;
    ratingError.hidden = true;
    try {
      const { status, data, error } = await post(cfg.ratingUrl, { score, comment: comment.value.trim() });
      if (status === 201) {
        showRated(data.score);
        return;
      }
      if (error && error.code === "already_rated") {
        showRated(null);
        return;
      }
      const fields = (error && error.fields) || {};
      const message = (fields.comment && fields.comment[0]) || (fields.score && fields.score[0])
        || (data && data.error && data.error.message) || "提交失败，请重试 / Could not send; please try again.";
      ratingError.textContent = message;
      ratingError.hidden = false;
    } catch (err) {
      ratingError.textContent = "网络异常，请重试 / Network problem; please try again.";
      ratingError.hidden = false;
    } finally {
      submit.disabled = !chosenScore();
    }
  });

  /* --- Start -------------------------------------------------------------------- */

  render();
  remember();
  if (!finished) connect();
  else finish();
})();
