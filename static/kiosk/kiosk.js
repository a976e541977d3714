/* The kiosk's core: screens, the two languages, large text, the number pad,
 * the self-service API with the kiosk's or the customer's credential (through
 * static/js/api.js), the signed-in customer, receipts, and the idle timeout
 * that forgets the customer.
 *
 * Each flow (login.js, take.js, topup.js, numbers.js, and the customer's own
 * services: points.js, bills.js, packs.js, vas.js) registers its screens:
 *
 *     Kiosk.register("topup", { personal: false, enter(params) {}, reset() {} });
 *
 * `enter` runs each time the screen shows; `reset` must clear everything the
 * flow put on screen or kept in memory about a customer (it runs when the
 * kiosk goes idle, when the customer signs out and on "Home"). A flow whose
 * screens need a signed-in customer says `personal: true`; Kiosk.go() then
 * asks for the phone and code first.
 *
 * window.qmsKiosk exposes the state for the browser tests.
 */
(function () {
  "use strict";

  const app = document.querySelector("[data-kiosk]");
  const body = document.body;
  const HALL = app.dataset.hall;
  const DEVICE_TOKEN = app.dataset.deviceToken;
  const PHONE_RE = /^1[3-9][0-9]{9}$/;

  const flows = {};
  const state = {
    screen: "home",
    history: [],
    customer: null, // {token, phone, masked, expiresAt}
    lang: "zh",
    large: false,
    idleSeconds: Number(app.dataset.idleSeconds) || 60,
    idleWarnSeconds: 10,
    lastTouch: Date.now(),
    awakeUntil: 0,
    resets: 0,
    printed: [],
  };

  // --- Text in two languages -------------------------------------------------

  function t(zh, en) {
    const frag = document.createDocumentFragment();
    const a = document.createElement("span");
    a.className = "t-zh";
    a.lang = "zh-Hans";
    a.textContent = zh;
    const b = document.createElement("span");
    b.className = "t-en";
    b.lang = "en";
    b.textContent = en === undefined ? zh : en;
    frag.append(a, b);
    return frag;
  }

  function setText(el, zh, en) {
    el.replaceChildren(t(zh, en));
  }

  /** "中文 / English" (the API's messages) as two spans. */
  function bilingual(message) {
    const text = String(message || "");
    const cut = text.indexOf(" / ");
    return cut < 0 ? t(text, text) : t(text.slice(0, cut), text.slice(cut + 3));
  }

  function setLang(lang) {
    state.lang = lang;
    body.classList.toggle("lang-zh", lang === "zh");
    body.classList.toggle("lang-en", lang === "en");
    document.documentElement.lang = lang === "zh" ? "zh-Hans" : "en";
  }

  function setLarge(on) {
    state.large = on;
    document.documentElement.classList.toggle("k-large", on);
    app.querySelector("[data-large-toggle]").setAttribute("aria-pressed", on ? "true" : "false");
  }

  // --- Formatting -------------------------------------------------------------

  function yuan(fen) {
    const n = Number(fen) || 0;
    const sign = n < 0 ? "-" : "";
    const abs = Math.abs(n);
    return `${sign}¥${Math.floor(abs / 100)}.${String(abs % 100).padStart(2, "0")}`;
  }

  function dataAmount(kb) {
    const n = Number(kb) || 0;
    if (n >= 1024 * 1024) return `${(n / 1024 / 1024).toFixed(2)} GB`;
    if (n >= 1024) return `${(n / 1024).toFixed(n % 1024 ? 1 : 0)} MB`;
    return `${n} KB`;
  }

  function maskPhone(phone) {
    return phone && phone.length === 11 ? `${phone.slice(0, 3)}****${phone.slice(7)}` : phone;
  }

  function minutes(seconds) {
    return Math.max(1, Math.round((Number(seconds) || 0) / 60));
  }

  // --- Screens ----------------------------------------------------------------

  function screenEl(name) {
    return app.querySelector(`[data-screen="${name}"]`);
  }

  function flowOf(name) {
    return Object.values(flows).find((flow) => (flow.screens || [flow.name]).includes(name));
  }

  /** Show a screen. A screen of a personal flow asks for sign-in first. */
  function go(name, params = {}, { replace = false } = {}) {
    const flow = flowOf(name);
    if (flow && flow.personal && !state.customer) {
      return show("login", { then: name, thenParams: params }, { replace });
    }
    return show(name, params, { replace });
  }

  function show(name, params = {}, { replace = false } = {}) {
    const target = screenEl(name);
    if (!target) throw new Error(`no screen ${name}`);
    if (name !== state.screen && !replace && name !== "home") state.history.push(state.screen);
    if (name === "home") state.history = [];
    app.querySelectorAll("[data-screen]").forEach((el) => { el.hidden = el !== target; });
    target.querySelectorAll("[data-error]").forEach((el) => { el.hidden = true; el.replaceChildren(); });
    state.screen = name;
    app.dataset.at = name;
    app.querySelector("[data-back]").hidden = name === "home" || state.history.length === 0;
    app.querySelector("[data-home]").hidden = name === "home";
    app.querySelector(".k-main").scrollTop = 0;
    const flow = flowOf(name);
    if (flow && flow.enter) flow.enter(name, params);
    return target;
  }

  function back() {
    const previous = state.history.pop();
    if (previous) show(previous, {}, { replace: true });
    else show("home");
  }

  function register(name, flow) {
    flows[name] = Object.assign({ name, screens: [name] }, flow);
  }

  // --- Errors and busy buttons ------------------------------------------------

  // The API's errors, one type for every page (static/js/api.js).
  const KioskError = QmsApi.ApiError;
  const NO_ANSWER = "网络连接异常，请稍后再试 / The kiosk cannot reach the system; please try again.";

  function errorMessage(err) {
    if (err instanceof KioskError) return err.firstMessage();
    return NO_ANSWER;
  }

  function showError(where, err) {
    const box = where.matches("[data-error]") ? where : where.querySelector("[data-error]");
    if (!box) return;
    if (!err) {
      box.hidden = true;
      box.replaceChildren();
      return;
    }
    box.replaceChildren(bilingual(typeof err === "string" ? err : errorMessage(err)));
    box.hidden = false;
  }

  /** Run `fn` with the button disabled: a double tap acts once. */
  async function busy(button, fn) {
    if (button.disabled || button.classList.contains("is-busy")) return undefined;
    button.classList.add("is-busy");
    button.disabled = true;
    try {
      return await fn();
    } finally {
      button.classList.remove("is-busy");
      button.disabled = false;
    }
  }

  // --- The self-service API ---------------------------------------------------

  /** The Authorization header of a call made as `as`: "kiosk", "customer" or "public" (none). */
  function credential(as) {
    if (as === "customer") {
      if (!state.customer) throw new KioskError(401, "not_signed_in", "请先验证手机号 / Verify your phone number first.");
      return `Customer ${state.customer.token}`;
    }
    return as === "kiosk" ? `Kiosk ${DEVICE_TOKEN}` : undefined;
  }

  /**
   * Call the API. `as`: "kiosk" (default) signs with the device token,
   * "customer" with the signed-in customer's token. Resolves with the parsed
   * body; rejects with KioskError (the API's {error: {code, message}}).
   */
  async function api(method, path, { body, as = "kiosk", idempotencyKey, timeoutMs = 15000 } = {}) {
    const answer = await QmsApi.send(method, path.startsWith("/") ? path : `/api/v1/${path}`, {
      body, authorization: credential(as), idempotencyKey, timeoutMs, networkMessage: NO_ANSWER,
    });
    if (!answer.ok) {
      if (answer.status === 401 && as === "customer") {
        // The session ended (expired, or signed out elsewhere): sign in again.
        forgetCustomer();
      }
      throw answer.error;
    }
    return answer.data;
  }

  /** A POST to one of the kiosk's own pages (cookie and CSRF token). */
  function pagePost(path) {
    return QmsApi.request("POST", path, {
      csrf: app.dataset.csrf,
      networkMessage: "网络连接异常 / The kiosk cannot reach the system.", fallbackMessage: "打印失败 / Printing failed.",
    });
  }

  // --- The number pad ---------------------------------------------------------

  const fields = {};

  /** The on-screen number pad under every [data-numpad-host] for its field. */
  function setUpField(name) {
    const field = app.querySelector(`[data-field="${name}"]`);
    const host = app.querySelector(`[data-numpad-host="${name}"]`);
    const max = Number(field.dataset.max) || 11;
    const entry = { field, value: "", max, listeners: [] };
    fields[name] = entry;
    if (host) {
      host.replaceChildren(document.querySelector("[data-numpad-template]").content.cloneNode(true));
      host.addEventListener("click", (event) => {
        const key = event.target.closest("[data-key]");
        if (!key) return;
        const k = key.dataset.key;
        if (k === "clear") setField(name, "");
        else if (k === "back") setField(name, entry.value.slice(0, -1));
        else if (entry.value.length < entry.max) setField(name, entry.value + k);
      });
    }
    return entry;
  }

  function field(name) {
    return fields[name] || setUpField(name);
  }

  function setField(name, value) {
    const entry = field(name);
    entry.value = String(value).replace(/\D/g, "").slice(0, entry.max);
    entry.field.textContent = entry.value;
    entry.listeners.forEach((fn) => fn(entry.value));
  }

  function fieldValue(name) {
    return field(name).value;
  }

  function onField(name, fn) {
    field(name).listeners.push(fn);
  }

  function clearFields() {
    Object.keys(fields).forEach((name) => setField(name, ""));
  }

  // Hardware keyboards (and the tests) type into the field on screen.
  document.addEventListener("keydown", (event) => {
    const screen = screenEl(state.screen);
    const visible = Array.from(screen.querySelectorAll("[data-field]")).filter((el) => el.offsetParent !== null);
    if (!visible.length || event.ctrlKey || event.metaKey || event.altKey) return;
    const name = visible[0].dataset.field;
    if (/^[0-9]$/.test(event.key)) setField(name, fieldValue(name) + event.key);
    else if (event.key === "Backspace") setField(name, fieldValue(name).slice(0, -1));
    else return;
    event.preventDefault();
  });

  // --- Confirmation dialog ----------------------------------------------------

  let confirmResolve = null;

  /** Ask before acting: resolves true when the customer confirms. */
  function confirm(titleZh, titleEn, { bodyNode = null, yesZh = "确认", yesEn = "Confirm" } = {}) {
    const overlay = app.querySelector("[data-confirm]");
    setText(overlay.querySelector("[data-confirm-title]"), titleZh, titleEn);
    overlay.querySelector("[data-confirm-body]").replaceChildren(bodyNode || "");
    setText(overlay.querySelector("[data-confirm-yes]"), yesZh, yesEn);
    overlay.hidden = false;
    return new Promise((resolve) => { confirmResolve = resolve; });
  }

  function closeConfirm(answer) {
    const overlay = app.querySelector("[data-confirm]");
    overlay.hidden = true;
    overlay.querySelector("[data-confirm-body]").replaceChildren();
    if (confirmResolve) {
      const resolve = confirmResolve;
      confirmResolve = null;
      resolve(answer);
    }
  }

  app.querySelector("[data-confirm-yes]").addEventListener("click", () => closeConfirm(true));
  app.querySelector("[data-confirm-no]").addEventListener("click", () => closeConfirm(false));

  // --- The customer -----------------------------------------------------------

  function setCustomer(customer) {
    state.customer = customer;
    const badge = app.querySelector("[data-signed-in]");
    badge.hidden = !customer;
    app.classList.toggle("is-signed-in", Boolean(customer));
    app.querySelector("[data-signed-in-phone]").textContent = customer ? customer.masked : "";
  }

  function forgetCustomer() {
    const customer = state.customer;
    setCustomer(null);
    if (customer) {
      // End the session on the server too; keepalive lets it finish even as the page moves on.
      QmsApi.send("POST", "/api/v1/auth/logout/", {
        keepalive: true, timeoutMs: 0, authorization: `Customer ${customer.token}`,
      }).catch(() => {});
    }
  }

  // --- Receipts ---------------------------------------------------------------

  // A network print is done by the server's worker: the kiosk asks for it,
  // then follows the print job this often, for as long as the server would
  // still print it (KIOSK_PRINT_PATIENCE_SECONDS; it never prints later).
  const PRINT_POLL_MS = 500;
  const PRINT_WAIT_MS = (Number(app.dataset.printWaitSeconds) || 120) * 1000;
  const PRINT_FAILED = "打印失败 / Printing failed.";
  const PRINT_TOO_LONG = "打印超时，请重新打印或扫码查看 / Printing is taking too long. Print again or scan the code.";

  function pause(ms) {
    return new Promise((resolve) => { setTimeout(resolve, ms); });
  }

  /** Ask the server to print on the kiosk's network printer, and follow the
   * print job until it is printed (resolves) or failed (rejects with the
   * server's message), or the kiosk has waited long enough (rejects). */
  async function printOnNetwork(base) {
    const generation = state.resets;
    let job = await pagePost(`${base}print/`);
    const deadline = Date.now() + PRINT_WAIT_MS;
    while (job.state !== "printed") {
      if (job.state === "failed") {
        const error = job.error || {};
        throw new KioskError(503, error.code || "printer_unavailable", error.message || PRINT_FAILED);
      }
      if (Date.now() >= deadline) throw new KioskError(504, "print_timeout", PRINT_TOO_LONG);
      // The customer has gone (the kiosk went home): nobody reads the answer.
      if (state.resets !== generation) throw new KioskError(0, "print_abandoned", PRINT_FAILED);
      await pause(PRINT_POLL_MS);
      let answer = null;
      try {
        answer = await QmsApi.send("GET", job.status_url, { timeoutMs: 5000, fallbackMessage: PRINT_FAILED });
      } catch (err) {
        answer = null; // no answer this time (the network blinked): ask again
      }
      if (answer && answer.ok) job = answer.data;
      else if (answer && answer.status < 500) throw answer.error; // the job is gone, or not this kiosk's
    }
  }

  /**
   * Print the receipt of a ticket or an order. Resolves true when printed.
   * Browser printing renders the receipt into the print area and prints it;
   * a kiosk with a network printer has the server print it.
   */
  async function printReceipt(kind, ref) {
    const base = `/kiosk/${encodeURIComponent(HALL)}/receipt/${kind}/${encodeURIComponent(ref)}/`;
    if (app.dataset.printer === "network") {
      await printOnNetwork(base);
      state.printed.push({ kind, ref, via: "network" });
      return true;
    }
    let html;
    try {
      const response = await fetch(base, { credentials: "same-origin" });
      if (!response.ok) throw new Error(`receipt ${response.status}`);
      html = await response.text();
    } catch (err) {
      throw new KioskError(0, "receipt", PRINT_FAILED);
    }
    const area = document.querySelector("[data-print-area]");
    area.innerHTML = html;
    state.printed.push({ kind, ref, via: "browser" });
    window.print();
    return true;
  }

  const PRINT_TEXTS = {
    ticket: [["正在打印号票…", "Printing your ticket…"],
      ["请取走您的号票，留意叫号", "Please take your ticket and listen for your number"]],
    order: [["正在打印凭条…", "Printing your receipt…"], ["请取走您的凭条", "Please take your receipt"]],
  };

  /**
   * Print and say how it went in `status`; `reprint` (a button) shows when
   * printing is over, to print again. `stillCurrent()` false (the customer
   * has moved on) leaves the screen alone.
   */
  async function printWithStatus(kind, ref, status, reprint, stillCurrent = () => true) {
    const [printing, printed] = PRINT_TEXTS[kind];
    // A network print may take a while: once the kiosk has gone home, its
    // outcome belongs to a customer who left and must not reach the screen.
    const generation = state.resets;
    const current = () => state.resets === generation && stillCurrent();
    status.classList.remove("is-bad");
    setText(status, ...printing);
    reprint.hidden = true;
    try {
      await printReceipt(kind, ref);
      if (!current()) return;
      setText(status, ...printed);
    } catch (err) {
      if (!current()) return;
      status.classList.add("is-bad");
      status.replaceChildren(bilingual(errorMessage(err)));
    }
    reprint.hidden = false;
  }

  function clearPrintArea() {
    document.querySelector("[data-print-area]").replaceChildren();
  }

  /** An <img> of a QR code for `url` (rendered by the server, no network needed). */
  function qrImage(url) {
    const img = document.createElement("img");
    img.alt = "QR";
    img.src = `/kiosk/${encodeURIComponent(HALL)}/qr.svg?data=${encodeURIComponent(url)}`;
    return img;
  }

  function absolute(url) {
    return new URL(url, window.location.origin).href;
  }

  // --- Going idle -------------------------------------------------------------

  /** Back to the home screen, forgetting every customer detail. */
  function resetAll() {
    closeConfirm(false);
    forgetCustomer();
    Object.values(flows).forEach((flow) => { if (flow.reset) flow.reset(); });
    clearFields();
    clearPrintArea();
    app.querySelectorAll("[data-personal]").forEach((el) => {
      el.querySelectorAll("[data-ticket-number], [data-ticket-service], [data-ticket-ahead], [data-ticket-qr]")
        .forEach((child) => child.replaceChildren());
    });
    app.querySelectorAll("[data-error]").forEach((el) => showError(el, null));
    app.querySelector("[data-idle-warning]").hidden = true;
    state.awakeUntil = 0;
    setLang("zh");
    setLarge(false);
    state.resets += 1;
    show("home");
  }

  function touched() {
    state.lastTouch = Date.now();
    app.querySelector("[data-idle-warning]").hidden = true;
  }

  ["pointerdown", "keydown", "touchstart", "wheel"].forEach((type) =>
    document.addEventListener(type, touched, { capture: true, passive: true }));

  /** Someone is busy without touching the kiosk (paying on their phone):
   * do not count them idle before `untilMs` (a Date.now() value). */
  function stayAwake(untilMs) {
    state.awakeUntil = Math.max(state.awakeUntil, untilMs);
  }

  function idleTick() {
    const now = Date.now();
    const idleFor = (now - Math.max(state.lastTouch, Math.min(now, state.awakeUntil))) / 1000;
    const atRest = state.screen === "home" && !state.customer && state.lang === "zh" && !state.large;
    if (atRest) {
      app.querySelector("[data-idle-warning]").hidden = true;
      return;
    }
    const left = Math.ceil(state.idleSeconds - idleFor);
    const warning = app.querySelector("[data-idle-warning]");
    if (left <= 0) {
      resetAll();
    } else if (left <= state.idleWarnSeconds) {
      warning.querySelector("[data-idle-countdown]").textContent = `${left}s`;
      warning.hidden = false;
    }
  }

  setInterval(idleTick, 250);
  app.querySelector("[data-idle-stay]").addEventListener("click", touched);

  // --- The frame ----------------------------------------------------------------

  function clock() {
    const now = new Date();
    app.querySelector("[data-clock]").textContent =
      `${String(now.getHours()).padStart(2, "0")}:${String(now.getMinutes()).padStart(2, "0")}`;
  }
  clock();
  setInterval(clock, 5000);

  app.addEventListener("click", (event) => {
    const target = event.target.closest("[data-go]");
    if (target) go(target.dataset.go);
  });
  app.querySelector("[data-back]").addEventListener("click", back);
  app.querySelector("[data-home]").addEventListener("click", resetAll);
  app.querySelector("[data-sign-out]").addEventListener("click", resetAll);
  app.querySelector("[data-lang-toggle]").addEventListener("click", () => setLang(state.lang === "zh" ? "en" : "zh"));
  app.querySelector("[data-large-toggle]").addEventListener("click", () => setLarge(!state.large));

  window.Kiosk = {
    HALL, PHONE_RE, state, t, setText, bilingual, yuan, dataAmount, maskPhone, minutes, go, show, back, register,
    KioskError, errorMessage, showError, busy, api, pagePost, randomKey: QmsApi.newKey, field, setField, fieldValue,
    onField, confirm, printReceipt, printWithStatus, qrImage, absolute, resetAll, screenEl, stayAwake, setCustomer,
    // How long a pay screen waits for the phone before the kiosk may go idle.
    PAY_PATIENCE_MS: 3 * 60 * 1000,
  };
  window.qmsKiosk = {
    state,
    loaded: false,
    setIdleSeconds(seconds, warnSeconds) {
      state.idleSeconds = seconds;
      state.awakeUntil = 0;
      state.lastTouch = Date.now();
      if (warnSeconds !== undefined) state.idleWarnSeconds = warnSeconds;
    },
  };
  document.addEventListener("DOMContentLoaded", () => {
    app.querySelectorAll("[data-field]").forEach((el) => field(el.dataset.field));
    show("home");
    window.qmsKiosk.loaded = true;
  });
})();
