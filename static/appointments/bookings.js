/* /m/me/bookings/: the signed-in customer's bookings (GET /api/v1/me/appointments/),
 * each with its code and the code's QR for the kiosk's scanner; a booking
 * not yet used can be cancelled (POST .../cancel/) or moved to another slot
 * of the same hall and service (POST .../move/, the slots from the hall's
 * slots API). A new booking (?new=CODE) is marked. */
(function () {
  "use strict";

  const root = document.querySelector(".bookings-root");
  if (!root) return;
  const list = root.querySelector("[data-list]");
  const empty = root.querySelector("[data-empty]");
  const errorBox = root.querySelector("[data-list-error]");
  const template = root.querySelector("[data-card-template]");
  const DAYS = JSON.parse(document.getElementById("booking-days").textContent);
  const fresh = new URLSearchParams(location.search).get("new");
  const STATUS = {
    booked: "已预约 / Booked", checked_in: "已签到 / Checked in", late: "迟到签到 / Late",
    no_show: "未到 / Missed", cancelled: "已取消 / Cancelled",
  };
  const state = { loaded: 0, bookings: [] };
  window.qmsBookings = state;

  function bilingual(node, message) {
    node.textContent = "";
    const [zh, en] = String(message).split(" / ");
    node.append(zh);
    if (en) {
      const span = document.createElement("span");
      span.className = "en";
      span.textContent = ` ${en}`;
      node.append(span);
    }
  }

  function showError(box, message) {
    if (!message) { box.hidden = true; box.textContent = ""; return; }
    bilingual(box, message);
    box.hidden = false;
  }

  function local(iso) {
    return { day: iso.slice(5, 10).replace("-", "/"), time: iso.slice(11, 16) };
  }

  async function call(method, url, body) {
    const answer = await QmsApi.send(method, url, { body, authorization: QmsCustomer.authorization() });
    if (answer.status === 401) {
      QmsCustomer.forget();
      QmsCustomer.ask(load);
      throw answer.error;
    }
    if (!answer.ok) throw answer.error;
    return answer.data;
  }

  function card(b) {
    const li = template.content.firstElementChild.cloneNode(true);
    li.dataset.code = b.code;
    li.dataset.status = b.status;
    if (b.code === fresh) li.classList.add("is-new");
    const when = local(b.starts_at);
    li.querySelector("[data-when]").textContent = `${when.day} ${when.time}-${local(b.ends_at).time}`;
    bilingual(li.querySelector("[data-status]"), STATUS[b.status] || b.status);
    li.querySelector("[data-where]").textContent = `${b.hall_name} · ${b.service_name}`;
    li.querySelector("[data-code]").textContent = b.code;
    const active = b.status === "booked";
    li.querySelector("[data-code-row]").hidden = !active;
    li.querySelector("[data-actions]").hidden = !active;
    if (active) {
      li.querySelector("[data-qr]").src = `/m/me/bookings/${encodeURIComponent(b.code)}/qr.svg`;
      bilingual(li.querySelector("[data-window]"),
        `签到时间 ${local(b.check_in_opens_at).time}-${local(b.check_in_closes_at).time} / Check in ${local(b.check_in_opens_at).time}-${local(b.check_in_closes_at).time}`);
    }
    if (b.ticket_number) {
      const ticket = li.querySelector("[data-ticket]");
      const link = document.createElement("a");
      link.href = b.track_url;
      link.textContent = `排队号 ${b.ticket_number} · Ticket ${b.ticket_number}`;
      ticket.replaceChildren(link);
      ticket.hidden = false;
    }
    li.querySelector("[data-cancel]").addEventListener("click", async (event) => {
      if (!window.confirm(`取消预约 ${b.code}？ / Cancel booking ${b.code}?`)) return;
      event.currentTarget.disabled = true;
      try {
        await call("POST", `${root.dataset.mineApi}${encodeURIComponent(b.code)}/cancel/`);
        load();
      } catch (err) {
        showError(li.querySelector("[data-card-error]"), err.firstMessage());
        li.querySelector("[data-move-panel]").hidden = false;
      }
    });
    li.querySelector("[data-move]").addEventListener("click", () => openMove(li, b));
    return li;
  }

  function openMove(li, b) {
    const panel = li.querySelector("[data-move-panel]");
    panel.hidden = !panel.hidden;
    const days = panel.querySelector("[data-move-days]");
    days.replaceChildren(...DAYS.map((d) => {
      const button = document.createElement("button");
      button.type = "button";
      button.className = "chip";
      button.dataset.day = d.date;
      button.setAttribute("aria-pressed", String(d.date === b.starts_at.slice(0, 10)));
      button.textContent = `${d.label} ${d.date.slice(5).replace("-", "/")}`;
      button.addEventListener("click", () => {
        days.querySelectorAll(".chip").forEach((c) => c.setAttribute("aria-pressed", String(c === button)));
        moveSlots(li, b, d.date);
      });
      return button;
    }));
    moveSlots(li, b, b.starts_at.slice(0, 10));
  }

  async function moveSlots(li, b, day) {
    const box = li.querySelector("[data-move-slots]");
    const errorOf = li.querySelector("[data-card-error]");
    showError(errorOf, null);
    box.replaceChildren();
    let answer;
    try {
      answer = await QmsApi.request("GET",
        `/api/v1/halls/${encodeURIComponent(b.hall)}/appointments/slots/?${new URLSearchParams({ service: b.service, date: day })}`);
    } catch (err) {
      showError(errorOf, err.firstMessage());
      return;
    }
    box.replaceChildren(...answer.slots.map((slot) => {
      const button = document.createElement("button");
      button.type = "button";
      button.className = "a-slot";
      button.dataset.slot = slot.starts_at;
      button.disabled = slot.free <= 0 || slot.starts_at === b.starts_at;
      const time = document.createElement("b");
      time.textContent = local(slot.starts_at).time;
      const free = document.createElement("small");
      free.textContent = slot.free > 0 ? `余 ${slot.free}` : "已满 Full";
      button.append(time, free);
      button.addEventListener("click", async () => {
        button.disabled = true;
        try {
          await call("POST", `${root.dataset.mineApi}${encodeURIComponent(b.code)}/move/`, { starts_at: slot.starts_at });
          load();
        } catch (err) {
          showError(errorOf, err.firstMessage());
          button.disabled = false;
        }
      });
      return button;
    }));
    if (!answer.slots.length) showError(errorOf, "这一天没有可预约的时段 / No slots left on this day.");
  }

  async function load() {
    if (!QmsCustomer.token()) {
      QmsCustomer.ask(load);
      return;
    }
    showError(errorBox, null);
    let page;
    try {
      page = await call("GET", root.dataset.mineApi);
    } catch (err) {
      if (err.status !== 401) showError(errorBox, err.firstMessage());
      return;
    }
    const phone = QmsCustomer.phone() || "";
    root.querySelector("[data-signed-in-as]").textContent = phone ? `${phone.slice(0, 3)}****${phone.slice(7)}` : "";
    state.bookings = page.results;
    list.replaceChildren(...page.results.map(card));
    empty.hidden = page.results.length > 0;
    state.loaded += 1;
  }

  load();
})();
