/* Appointment check-in at the kiosk: the booking code (the on-screen keys, or
 * a scanner that types it) or the phone booked with, sent to POST
 * /api/v1/halls/{code}/appointments/check-in/ with the kiosk's credential.
 * The ticket it gives (the same one again for a booking checked in before)
 * is shown and printed like any other; a refusal ("come back at 09:30")
 * is shown as it comes. */
(function () {
  "use strict";

  const K = window.Kiosk;
  if (!K) return;
  const CODE_LENGTH = 6;
  const checkin = { code: "", answer: null };
  const codeScreen = K.screenEl("booking-checkin");
  const codeBox = codeScreen.querySelector("[data-booking-checkin-code]");
  const KEYS = new Set(Array.from(codeScreen.querySelectorAll("[data-code-key]"), (b) => b.dataset.codeKey));

  function setCode(value) {
    checkin.code = value.toUpperCase().split("").filter((c) => KEYS.has(c)).join("").slice(0, CODE_LENGTH);
    codeBox.textContent = checkin.code;
  }

  async function send(button, body, screen) {
    await K.busy(button, async () => {
      try {
        checkin.answer = await K.api("POST", `halls/${encodeURIComponent(K.HALL)}/appointments/check-in/`, { body });
      } catch (err) {
        K.showError(screen, err);
        return;
      }
      setCode("");
      K.setField("booking-checkin-phone", "");
      K.state.history = [];
      K.show("booking-checkin-ticket", {}, { replace: true });
      printTicket();
    });
  }

  function showTicket() {
    const { ticket, appointment, late } = checkin.answer;
    const screen = K.screenEl("booking-checkin-ticket");
    K.setText(screen.querySelector("[data-booking-checkin-label]"),
      late ? "已过签到时间，按现场取号排队" : `预约 ${appointment.starts_at.slice(11, 16)} 已签到，您的号码`,
      late ? "Past your check-in time: you queue as a walk-in" : `Booking at ${appointment.starts_at.slice(11, 16)} checked in. Your number`);
    screen.querySelector("[data-booking-checkin-number]").textContent = ticket.number;
    K.setText(screen.querySelector("[data-booking-checkin-service]"), ticket.service_name, ticket.service_name);
    const ahead = Math.max(0, (ticket.position || 1) - 1);
    K.setText(screen.querySelector("[data-booking-checkin-ahead]"),
      `前面还有 ${ahead} 人，预计等候约 ${K.minutes(ticket.estimated_wait_seconds)} 分钟`,
      `${ahead} ahead of you, about ${K.minutes(ticket.estimated_wait_seconds)} min`);
    screen.querySelector("[data-booking-checkin-qr]").replaceChildren(K.qrImage(ticket.track_url));
  }

  function printTicket() {
    const screen = K.screenEl("booking-checkin-ticket");
    return K.printWithStatus("ticket", checkin.answer.ticket.token, screen.querySelector("[data-booking-checkin-print-status]"),
      screen.querySelector("[data-booking-checkin-reprint]"));
  }

  function submitCode(button) {
    if (checkin.code.length !== CODE_LENGTH) {
      K.showError(codeScreen, "请输入 6 位预约码 / Enter the 6-character booking code.");
      return;
    }
    send(button, { code: checkin.code }, codeScreen);
  }

  K.register("booking-checkin", {
    screens: ["booking-checkin", "booking-checkin-phone", "booking-checkin-ticket"],
    enter(name) {
      if (name === "booking-checkin-ticket") {
        if (!checkin.answer) return K.show("home");
        showTicket();
      }
      return undefined;
    },
    reset() {
      checkin.answer = null;
      setCode("");
      const screen = K.screenEl("booking-checkin-ticket");
      screen.querySelectorAll("[data-booking-checkin-label], [data-booking-checkin-number], [data-booking-checkin-service], "
        + "[data-booking-checkin-ahead], [data-booking-checkin-qr]").forEach((el) => el.replaceChildren());
      screen.querySelector("[data-booking-checkin-print-status]").replaceChildren();
      screen.querySelector("[data-booking-checkin-reprint]").hidden = true;
    },
  });

  codeScreen.querySelector("[data-booking-checkin-keys]").addEventListener("click", (event) => {
    const key = event.target.closest("[data-code-key]");
    if (!key) return;
    setCode(key.dataset.codeKey === "back" ? checkin.code.slice(0, -1) : checkin.code + key.dataset.codeKey);
  });
  // A scanner (or a keyboard) types the code and Enter.
  document.addEventListener("keydown", (event) => {
    if (K.state.screen !== "booking-checkin" || event.ctrlKey || event.metaKey || event.altKey) return;
    if (event.key === "Enter") submitCode(codeScreen.querySelector("[data-booking-checkin-submit]"));
    else if (event.key === "Backspace") setCode(checkin.code.slice(0, -1));
    else if (event.key.length === 1 && KEYS.has(event.key.toUpperCase())) setCode(checkin.code + event.key);
    else return;
    event.preventDefault();
  });
  codeScreen.querySelector("[data-booking-checkin-submit]").addEventListener("click", (e) => submitCode(e.currentTarget));
  codeScreen.querySelector("[data-booking-checkin-by-phone]").addEventListener("click", () => K.go("booking-checkin-phone"));
  const phoneScreen = K.screenEl("booking-checkin-phone");
  phoneScreen.querySelector("[data-booking-checkin-phone-submit]").addEventListener("click", (e) => {
    const phone = K.fieldValue("booking-checkin-phone");
    if (!K.PHONE_RE.test(phone)) {
      K.showError(phoneScreen, "请输入 11 位手机号 / Enter an 11-digit mobile number.");
      return;
    }
    send(e.currentTarget, { phone }, phoneScreen);
  });
  const ticketScreen = K.screenEl("booking-checkin-ticket");
  ticketScreen.querySelector("[data-booking-checkin-reprint]").addEventListener("click", (e) => K.busy(e.currentTarget, printTicket));
  ticketScreen.querySelector("[data-booking-checkin-done]").addEventListener("click", () => K.resetAll());
})();
