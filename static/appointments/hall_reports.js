/* The bookings card of a hall's reports page: per day of the page's period,
 * bookings, checked in within their window, late, no-shows and cancelled,
 * from GET /api/v1/halls/{code}/appointments/daily/. The page's own script
 * announces each period it shows ("reports:period" on its root). */
(function () {
  "use strict";

  const root = document.querySelector("[data-reports-root]");
  const card = document.querySelector("[data-appointments-card]");
  if (!root || !card || !window.QmsApi) return;
  const rowsBox = card.querySelector("[data-appointments-rows]");
  const empty = card.querySelector("[data-no-appointments]");
  const errorBox = card.querySelector("[data-appointments-error]");
  const summary = card.querySelector("[data-appointments-summary]");
  const COLUMNS = ["booked", "checked_in", "late", "no_show", "cancelled"];
  let generation = 0;

  function cell(text, className) {
    const td = document.createElement("td");
    td.textContent = text;
    if (className) td.className = className;
    return td;
  }

  async function show(from, to) {
    const mine = ++generation;
    errorBox.hidden = true;
    let rows;
    try {
      rows = await QmsApi.request("GET", `${card.dataset.url}?${new URLSearchParams({ from, to })}`);
    } catch (error) {
      if (mine !== generation) return;
      errorBox.textContent = error.message;
      errorBox.hidden = false;
      return;
    }
    if (mine !== generation) return;
    const used = rows.filter((r) => COLUMNS.some((c) => r[c]));
    rowsBox.replaceChildren(...used.map((r) => {
      const tr = document.createElement("tr");
      tr.append(cell(r.date), ...COLUMNS.map((c) => cell(String(r[c]), "num")));
      return tr;
    }));
    empty.hidden = used.length > 0;
    const total = (c) => rows.reduce((sum, r) => sum + r[c], 0);
    const booked = total("booked");
    summary.textContent = booked
      ? `${Math.round((100 * total("checked_in")) / booked)}% 按时 / on time · ${total("no_show")} 未到 / no-show`
      : "";
  }

  root.addEventListener("reports:period", (event) => show(event.detail.from, event.detail.to));
})();
