/* Check in a phone ticket on arrival (queueing.services.presence): the
 * ticket's QR code from the phone's screen (a scanner types the ticket
 * page's link into the field, then Enter), or its number and the last four
 * digits of the phone that took it. Both go to
 * POST /api/v1/halls/{code}/tickets/check-in/ with the kiosk's credential.
 * The screen also shows the hall's check-in code of the day, for phones. */
(function () {
  "use strict";

  const K = window.Kiosk;
  const flow = { prefix: null, number: null };
  const scan = K.screenEl("checkin").querySelector("[data-checkin-scan]");
  if (!scan) return;
  window.qmsKioskCheckIn = flow;

  async function checkIn(button, body, screen) {
    await K.busy(button, async () => {
      let ticket;
      try {
        ticket = await K.api("POST", `halls/${encodeURIComponent(K.HALL)}/tickets/check-in/`, { body });
      } catch (err) {
        K.showError(screen, err);
        return;
      }
      if (ticket.status !== "waiting") {
        K.showError(screen, "此号已不在等候中，请重新取号 / This number is no longer waiting; please take a new one.");
        return;
      }
      flow.ticket = ticket;
      K.setField("checkin-number", "");
      K.setField("checkin-last4", "");
      scan.value = "";
      K.state.history = [];
      K.show("checkin-done", {}, { replace: true });
    });
  }

  function showDone() {
    const ticket = flow.ticket;
    const screen = K.screenEl("checkin-done");
    screen.querySelector("[data-checkin-number]").textContent = ticket.number;
    K.setText(screen.querySelector("[data-checkin-service]"), ticket.service_name, ticket.service_name);
    const ahead = Math.max(0, (ticket.position || 1) - 1);
    K.setText(screen.querySelector("[data-checkin-ahead]"),
      `前面还有 ${ahead} 位，请留意叫号`, `${ahead} ahead of you; watch the screen for your number`);
  }

  function choosePrefix(prefix) {
    flow.prefix = prefix;
    K.screenEl("checkin-number").querySelectorAll("[data-checkin-prefix]").forEach((b) => {
      b.setAttribute("aria-pressed", b.dataset.checkinPrefix === prefix ? "true" : "false");
    });
  }

  function reset() {
    Object.assign(flow, { prefix: null, number: null, ticket: null });
    scan.value = "";
    K.screenEl("checkin-done").querySelectorAll("[data-checkin-number], [data-checkin-service], [data-checkin-ahead]")
      .forEach((el) => el.replaceChildren());
    const first = K.screenEl("checkin-number").querySelector("[data-checkin-prefix]");
    if (first) choosePrefix(first.dataset.checkinPrefix);
  }

  K.register("checkin", {
    screens: ["checkin", "checkin-number", "checkin-phone", "checkin-done"],
    enter(name) {
      if (name === "checkin") {
        const hallQr = K.screenEl("checkin").querySelector("[data-checkin-hall-qr]");
        if (!hallQr.firstChild) hallQr.replaceChildren(K.qrImage(K.screenEl("checkin").dataset.checkInUrl));
        scan.focus();
      } else if (name === "checkin-number") {
        if (!flow.prefix) reset();
      } else if (name === "checkin-phone") {
        if (!flow.number) return K.show("checkin-number", {}, { replace: true });
        K.setText(K.screenEl("checkin-phone").querySelector("[data-checkin-number-shown]"),
          `号码 ${flow.number}`, `Number ${flow.number}`);
      } else if (name === "checkin-done") {
        if (!flow.ticket) return K.show("home");
        showDone();
      }
      return undefined;
    },
    reset,
  });

  const scanForm = K.screenEl("checkin").querySelector("[data-checkin-scan-form]");
  scanForm.addEventListener("submit", (event) => {
    event.preventDefault();
    const value = scan.value.trim();
    if (!value) {
      K.showError(K.screenEl("checkin"), "请扫描手机上的号码二维码 / Scan the code on your phone.");
      return;
    }
    checkIn(scanForm.querySelector("[data-checkin-scan-submit]"), { token: value }, K.screenEl("checkin"));
  });

  K.screenEl("checkin-number").addEventListener("click", (event) => {
    const button = event.target.closest("[data-checkin-prefix]");
    if (button) choosePrefix(button.dataset.checkinPrefix);
  });
  K.screenEl("checkin-number").querySelector("[data-checkin-next]").addEventListener("click", () => {
    const digits = K.fieldValue("checkin-number");
    if (!flow.prefix || !digits) {
      K.showError(K.screenEl("checkin-number"), "请输入号码 / Enter your number.");
      return;
    }
    flow.number = `${flow.prefix}${digits.padStart(3, "0")}`;
    K.go("checkin-phone");
  });
  K.screenEl("checkin-phone").querySelector("[data-checkin-submit]").addEventListener("click", (event) => {
    const last4 = K.fieldValue("checkin-last4");
    if (!/^[0-9]{4}$/.test(last4)) {
      K.showError(K.screenEl("checkin-phone"), "请输入手机号后四位 / Enter the last four digits.");
      return;
    }
    checkIn(event.currentTarget, { number: flow.number, phone_last4: last4 }, K.screenEl("checkin-phone"));
  });
  K.screenEl("checkin-done").querySelector("[data-checkin-done]").addEventListener("click", () => K.resetAll());
})();
