/* Signing the customer in (the "login" screen): their phone number, then the
 * six-digit code texted to it (POST auth/otp/, auth/otp/verify/). Every
 * personal flow comes here first (Kiosk.go() sends it), and goes on to the
 * screen it was asked for once the code is right; the session's token is the
 * core's (Kiosk.setCustomer) until the kiosk resets. */
(function () {
  "use strict";

  const K = window.Kiosk;

  const login = { phone: "", resendTimer: null, resendAt: 0, then: "home", thenParams: {} };

  function loginStep(step) {
    const screen = K.screenEl("login");
    screen.querySelectorAll("[data-login-step]").forEach((el) => { el.hidden = el.dataset.loginStep !== step; });
    screen.querySelectorAll("[data-error]").forEach((el) => K.showError(el, null));
  }

  function resendCountdown() {
    const button = K.screenEl("login").querySelector("[data-login-resend]");
    const label = button.querySelector("[data-login-resend-wait]");
    clearInterval(login.resendTimer);
    const tick = () => {
      const left = Math.ceil((login.resendAt - Date.now()) / 1000);
      if (left > 0) {
        label.textContent = `(${left}s)`;
        button.disabled = true;
      } else {
        label.textContent = "";
        button.disabled = false;
        clearInterval(login.resendTimer);
      }
    };
    tick();
    login.resendTimer = setInterval(tick, 1000);
  }

  async function sendCode(button) {
    const screen = K.screenEl("login");
    const phone = login.phone || K.fieldValue("login-phone");
    const where = screen.querySelector(`[data-login-step="${login.phone ? "code" : "phone"}"]`);
    if (!K.PHONE_RE.test(phone)) {
      K.showError(where, "请输入11位手机号 / Enter an 11-digit mobile number.");
      return;
    }
    await K.busy(button, async () => {
      try {
        const sent = await K.api("POST", "auth/otp/", { body: { phone } });
        login.phone = phone;
        login.resendAt = Date.now() + (sent.resend_after_seconds || 60) * 1000;
        screen.querySelector("[data-login-phone-masked]").textContent = sent.phone_masked || K.maskPhone(phone);
        K.setField("login-code", "");
        loginStep("code");
      } catch (err) {
        K.showError(where, err);
        return;
      }
    });
    if (login.phone) resendCountdown();
  }

  async function verifyCode(button) {
    const screen = K.screenEl("login");
    const where = screen.querySelector('[data-login-step="code"]');
    const code = K.fieldValue("login-code");
    if (!/^[0-9]{6}$/.test(code)) {
      K.showError(where, "请输入6位验证码 / Enter the six-digit code.");
      return;
    }
    await K.busy(button, async () => {
      try {
        const session = await K.api("POST", "auth/otp/verify/", { body: { phone: login.phone, code } });
        K.setCustomer({
          token: session.token, phone: login.phone, masked: K.maskPhone(login.phone), expiresAt: session.expires_at,
        });
        const then = login.then;
        const thenParams = login.thenParams;
        resetLogin();
        K.show(then, thenParams, { replace: true });
      } catch (err) {
        K.setField("login-code", "");
        K.showError(where, err);
      }
    });
  }

  function resetLogin() {
    clearInterval(login.resendTimer);
    Object.assign(login, { phone: "", resendAt: 0, then: "home", thenParams: {} });
    K.setField("login-phone", "");
    K.setField("login-code", "");
    K.screenEl("login").querySelector("[data-login-phone-masked]").textContent = "";
    loginStep("phone");
  }

  K.register("login", {
    enter(name, params) {
      resetLogin();
      login.then = params.then || "home";
      login.thenParams = params.thenParams || {};
    },
    reset: resetLogin,
  });

  const loginScreen = K.screenEl("login");
  loginScreen.querySelector("[data-login-send]").addEventListener("click", (e) => sendCode(e.currentTarget));
  loginScreen.querySelector("[data-login-resend]").addEventListener("click", (e) => sendCode(e.currentTarget));
  loginScreen.querySelector("[data-login-verify]").addEventListener("click", (e) => verifyCode(e.currentTarget));
  K.onField("login-code", (value) => {
    if (value.length === 6) verifyCode(loginScreen.querySelector("[data-login-verify]"));
  });
})();
