/* The customer's sign-in on the phone pages: a six-digit code texted to the
 * phone (POST /api/v1/auth/otp/), traded for a customer token (POST
 * /api/v1/auth/otp/verify/), kept in this browser until it expires.
 *
 *   QmsCustomer.token()            the token, or null when not signed in
 *   QmsCustomer.phone()            the phone it was given to
 *   QmsCustomer.authorization()    "Customer <token>"
 *   QmsCustomer.forget()           sign out here (an expired token, say)
 *   QmsCustomer.ask(onSignedIn)    show the sign-in panel; calls onSignedIn() once verified
 */
(function () {
  "use strict";

  const KEY = "qms.customer";
  const PHONE_RE = /^1[3-9][0-9]{9}$/;
  const panel = document.querySelector("[data-sign-in]");
  let waiting = null;

  function stored() {
    try {
      const value = JSON.parse(window.localStorage.getItem(KEY) || "null");
      if (value && value.token && Date.parse(value.expires_at) > Date.now()) return value;
    } catch (err) { /* storage disabled or garbled: not signed in */ }
    return null;
  }

  function showError(box, message) {
    box.textContent = "";
    if (!message) { box.hidden = true; return; }
    const [zh, en] = String(message).split(" / ");
    box.append(zh);
    if (en) {
      const span = document.createElement("span");
      span.className = "en";
      span.textContent = en;
      box.append(span);
    }
    box.hidden = false;
  }

  const api = {
    token: () => (stored() || {}).token || null,
    phone: () => (stored() || {}).phone || null,
    authorization: () => `Customer ${api.token()}`,
    forget() {
      try { window.localStorage.removeItem(KEY); } catch (err) { /* nothing kept */ }
    },
    ask(onSignedIn) {
      waiting = onSignedIn;
      panel.hidden = false;
      panel.scrollIntoView({ block: "nearest", behavior: "smooth" });
      panel.querySelector("[data-sign-in-phone]").focus();
    },
  };
  window.QmsCustomer = api;
  if (!panel) return;

  const phoneInput = panel.querySelector("[data-sign-in-phone]");
  const codeInput = panel.querySelector("[data-sign-in-code]");
  const errorBox = panel.querySelector("[data-sign-in-error]");
  const send = panel.querySelector("[data-sign-in-send]");
  const verify = panel.querySelector("[data-sign-in-verify]");

  phoneInput.addEventListener("input", () => {
    phoneInput.value = phoneInput.value.replace(/[^0-9]/g, "").slice(0, 11);
  });

  send.addEventListener("click", async () => {
    if (!PHONE_RE.test(phoneInput.value)) {
      showError(errorBox, "请输入正确的 11 位手机号 / Enter an 11-digit mobile number.");
      return;
    }
    send.disabled = true;
    showError(errorBox, null);
    try {
      await QmsApi.request("POST", "/api/v1/auth/otp/", { body: { phone: phoneInput.value } });
      codeInput.focus();
      setTimeout(() => { send.disabled = false; }, 60000);
    } catch (err) {
      showError(errorBox, err.firstMessage());
      send.disabled = false;
    }
  });

  verify.addEventListener("click", async () => {
    verify.disabled = true;
    showError(errorBox, null);
    try {
      const session = await QmsApi.request("POST", "/api/v1/auth/otp/verify/", {
        body: { phone: phoneInput.value, code: codeInput.value.trim() },
      });
      window.localStorage.setItem(KEY, JSON.stringify({ ...session, phone: phoneInput.value }));
      panel.hidden = true;
      if (waiting) waiting();
    } catch (err) {
      showError(errorBox, err.firstMessage());
    }
    verify.disabled = false;
  });
})();
