/* The signed-in agent's own shifts (GET /api/v1/me/shifts/): the next days
 * on the counter picker ([data-my-shifts]), today's on the counter screen
 * ([data-my-shift-today]). Nothing shows when there is no roster. */
(function () {
  "use strict";

  const list = document.querySelector("[data-my-shifts]");
  const today = document.querySelector("[data-my-shift-today]");
  if ((!list && !today) || !window.QmsApi) return;
  const WEEKDAYS = ["周日", "周一", "周二", "周三", "周四", "周五", "周六"];
  const WEEKDAYS_EN = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];

  function span(text, className) {
    const el = document.createElement("span");
    if (className) el.className = className;
    el.textContent = text;
    return el;
  }

  function hours(shift) {
    const out = [span(`${shift.starts}–${shift.ends}`, "shift-hours")];
    if (shift.break_starts) out.push(span(`休息 ${shift.break_starts}–${shift.break_ends}`, "shift-break"));
    return out;
  }

  function day(iso) {
    const [y, m, d] = iso.split("-").map(Number);
    const w = new Date(y, m - 1, d).getDay();
    return [span(`${m}月${d}日 ${WEEKDAYS[w]}`, "shift-day"), span(WEEKDAYS_EN[w], "en")];
  }

  QmsApi.send("GET", "/api/v1/me/shifts/").then(({ status, data }) => {
    if (status !== 200 || !Array.isArray(data) || !data.length) return;
    if (list) {
      const ol = list.querySelector("[data-my-shifts-list]");
      data.slice(0, 7).forEach((shift) => {
        const li = document.createElement("li");
        li.dataset.shiftDate = shift.date;
        if (shift.is_today) li.classList.add("is-today");
        li.append(...day(shift.date), ...hours(shift), span(shift.hall_name, "shift-hall muted"));
        ol.append(li);
      });
      list.hidden = false;
    }
    const mine = data.find((shift) => shift.is_today);
    if (today && mine) {
      today.append(span("今日班次", "shift-label"), span("Today", "en"), ...hours(mine));
      today.hidden = false;
    }
  }).catch(() => { /* offline: the console works without it */ });
})();
