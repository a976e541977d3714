/* The signed-in agent's own figures beside the counter ([data-my-figures]):
 * today's and this week's served, average handle time and rating, from GET
 * /api/v1/me/figures/ (the reports' rollups: current within a few minutes,
 * so read again every five). Nothing shows when the figures cannot be read. */
(function () {
  "use strict";

  const panel = document.querySelector("[data-my-figures]");
  const shell = document.querySelector("[data-console-shell]");
  if (!panel || !shell || !shell.dataset.today || !window.QmsApi) return;
  const EVERY_MS = 5 * 60 * 1000;

  function monday(iso) {
    const [y, m, d] = iso.split("-").map(Number);
    const day = new Date(Date.UTC(y, m - 1, d));
    day.setUTCDate(day.getUTCDate() - ((day.getUTCDay() + 6) % 7));
    return day.toISOString().slice(0, 10);
  }

  function duration(s) {
    if (s === null || s === undefined) return "—";
    s = Math.round(s);
    return s < 60 ? `${s}秒` : `${Math.floor(s / 60)}分${String(s % 60).padStart(2, "0")}秒`;
  }

  const SHOW = {
    served: (x) => String(x || 0),
    avg_handle_seconds: duration,
    avg_rating: (x) => (x === null || x === undefined ? "—" : `${Number(x).toFixed(1)}★`),
  };

  function fill(column, figures) {
    panel.querySelectorAll("[data-figure]").forEach((row) => {
      row.querySelector(`[data-${column}-value]`).textContent = SHOW[row.dataset.figure](figures[row.dataset.figure]);
    });
  }

  async function load() {
    const today = shell.dataset.today;
    try {
      const [day, week] = await Promise.all([
        QmsApi.request("GET", `/api/v1/me/figures/?from=${today}&to=${today}`),
        QmsApi.request("GET", `/api/v1/me/figures/?from=${monday(today)}&to=${today}`),
      ]);
      fill("today", day);
      fill("week", week);
      panel.hidden = false;
    } catch (err) { /* offline or refused: the console works without it */ }
  }

  load();
  setInterval(load, EVERY_MS);
})();
