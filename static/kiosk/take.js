/* Take a number: choose a service (each with its waiting count and estimated
 * wait), optionally give a phone number for the "your turn is near" text, get
 * the ticket. The ticket is issued through POST /api/v1/halls/{code}/tickets/
 * with the kiosk's credential and an Idempotency-Key per attempt, so a double
 * tap or a retry never takes two numbers; it is saved before anything prints,
 * and a failed print offers to print again. */
(function () {
  "use strict";

  const K = window.Kiosk;
  const take = { service: null, serviceName: null, key: null, ticket: null, care: false };

  function servicesScreen() {
    return K.screenEl("take");
  }

  const REFRESH_MS = 15000;

  async function refreshServices() {
    try {
      const snapshot = await K.api("GET", `halls/${encodeURIComponent(K.HALL)}/queue/`);
      const total = (snapshot.services || []).reduce((sum, service) => sum + (service.waiting || 0), 0);
      document.querySelector("[data-hall-waiting-count]").textContent = total;
      (snapshot.services || []).forEach((service) => {
        const button = servicesScreen().querySelector(`[data-service="${CSS.escape(service.code)}"]`);
        if (!button) return;
        button.querySelector("[data-waiting]").textContent = service.waiting;
        button.querySelector("[data-wait-minutes]").textContent = Math.round((service.estimated_wait_seconds || 0) / 60);
      });
    } catch (err) {
      // The counts on screen stay as they were; taking a number still works.
    }
  }

  function chooseService(button) {
    take.service = button.dataset.service;
    take.serviceName = button.querySelector(".k-service-name").cloneNode(true);
    take.key = K.randomKey();
    setCare(false);
    K.go("take-phone");
  }

  async function issue(button, phone) {
    const screen = K.screenEl("take-phone");
    if (phone && !K.PHONE_RE.test(phone)) {
      K.showError(screen, "请输入11位手机号，或选择不需要短信 / Enter an 11-digit mobile number, or skip the text.");
      return;
    }
    await K.busy(button, async () => {
      const body = { service: take.service, channel: "kiosk", priority: take.care ? "care" : "normal" };
      if (phone) body.phone = phone;
      try {
        take.ticket = await K.api("POST", `halls/${encodeURIComponent(K.HALL)}/tickets/`, { body, idempotencyKey: take.key });
      } catch (err) {
        K.showError(screen, err);
        return;
      }
      K.setField("take-phone", "");
      K.state.history = [];
      K.show("ticket", {}, { replace: true });
      printTicket();
    });
  }

  function showTicket() {
    const ticket = take.ticket;
    const screen = K.screenEl("ticket");
    screen.querySelector("[data-ticket-number]").textContent = ticket.number;
    screen.querySelector("[data-ticket-service]").replaceChildren(take.serviceName.cloneNode(true));
    const ahead = Math.max(0, (ticket.position || 1) - 1);
    K.setText(screen.querySelector("[data-ticket-ahead]"),
      `前面还有 ${ahead} 人，预计等候约 ${K.minutes(ticket.estimated_wait_seconds)} 分钟`,
      `${ahead} ahead of you, about ${K.minutes(ticket.estimated_wait_seconds)} min`);
    screen.querySelector("[data-ticket-qr]").replaceChildren(K.qrImage(ticket.track_url));
    K.state.history = [];
  }

  function printTicket() {
    const screen = K.screenEl("ticket");
    return K.printWithStatus("ticket", take.ticket.token, screen.querySelector("[data-print-status]"),
      screen.querySelector("[data-reprint]"));
  }

  function setCare(on) {
    take.care = on;
    K.screenEl("take-phone").querySelector("[data-take-care]").setAttribute("aria-pressed", on ? "true" : "false");
  }

  function reset() {
    Object.assign(take, { service: null, serviceName: null, key: null, ticket: null });
    setCare(false);
    const screen = K.screenEl("ticket");
    screen.querySelector("[data-print-status]").replaceChildren();
    screen.querySelector("[data-reprint]").hidden = true;
    K.screenEl("take-phone").querySelector("[data-take-service-name]").replaceChildren();
  }

  // The counts on the home and service screens follow the queue while the kiosk stands there.
  setInterval(() => {
    if (["home", "take"].includes(K.state.screen) && !document.hidden) refreshServices();
  }, REFRESH_MS);

  K.register("take", {
    screens: ["take", "take-phone", "ticket"],
    enter(name) {
      if (name === "take") {
        refreshServices();
      } else if (name === "take-phone") {
        if (!take.service) return K.show("take", {}, { replace: true });
        K.screenEl("take-phone").querySelector("[data-take-service-name]").replaceChildren(take.serviceName.cloneNode(true));
      } else if (name === "ticket") {
        if (!take.ticket) return K.show("home");
        showTicket();
      }
      return undefined;
    },
    reset,
  });

  servicesScreen().addEventListener("click", (event) => {
    const button = event.target.closest("[data-service]");
    if (button) chooseService(button);
  });
  const phoneScreen = K.screenEl("take-phone");
  phoneScreen.querySelector("[data-take-care]").addEventListener("click", () => setCare(!take.care));
  phoneScreen.querySelector("[data-take-no-phone]").addEventListener("click", (e) => issue(e.currentTarget, ""));
  phoneScreen.querySelector("[data-take-with-phone]").addEventListener("click",
    (e) => issue(e.currentTarget, K.fieldValue("take-phone")));
  const ticketScreen = K.screenEl("ticket");
  ticketScreen.querySelector("[data-reprint]").addEventListener("click", (e) => K.busy(e.currentTarget, printTicket));
  ticketScreen.querySelector("[data-home-now]").addEventListener("click", () => K.resetAll());
})();
