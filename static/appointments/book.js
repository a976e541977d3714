/* /m/{code}/book/: choose a service, a day and a slot, then book it.
 *
 * Slots come from GET /api/v1/halls/{code}/appointments/slots/ (each with
 * how many places are free); the booking is POST /api/v1/halls/{code}/
 * appointments/ as the signed-in customer (static/appointments/sign_in.js),
 * with an Idempotency-Key per service and slot in this tab, so a double tap
 * or a retry books once. The API's refusals (slot full, too many bookings)
 * are shown as they come, in both languages; then my bookings open.
 */
(function () {
  "use strict";

  const root = document.querySelector(".book-root");
  if (!root) return;
  const slotsBox = root.querySelector("[data-slots]");
  const noSlots = root.querySelector("[data-no-slots]");
  const submit = root.querySelector("[data-book-submit]");
  const summary = root.querySelector("[data-book-summary]");
  const errorBox = root.querySelector("[data-book-error]");
  const state = { service: null, day: null, slot: null, generation: 0 };
  window.qmsBook = state;

  function showError(message) {
    errorBox.textContent = "";
    if (!message) { errorBox.hidden = true; return; }
    const [zh, en] = String(message).split(" / ");
    errorBox.append(zh);
    if (en) {
      const span = document.createElement("span");
      span.className = "en";
      span.textContent = en;
      errorBox.append(span);
    }
    errorBox.hidden = false;
  }

  function hhmm(iso) {
    return iso.slice(11, 16);
  }

  function choose(slot, button) {
    state.slot = slot;
    slotsBox.querySelectorAll("[data-slot]").forEach((b) => b.setAttribute("aria-pressed", String(b === button)));
    summary.textContent = slot ? `${state.day.slice(5)} ${hhmm(slot.starts_at)}` : "";
    submit.disabled = !slot;
    showError(null);
  }

  async function loadSlots() {
    const mine = ++state.generation;
    choose(null, null);
    slotsBox.replaceChildren();
    noSlots.hidden = true;
    if (!state.service || !state.day) return;
    let answer;
    try {
      const q = new URLSearchParams({ service: state.service, date: state.day });
      answer = await QmsApi.request("GET", `${root.dataset.slotsUrl}?${q}`);
    } catch (err) {
      if (mine === state.generation) showError(err.firstMessage());
      return;
    }
    if (mine !== state.generation) return;
    slotsBox.replaceChildren(...answer.slots.map((slot) => {
      const button = document.createElement("button");
      button.type = "button";
      button.className = "a-slot";
      button.dataset.slot = slot.starts_at;
      button.setAttribute("aria-pressed", "false");
      button.disabled = slot.free <= 0;
      const time = document.createElement("b");
      time.textContent = hhmm(slot.starts_at);
      const free = document.createElement("small");
      free.textContent = slot.free > 0 ? `余 ${slot.free} · ${slot.free} left` : "已满 · Full";
      button.append(time, free);
      button.addEventListener("click", () => choose(slot, button));
      return button;
    }));
    noSlots.hidden = answer.slots.length > 0;
  }

  async function book() {
    if (!state.slot) return;
    if (!QmsCustomer.token()) {
      QmsCustomer.ask(book);
      return;
    }
    submit.disabled = true;
    showError(null);
    const body = { service: state.service, starts_at: state.slot.starts_at };
    const answer = await QmsApi.send("POST", root.dataset.bookUrl, {
      body, authorization: QmsCustomer.authorization(),
      idempotencyKey: QmsApi.storedKey(`qms-book:${root.dataset.hall}:${body.service}:${body.starts_at}`),
    }).catch((err) => ({ error: err }));
    if (answer.status === 201 || answer.status === 200) {
      location.assign(`${root.dataset.mineUrl}?new=${encodeURIComponent(answer.data.code)}`);
      return;
    }
    if (answer.status === 401) {
      QmsCustomer.forget();
      QmsCustomer.ask(book);
    } else {
      showError(answer.error.firstMessage());
      if (answer.error.code === "slot_full") loadSlots();
    }
    submit.disabled = !state.slot;
  }

  root.querySelectorAll("input[name=service]").forEach((input) => input.addEventListener("change", () => {
    state.service = input.value;
    loadSlots();
  }));
  root.querySelectorAll("[data-day]").forEach((button) => button.addEventListener("click", () => {
    root.querySelectorAll("[data-day]").forEach((b) => b.setAttribute("aria-pressed", String(b === button)));
    state.day = button.dataset.day;
    loadSlots();
  }));
  submit.addEventListener("click", book);

  const checked = root.querySelector("input[name=service]:checked");
  const day = root.querySelector("[data-day][aria-pressed=true]");
  state.service = checked ? checked.value : null;
  state.day = day ? day.dataset.day : null;
  loadSlots();
})();
