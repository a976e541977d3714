/* The floor's card on how right the wait estimates were over the last
 * seven days (GET /api/v1/halls/{code}/estimates/accuracy/): worked out once
 * a day on the server, read once when the page opens. */
(function () {
  "use strict";

  const card = document.querySelector("[data-estimates]");
  if (!card) return;
  const note = card.querySelector("[data-estimates-note]");
  const table = card.querySelector("[data-estimates-table]");

  function minutes(seconds) {
    return seconds === null ? "–" : (seconds / 60).toFixed(1) + " 分钟";
  }

  function percent(share) {
    return share === null ? "–" : Math.round(share * 100) + "%";
  }

  function show(figures) {
    if (!figures.available) {
      note.innerHTML = '近7天没有叫号记录 <span class="en">No tickets called in the last seven days</span>';
      return;
    }
    for (const key of ["hall", "naive"]) {
      const row = table.querySelector(`[data-estimator="${key}"]`);
      row.querySelector("[data-mae]").textContent = minutes(figures[key].mae_seconds);
      row.querySelector("[data-within]").textContent = percent(figures[key].within_2_minutes);
    }
    note.innerHTML = `${figures.from} 至 ${figures.to}，${figures.hall.tickets} 张已叫号的票：取号时告知的等候与实际等候之差 ` +
      `<span class="en">${figures.from} to ${figures.to}, ${figures.hall.tickets} tickets called: ` +
      "the wait told at issue against the real wait</span>";
    table.hidden = false;
  }

  QmsApi.request("GET", card.dataset.url, { timeoutMs: 60000 })
    .then(show)
    .catch(function () {
      note.innerHTML = '暂时无法计算 <span class="en">Not available just now</span>';
    });
})();
