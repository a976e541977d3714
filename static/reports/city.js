/* The city operations page (/city/): the live overview of every hall
 * (polled from /api/v1/city/overview/, sortable and filterable; sort and
 * filter survive refreshes), the map of the halls (ECharts scatter on plain
 * longitude/latitude axes: no tiles, nothing from the internet), and the
 * district and city reports for any period with drill-down city -> district
 * -> hall (/api/v1/city/reports/, /api/v1/halls/{code}/reports/).
 *
 * window.qmsCity exposes the state and the chart for the browser tests. */
(function () {
  "use strict";

  const root = document.querySelector("[data-city-root]");
  if (!root) return;
  const $ = (sel, el) => (el || root).querySelector(sel);
  const $$ = (sel, el) => Array.from((el || root).querySelectorAll(sel));
  const POLL_MS = (parseInt(root.dataset.pollSeconds, 10) || 15) * 1000;
  const LEVEL_RANK = { notice: 1, warning: 2, critical: 3 };
  const LEVEL_TEXT = {
    notice: ["提示", "Notice"], warning: ["预警", "Warning"], critical: ["严重", "Critical"],
  };
  const COLOURS = {
    ok: "#2e9d5b", busy: "#7fb800", notice: "#e0a800", warning: "#ef6c00", critical: "#c62828", closed: "#9aa5b1",
  };

  const state = {
    rows: JSON.parse(document.getElementById("city-overview").textContent),
    sort: { key: "warning_rank", dir: -1 },
    district: "",
    q: "",
    updatedAt: new Date(),
    chart: null,
    report: { from: null, to: null, district: "", hall: null, service: null, data: null },
    seriesChart: null,
  };
  window.qmsCity = state;

  // --- Formatting -------------------------------------------------------------------

  function esc(s) {
    return String(s == null ? "" : s).replace(/[&<>"']/g, (c) => ({
      "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;",
    })[c]);
  }
  function num(n) { return n == null ? "–" : Number(n).toLocaleString("zh-CN"); }
  function dur(s) {
    if (s == null) return "–";
    s = Math.round(s);
    if (s < 60) return s + "秒";
    const m = Math.floor(s / 60);
    if (m < 60) return m + "分" + (s % 60 ? String(s % 60).padStart(2, "0") + "秒" : "");
    return Math.floor(m / 60) + "时" + String(m % 60).padStart(2, "0") + "分";
  }
  function pct(x) { return x == null ? "–" : (x * 100).toFixed(1) + "%"; }
  function hms(d) { return d.toTimeString().slice(0, 8); }
  function iso(d) {
    return d.getFullYear() + "-" + String(d.getMonth() + 1).padStart(2, "0") + "-" + String(d.getDate()).padStart(2, "0");
  }
  function slClass(x) { return x == null ? "" : x >= 0.8 ? "sl-good" : x >= 0.6 ? "sl-fair" : "sl-poor"; }
  function levelBadge(level, count) {
    if (!level) return '<span class="c-ok">正常 <span class="en">OK</span></span>';
    const t = LEVEL_TEXT[level];
    return `<span class="c-level lv-${level}">${t[0]} <span class="en">${t[1]}</span>${count > 1 ? ` ×${count}` : ""}</span>`;
  }
  function load(row) {
    if (!row.is_open && !row.waiting) return "closed";
    if (row.warning_level) return row.warning_level;
    const perCounter = row.waiting / Math.max(row.open_counters, 1);
    return perCounter >= 4 ? "busy" : "ok";
  }

  // --- The live overview -------------------------------------------------------------

  function shown() {
    const q = state.q.trim().toLowerCase();
    return state.rows.filter((r) => (!state.district || r.district === state.district) &&
      (!q || r.name.toLowerCase().includes(q) || r.code.toLowerCase().includes(q) || r.district.includes(q)));
  }

  function sortValue(row, key) {
    if (key === "warning_rank") return (LEVEL_RANK[row.warning_level] || 0) * 100000 + row.waiting;
    return row[key];
  }

  function sorted(rows) {
    const { key, dir } = state.sort;
    return rows.slice().sort((a, b) => {
      const x = sortValue(a, key), y = sortValue(b, key);
      if (x == null && y == null) return a.code.localeCompare(b.code);
      if (x == null) return 1;
      if (y == null) return -1;
      const c = typeof x === "string" ? x.localeCompare(y, "zh-CN") : x - y;
      return c ? c * dir : a.code.localeCompare(b.code);
    });
  }

  function renderTable() {
    const rows = sorted(shown());
    $("[data-overview]").innerHTML = rows.map((r) => `
      <tr data-code="${esc(r.code)}" class="${r.warning_level ? "row-" + r.warning_level : ""}${r.is_open ? "" : " is-closed"}">
        <td><a href="/manage/${encodeURIComponent(r.code)}/">${esc(r.name)}</a> <small class="muted">${esc(r.code)}</small></td>
        <td>${esc(r.district)}</td>
        <td class="num"><b>${num(r.waiting)}</b></td>
        <td class="num">${r.waiting ? dur(r.estimated_wait_seconds) : "–"}</td>
        <td class="num">${r.waiting ? dur(r.longest_wait_seconds) : "–"}</td>
        <td class="num">${r.open_counters}/${r.counters}</td>
        <td>${levelBadge(r.warning_level, r.warnings)}</td>
        <td class="num">${num(r.issued_today)}</td>
        <td class="num">${num(r.served_today)}</td>
        <td class="num ${slClass(r.service_level_today)}">${pct(r.service_level_today)}</td>
      </tr>`).join("");
    $("[data-none]").hidden = rows.length > 0;
    $("[data-shown]").textContent = `${rows.length} / ${state.rows.length}`;
    $$("th[data-sort]").forEach((th) => {
      const on = th.dataset.sort === state.sort.key;
      th.classList.toggle("is-sorted", on);
      th.setAttribute("aria-sort", on ? (state.sort.dir > 0 ? "ascending" : "descending") : "none");
    });
  }

  function renderKpis() {
    const rows = state.rows;
    const sum = (k) => rows.reduce((n, r) => n + (r[k] || 0), 0);
    const open = rows.filter((r) => r.is_open).length;
    const warned = rows.filter((r) => r.warning_level);
    const critical = warned.filter((r) => r.warning_level === "critical").length;
    // The city's service level today: the halls' own, weighted by their tickets.
    let weight = 0, level = 0;
    rows.forEach((r) => { if (r.service_level_today != null) { weight += r.issued_today; level += r.service_level_today * r.issued_today; } });
    const set = (k, v) => { $(`[data-kpi="${k}"]`).textContent = v; };
    set("halls", `${open} / ${rows.length}`);
    set("waiting", num(sum("waiting")));
    set("longest", dur(Math.max(0, ...rows.map((r) => r.longest_wait_seconds))));
    set("counters", `${num(sum("open_counters"))} / ${num(sum("counters"))}`);
    set("warnings", num(warned.length));
    set("critical", critical ? `其中严重 ${critical} / ${critical} critical` : "");
    set("issued", num(sum("issued_today")));
    set("served", num(sum("served_today")));
    set("sl", weight ? pct(level / weight) : "–");
    $(".c-kpi-warn").classList.toggle("is-alert", warned.length > 0);
  }

  function renderMap() {
    const el = $("[data-map]");
    if (!window.echarts || !el) return;
    if (!state.chart) {
      state.chart = window.echarts.init(el, null, { renderer: "canvas" });
      state.chart.on("click", (p) => { if (p.data && p.data.code) window.location.href = `/manage/${encodeURIComponent(p.data.code)}/`; });
      window.addEventListener("resize", () => state.chart.resize());
    }
    const rows = shown().filter((r) => r.lat != null && r.lng != null);
    const all = state.rows.filter((r) => r.lat != null && r.lng != null);
    const lats = all.map((r) => r.lat), lngs = all.map((r) => r.lng);
    const pad = 0.01;
    const data = rows.map((r) => {
      const lv = load(r);
      return {
        value: [r.lng, r.lat, r.waiting], code: r.code, name: r.name, row: r,
        symbolSize: 10 + Math.min(26, Math.sqrt(r.waiting) * 3.2),
        itemStyle: { color: COLOURS[lv], borderColor: "#fff", borderWidth: 1, opacity: lv === "closed" ? 0.6 : 0.9 },
      };
    });
    state.chart.setOption({
      animation: false,
      grid: { left: 8, right: 8, top: 8, bottom: 8, containLabel: false },
      xAxis: { type: "value", scale: true, show: false, min: Math.min(...lngs) - pad, max: Math.max(...lngs) + pad },
      yAxis: { type: "value", scale: true, show: false, min: Math.min(...lats) - pad, max: Math.max(...lats) + pad },
      tooltip: {
        trigger: "item",
        formatter: (p) => {
          const r = p.data.row;
          return `<b>${esc(r.name)}</b> <small>${esc(r.code)}</small><br>${esc(r.district)}<br>` +
            `等候 Waiting: <b>${r.waiting}</b> · 窗口 Counters: ${r.open_counters}/${r.counters}<br>` +
            `预计等候 Est.: ${r.waiting ? dur(r.estimated_wait_seconds) : "–"} · 最久 Longest: ${r.waiting ? dur(r.longest_wait_seconds) : "–"}<br>` +
            (r.warning_level ? `预警 Warning: ${LEVEL_TEXT[r.warning_level].join(" ")}<br>` : "") +
            `今日 Today: ${r.issued_today} / ${r.served_today} · ${pct(r.service_level_today)}`;
        },
      },
      series: [{
        id: "halls", type: "scatter", data,
        emphasis: { scale: 1.4, itemStyle: { borderColor: "#1b2430", borderWidth: 2 } },
        // Warnings on top of quiet halls.
        z: 2,
      }],
    }, { replaceMerge: ["series"] });
  }

  function renderLive() {
    renderKpis();
    renderTable();
    renderMap();
    document.querySelector("[data-updated]").textContent = hms(state.updatedAt);
  }

  async function poll() {
    try {
      const res = await fetch(root.dataset.overviewUrl, { credentials: "same-origin", headers: { Accept: "application/json" } });
      if (!res.ok) throw new Error(String(res.status));
      state.rows = await res.json();
      state.updatedAt = new Date();
      document.querySelector("[data-conn]").className = "m-conn is-live";
      renderLive();
    } catch (e) {
      document.querySelector("[data-conn]").className = "m-conn is-lost";
    }
  }
  state.refresh = poll;

  $$("th[data-sort]").forEach((th) => {
    th.tabIndex = 0;
    const go = () => {
      const key = th.dataset.sort;
      const text = key === "name" || key === "district";
      state.sort = state.sort.key === key ? { key, dir: -state.sort.dir } : { key, dir: text ? 1 : -1 };
      renderTable();
    };
    th.addEventListener("click", go);
    th.addEventListener("keydown", (e) => { if (e.key === "Enter" || e.key === " ") { e.preventDefault(); go(); } });
  });
  $("[data-district]").addEventListener("change", (e) => { state.district = e.target.value; renderTable(); renderMap(); });
  $("[data-search]").addEventListener("input", (e) => { state.q = e.target.value; renderTable(); renderMap(); });

  // --- Reports: city -> district -> hall -------------------------------------------------

  const form = $("[data-period]");

  function exportLinks(base, params) {
    const q = (fmt) => base + "?" + new URLSearchParams({ ...params, format: fmt }).toString();
    return `<a href="${esc(q("csv"))}" data-format="csv">CSV</a><a href="${esc(q("xlsx"))}" data-format="xlsx">XLSX</a>`;
  }

  function figureCards(f, extra) {
    const cards = [
      ["取号", "Issued", num(f.issued)], ["办结", "Served", num(f.served)], ["过号", "No-show", num(f.no_show)],
      ["平均等候", "Avg wait", dur(f.avg_wait_seconds)], ["P90 等候", "P90 wait", dur(f.p90_wait_seconds)],
      ["平均办理", "Avg handle", dur(f.avg_handle_seconds)], ["服务水平", "Service level", pct(f.service_level)],
      ["评分", "Rating", f.avg_rating == null ? "–" : f.avg_rating.toFixed(2) + ` (${f.ratings})`],
    ];
    if (extra) cards.unshift(extra);
    $("[data-figures]").innerHTML = cards.map(([zh, en, v]) =>
      `<div class="c-fig"><span>${zh} <span class="en">${en}</span></span><b>${v}</b></div>`).join("");
  }

  function crumbs() {
    const r = state.report;
    const parts = [`<button type="button" class="c-crumb" data-crumb="city">全市 <span class="en">City</span></button>`];
    if (r.district) parts.push(`<button type="button" class="c-crumb" data-crumb="district">${esc(r.district)}</button>`);
    if (r.hall && r.service) {
      parts.push(`<button type="button" class="c-crumb" data-crumb="hall">${esc(r.hall.name)}</button>`);
      parts.push(`<span class="c-crumb is-here">${esc(r.service.name)}</span>`);
    } else if (r.hall) {
      parts.push(`<span class="c-crumb is-here">${esc(r.hall.name)}</span>`);
    }
    $("[data-crumbs]").innerHTML = parts.join('<span class="c-sep">›</span>') +
      `<span class="muted c-range">${esc(r.from)} — ${esc(r.to)}</span>`;
    $$("[data-crumb]").forEach((b) => b.addEventListener("click", () => {
      if (b.dataset.crumb === "city") r.district = "";
      r.service = null;
      if (b.dataset.crumb !== "hall") r.hall = null;
      loadReport();
    }));
  }

  function reportError(message) {
    const el = $("[data-report-error]");
    el.hidden = !message;
    el.textContent = message || "";
  }

  // How far behind the report's figures are when read from the streaming replica (null: the primary).
  function showLag(seconds) {
    const box = $("[data-replica-lag]");
    const behind = seconds !== null && seconds !== undefined;
    box.innerHTML = behind
      ? `数据延迟约 ${esc(seconds)} 秒 <span class="en">Figures about ${esc(seconds)} s behind</span>` : "";
    box.hidden = !behind;
  }

  async function getJson(url) {
    const res = await fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } });
    const body = await res.json().catch(() => null);
    if (!res.ok) throw new Error((body && body.error && body.error.message) || `HTTP ${res.status}`);
    return body;
  }

  async function loadReport() {
    const r = state.report;
    r.from = form.elements.from.value;
    r.to = form.elements.to.value;
    crumbs();
    reportError("");
    root.dataset.reportState = "loading";
    try {
      if (r.hall) await loadHall();
      else await loadCity();
      root.dataset.reportState = "ready";
    } catch (e) {
      reportError(`报表读取失败 / The report could not be read: ${e.message}`);
      root.dataset.reportState = "error";
    }
  }

  async function loadCity() {
    const r = state.report;
    const params = { from: r.from, to: r.to };
    if (r.district) params.district = r.district;
    const data = await getJson(root.dataset.reportsUrl + "?" + new URLSearchParams(params));
    r.data = data;
    showLag(data.replica_lag_seconds);
    $("[data-level-city]").hidden = false;
    $("[data-level-hall]").hidden = true;
    figureCards(data.city, ["营业厅", "Halls", num(data.halls.length)]);
    $("[data-districts]").innerHTML = data.districts.map((d) => `
      <tr data-district-row="${esc(d.district)}" class="c-click${d.district === r.district ? " is-on" : ""}" tabindex="0">
        <td class="num">${d.rank}</td><td><b>${esc(d.district)}</b></td><td class="num">${d.halls}</td>
        <td class="num">${num(d.issued)}</td><td class="num">${num(d.served)}</td>
        <td class="num">${dur(d.avg_wait_seconds)}</td><td class="num">${dur(d.p90_wait_seconds)}</td>
        <td class="num ${slClass(d.service_level)}">${pct(d.service_level)}</td>
        <td class="num">${d.avg_rating == null ? "–" : d.avg_rating.toFixed(2)}</td>
      </tr>`).join("") || `<tr><td colspan="9" class="muted">这段时间没有数据 No data for these days</td></tr>`;
    $("[data-halls-title]").textContent = r.district ? `${r.district} · 营业厅排名` : "营业厅排名";
    $("[data-halls]").innerHTML = data.halls.map((h) => `
      <tr data-hall-row="${esc(h.code)}" class="c-click" tabindex="0">
        <td class="num">${h.rank}</td><td><b>${esc(h.name)}</b> <small class="muted">${esc(h.code)}</small></td>
        <td>${esc(h.district)}</td><td class="num">${num(h.issued)}</td><td class="num">${num(h.served)}</td>
        <td class="num">${num(h.no_show)}</td><td class="num">${dur(h.avg_wait_seconds)}</td>
        <td class="num ${slClass(h.service_level)}">${pct(h.service_level)}</td>
        <td class="num">${h.avg_rating == null ? "–" : h.avg_rating.toFixed(2)}</td>
      </tr>`).join("") || `<tr><td colspan="9" class="muted">这段时间没有数据 No data for these days</td></tr>`;
    $('[data-export="districts"]').innerHTML = exportLinks(root.dataset.reportsUrl, { ...params, table: "districts" });
    $('[data-export="halls"]').innerHTML = exportLinks(root.dataset.reportsUrl, { ...params, table: "halls" });
    const open = (attr, fn) => $$(`[${attr}]`).forEach((tr) => {
      tr.addEventListener("click", () => fn(tr.getAttribute(attr)));
      tr.addEventListener("keydown", (e) => { if (e.key === "Enter") fn(tr.getAttribute(attr)); });
    });
    open("data-district-row", (name) => { r.district = name; r.hall = null; r.service = null; loadReport(); });
    open("data-hall-row", (code) => {
      const h = data.halls.find((x) => x.code === code);
      r.service = null;
      r.hall = { code, name: h ? h.name : code, district: h ? h.district : "" };
      r.district = r.hall.district || r.district;
      loadReport();
    });
  }

  async function loadHall() {
    const r = state.report;
    const base = `/api/v1/halls/${encodeURIComponent(r.hall.code)}/reports/`;
    const params = { from: r.from, to: r.to };
    if (r.service) params.service = r.service.code;
    const data = await getJson(base + "?" + new URLSearchParams(params));
    r.data = data;
    showLag(data.replica_lag_seconds);
    $("[data-level-city]").hidden = true;
    $("[data-level-hall]").hidden = false;
    figureCards(data.totals);
    $("[data-services]").innerHTML = data.services.map((s) => `
      <tr data-service="${esc(s.code)}" class="c-click${r.service ? " is-on" : ""}" tabindex="0"><td>${esc(s.name)} <span class="en">${esc(s.name_en)}</span></td>
        <td class="num">${num(s.issued)}</td><td class="num">${num(s.served)}</td>
        <td class="num">${dur(s.avg_wait_seconds)}</td><td class="num">${dur(s.avg_handle_seconds)}</td>
        <td class="num ${slClass(s.service_level)}">${pct(s.service_level)}</td></tr>`).join("") ||
      `<tr><td colspan="6" class="muted">这段时间没有数据 No data for these days</td></tr>`;
    $("[data-days]").innerHTML = data.series.slice().reverse().map((d) => `
      <tr data-day="${esc(d.period)}"><td>${esc(d.period)}</td><td class="num">${num(d.issued)}</td>
        <td class="num">${num(d.served)}</td><td class="num">${num(d.no_show)}</td>
        <td class="num">${dur(d.avg_wait_seconds)}</td><td class="num">${dur(d.p90_wait_seconds)}</td>
        <td class="num">${dur(d.avg_handle_seconds)}</td>
        <td class="num ${slClass(d.service_level)}">${pct(d.service_level)}</td></tr>`).join("");
    $('[data-export="series"]').innerHTML = exportLinks(base, { ...params, table: "series" });
    $('[data-export="services"]').innerHTML = exportLinks(base, { ...params, table: "services" });
    // A service drills down to its days; the hall's crumb goes back up.
    $$("[data-service]").forEach((tr) => {
      const pick = () => {
        if (r.service) return;
        const s = data.services.find((x) => x.code === tr.dataset.service);
        r.service = { code: tr.dataset.service, name: s ? s.name : tr.dataset.service };
        loadReport();
      };
      tr.addEventListener("click", pick);
      tr.addEventListener("keydown", (e) => { if (e.key === "Enter") pick(); });
    });
    drawSeries(data.series);
  }

  function drawSeries(series) {
    const el = $("[data-series-chart]");
    if (!window.echarts) return;
    if (!state.seriesChart) {
      state.seriesChart = window.echarts.init(el);
      window.addEventListener("resize", () => state.seriesChart.resize());
    } else {
      state.seriesChart.resize();
    }
    state.seriesChart.setOption({
      animation: false,
      grid: { left: 48, right: 48, top: 36, bottom: 28 },
      legend: { top: 0, data: ["取号 Issued", "办结 Served", "服务水平 SL"] },
      tooltip: { trigger: "axis" },
      xAxis: { type: "category", data: series.map((d) => d.period.slice(5)) },
      yAxis: [{ type: "value", name: "" }, { type: "value", min: 0, max: 100, axisLabel: { formatter: "{value}%" }, splitLine: { show: false } }],
      series: [
        { name: "取号 Issued", type: "bar", barMaxWidth: 36, data: series.map((d) => d.issued), itemStyle: { color: "#9cc3ea" } },
        { name: "办结 Served", type: "bar", barMaxWidth: 36, data: series.map((d) => d.served), itemStyle: { color: "#0b5cad" } },
        { name: "服务水平 SL", type: "line", yAxisIndex: 1, smooth: true, itemStyle: { color: "#ef6c00" },
          data: series.map((d) => (d.service_level == null ? null : +(d.service_level * 100).toFixed(1))) },
      ],
    }, true);
  }

  function quick(kind) {
    const today = new Date(root.dataset.today + "T12:00:00");
    let from = new Date(today), to = new Date(today);
    if (kind === "yesterday") { from.setDate(today.getDate() - 1); to = new Date(from); }
    else if (kind === "7d") { from.setDate(today.getDate() - 6); }
    else if (kind === "month") { from = new Date(today.getFullYear(), today.getMonth(), 1, 12); }
    else if (kind === "last-month") {
      from = new Date(today.getFullYear(), today.getMonth() - 1, 1, 12);
      to = new Date(today.getFullYear(), today.getMonth(), 0, 12);
    }
    form.elements.from.value = iso(from);
    form.elements.to.value = iso(to);
    $$("[data-quick]").forEach((b) => b.classList.toggle("is-on", b.dataset.quick === kind));
    loadReport();
  }

  $$("[data-quick]").forEach((b) => b.addEventListener("click", () => quick(b.dataset.quick)));
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    $$("[data-quick]").forEach((b) => b.classList.remove("is-on"));
    loadReport();
  });

  renderLive();
  setInterval(poll, POLL_MS);
  loadReport();
})();
