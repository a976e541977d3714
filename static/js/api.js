/* The HTTP API as every page script calls it (kiosk, console, customer pages):
 * JSON with the right headers, the API's one error shape as one Error type,
 * Idempotency-Keys, timeouts. No framework, no build: a global, loaded
 * (deferred) before the page's own scripts.
 *
 *   const order = await QmsApi.request("POST", "/api/v1/topups/", {
 *     body: { msisdn, amount_fen }, authorization: `Kiosk ${token}`, idempotencyKey: key,
 *   });                                    // the answer's JSON, or throws QmsApi.ApiError
 *   const { status, data, error } = await QmsApi.send("GET", url);
 *                                          // any HTTP answer; throws only when none came
 *
 * Options of both: body (sent as JSON), authorization (the header's value),
 * csrf (true, or the page's token as a fallback: sends X-CSRFToken, from the
 * csrftoken cookie when readable, on anything but GET/HEAD), idempotencyKey,
 * timeoutMs (15 s), keepalive, cache, networkMessage and fallbackMessage (the
 * texts of errors without a message from the server).
 *
 * Every refusal is `{"error": {"code", "message", "fields"}}` (CONTRACT.md):
 * it becomes an ApiError with those three and the HTTP status; no answer at
 * all (network down, timeout) is an ApiError with status 0.
 */
(function () {
  "use strict";

  const TIMEOUT_MS = 15000;
  const NETWORK_MESSAGE = "网络连接异常，请稍后再试 / Cannot reach the system; please try again.";
  const FALLBACK_MESSAGE = "系统繁忙，请稍后再试 / The system is busy; please try again.";
  const SAFE_METHODS = ["GET", "HEAD"];

  class ApiError extends Error {
    constructor(status, code, message, fields, data) {
      super(message);
      this.name = "ApiError";
      this.status = status; // 0: no answer came
      this.code = code;
      this.fields = fields || {};
      this.data = data === undefined ? null : data;
    }

    /** No answer came: the request may or may not have been carried out. */
    get network() {
      return this.status === 0;
    }

    /** The first message about a field (validation errors), else the message. */
    firstMessage() {
      const messages = Object.values(this.fields || {}).flat().filter((m) => typeof m === "string");
      return this.code === "validation_error" && messages.length ? messages[0] : this.message;
    }
  }

  /** The ApiError of a refused answer (`data` is its parsed body, or null). */
  function errorOf(status, data, fallbackMessage = FALLBACK_MESSAGE) {
    const error = (data && data.error) || {};
    return new ApiError(status, error.code || `http_${status}`, error.message || fallbackMessage, error.fields, data);
  }

  // The cookie, when readable, is the freshest token (signing in again in
  // another tab rotates it); the one rendered into the page is the fallback.
  function csrfToken(fallback) {
    const match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    if (match) return decodeURIComponent(match[1]);
    return typeof fallback === "string" ? fallback : "";
  }

  /**
   * Send a request. Resolves `{status, ok, data, error}` for any HTTP answer
   * (`data`: the parsed JSON body or null; `error`: an ApiError unless ok);
   * rejects with an ApiError of status 0 when no answer came.
   */
  async function send(method, url, options = {}) {
    const {
      body, authorization, csrf, idempotencyKey, timeoutMs = TIMEOUT_MS, keepalive = false, cache,
      networkMessage = NETWORK_MESSAGE, fallbackMessage = FALLBACK_MESSAGE,
    } = options;
    const headers = { Accept: "application/json" };
    if (body !== undefined) headers["Content-Type"] = "application/json";
    if (authorization) headers.Authorization = authorization;
    if (csrf && !SAFE_METHODS.includes(method)) headers["X-CSRFToken"] = csrfToken(csrf);
    if (idempotencyKey) headers["Idempotency-Key"] = idempotencyKey;
    const init = {
      method, headers, credentials: "same-origin", keepalive,
      body: body === undefined ? undefined : JSON.stringify(body),
    };
    if (cache) init.cache = cache;
    const controller = timeoutMs ? new AbortController() : null;
    const timer = controller ? setTimeout(() => controller.abort(), timeoutMs) : null;
    if (controller) init.signal = controller.signal;
    let response;
    try {
      response = await fetch(url, init);
    } catch (err) {
      throw new ApiError(0, controller && controller.signal.aborted ? "timeout" : "network", networkMessage);
    } finally {
      clearTimeout(timer);
    }
    let data = null;
    if (response.status !== 204) {
      const text = await response.text().catch(() => "");
      if (text) {
        try { data = JSON.parse(text); } catch (err) { data = null; }
      }
    }
    return {
      status: response.status, ok: response.ok, data,
      error: response.ok ? null : errorOf(response.status, data, fallbackMessage),
    };
  }

  /** Send a request; resolves with the answer's JSON, rejects with an ApiError. */
  async function request(method, url, options = {}) {
    const answer = await send(method, url, options);
    if (!answer.ok) throw answer.error;
    return answer.data;
  }

  // --- Idempotency-Keys ---------------------------------------------------------

  /** A new key: a UUID (crypto.randomUUID needs a secure context; a hall
   * device may reach the server over plain http, so there is a fallback). */
  function newKey() {
    const c = window.crypto;
    if (c && typeof c.randomUUID === "function") return c.randomUUID();
    const b = new Uint8Array(16);
    if (c && typeof c.getRandomValues === "function") c.getRandomValues(b);
    else for (let i = 0; i < b.length; i++) b[i] = Math.floor(Math.random() * 256);
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    const h = Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
  }

  /**
   * The key of the one action a person is about to take, and may retry: the
   * same action (named by the caller, e.g. "13800138000:5000") keeps its key,
   * so a retry after a lost answer acts once; another action, or the same one
   * after settle() (it succeeded, or was refused for good), gets a new key.
   */
  class ActionKey {
    constructor() {
      this.action = null;
      this.key = null;
    }

    for(action) {
      if (this.key === null || this.action !== action) {
        this.action = action;
        this.key = newKey();
      }
      return this.key;
    }

    settle() {
      this.action = null;
      this.key = null;
    }
  }

  const memoryKeys = {};

  /** The key stored under `name` in `storage` (sessionStorage: it survives a
   * reload of the tab, never a new tab), made on first use; kept in memory
   * when storage is disabled. */
  function storedKey(name, storage = window.sessionStorage) {
    try {
      let key = storage.getItem(name);
      if (!key) {
        key = newKey();
        storage.setItem(name, key);
      }
      return key;
    } catch (err) { // storage disabled: one key per page view still covers double taps
      memoryKeys[name] = memoryKeys[name] || newKey();
      return memoryKeys[name];
    }
  }

  window.QmsApi = { ApiError, errorOf, send, request, csrfToken, newKey, ActionKey, storedKey };
})();
