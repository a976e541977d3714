/* A hall's reports page (/manage/{code}/reports/): the period, service and
 * granularity live in the page's address, so a view can be bookmarked or
 * sent on; the figures come from GET /api/v1/halls/{code}/reports/ and
 * .../reports/agents/ (the latter for the hall's managers and city
 * operations only). Charts are Apache ECharts, served locally. */
(function () {
  "use strict";

  const root = document.querySelector("[data-reports-root]");
  if (!root || !window.QmsApi) return;
  const $ = (sel) => root.querySelector(sel);
  const REPORT_URL = root.dataset.reportUrl;
  const AGENTS_URL = root.dataset.agentsUrl;
  const READS_PEOPLE = root.dataset.readsPeople === "true";
  const TODAY = root.dataset.today;
  const WEEKDAYS = ["周一", "周二", "周三", "周四", "周五", "周六", "周日"];
  const COLORS = { issued: "#8fb8e3", served: "#0b5cad", level: "#e07b00", forecast: "#7a52c7", good: "#1f7a44" };

  const ACTIONS = {
    account_view: ["账户查询", "Account"], bill_query: ["账单查询", "Bills"], usage_query: ["余量查询", "Usage"],
    data_pack_buy: ["流量包", "Data packs"], number_hold: ["选号", "Number hold"],
    number_purchase: ["购号", "Number purchase"], number_release: ["释放号码", "Number release"],
    order_fulfil: ["订单办理", "Order fulfilment"], otp_request: ["验证码", "Code sent"],
    otp_verify: ["验证登录", "Code verified"], points_history: ["积分查询", "Points"],
    points_redeem: ["积分兑换", "Rewards"], receipt_print: ["打印凭条", "Receipts"],
    session_end: ["退出", "Sign-outs"], topup_create: ["充值", "Top-ups"], topup_lookup: ["充值查询", "Top-up lookup"],
    vas_cancel: ["退订增值业务", "VAS cancelled"], vas_confirm: ["订购确认", "VAS confirmed"],
    vas_list: ["增值业务查询", "VAS list"], vas_request: ["订购增值业务", "VAS requested"],
  };

  // --- Dates (calendar days as UTC dates: no time zone can shift them) -------------------

  function parseDay(iso) {
    const [y, m, d] = iso.split("-").map(Number);
    return new Date(Date.UTC(y, m - 1, d));
  }
  function isoDay(date) { return date.toISOString().slice(0, 10); }
  function addDays(iso, n) { const d = parseDay(iso); d.setUTCDate(d.getUTCDate() + n); return isoDay(d); }
  function monthStart(iso) { return `${iso.slice(0, 7)}-01`; }
  function shortDay(iso) { const d = parseDay(iso); return `${d.getUTCMonth() + 1}月${d.getUTCDate()}日`; }

  const QUICK = {
    yesterday: () => [addDays(TODAY, -1), addDays(TODAY, -1)],
    last7: () => [addDays(TODAY, -6), TODAY],
    "this-month": () => [monthStart(TODAY), TODAY],
    "last-month": () => { const end = addDays(monthStart(TODAY), -1); return [monthStart(end), end]; },
  };

  // --- Formatting -----------------------------------------------------------------------

  function num(x) { return x === null || x === undefined ? "—" : Number(x).toLocaleString("zh-CN"); }
  function pct(x, digits = 1) { return x === null || x === undefined ? "—" : `${(x * 100).toFixed(digits)}%`; }
  function rating(x) { return x === null || x === undefined ? "—" : Number(x).toFixed(2); }
  function duration(s) {
    if (s === null || s === undefined) return "—";
    s = Math.round(s);
    if (s < 60) return `${s}秒`;
    if (s < 3600) return `${Math.floor(s / 60)}分${String(s % 60).padStart(2, "0")}秒`;
    return `${Math.floor(s / 3600)}小时${String(Math.floor((s % 3600) / 60)).padStart(2, "0")}分`;
  }

  function el(tag, attrs = {}, ...children) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs)) {
      if (k === "className") node.className = v;
      else if (k === "dataset") Object.assign(node.dataset, v);
      else node.setAttribute(k, v);
    }
    for (const child of children.flat()) {
      if (child === null || child === undefined) continue;
      node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return node;
  }
  const en = (text) => el("span", { className: "en" }, text);

  // --- State: the page's address --------------------------------------------------------

  function stateFromAddress() {
    const q = new URLSearchParams(window.location.search);
    const [from, to] = QUICK.last7();
    return {
      from: q.get("from") || from,
      to: q.get("to") || to,
      service: q.get("service") || "",
      group: ["day", "week", "month"].includes(q.get("group")) ? q.get("group") : "day",
      by: q.get("by") === "counter" ? "counter" : "agent",
    };
  }
  let state = stateFromAddress();

  function pageQuery() {
    const q = new URLSearchParams({ from: state.from, to: state.to });
    if (state.service) q.set("service", state.service);
    if (state.group !== "day") q.set("group", state.group);
    if (state.by !== "agent") q.set("by", state.by);
    return q;
  }

  function go(changes) {
    state = { ...state, ...changes };
    window.history.pushState(null, "", `?${pageQuery()}`);
    load();
  }
  window.addEventListener("popstate", () => { state = stateFromAddress(); load(); });

  function reportQuery(extra = {}) {
    const q = new URLSearchParams({ from: state.from, to: state.to, group: state.group, ...extra });
    if (state.service) q.set("service", state.service);
    return `${REPORT_URL}?${q}`;
  }
  function agentsQuery(extra = {}) {
    const q = new URLSearchParams({ from: state.from, to: state.to, ...extra });
    if (state.by === "counter") q.set("by", "counter");
    return `${AGENTS_URL}?${q}`;
  }

  // --- Charts -----------------------------------------------------------------------------

  const charts = {};
  function chart(name) {
    const node = $(`[data-chart="${name}"]`);
    if (!charts[name]) charts[name] = window.echarts.init(node, null, { renderer: "canvas" });
    return charts[name];
  }
  window.addEventListener("resize", () => Object.values(charts).forEach((c) => c.resize()));
  const AXIS = { axisLabel: { color: "#4a5563" }, axisLine: { lineStyle: { color: "#c9d1db" } } };
  // No animation: a report is read, not watched (and a screenshot shows it whole).
  const TEXT = { fontFamily: "Noto Sans CJK SC, Noto Sans SC, PingFang SC, Microsoft YaHei, sans-serif" };

  function periodLabel(iso) {
    if (state.group === "month") return iso.slice(0, 7);
    if (state.group === "week") return `${shortDay(iso)}起`;
    return shortDay(iso);
  }

  /** Every day, week or month of the period, those without tickets as zeros. */
  function fullSeries(report) {
    const byKey = new Map(report.series.map((r) => [r.period, r]));
    const keys = [];
    let day = report.from;
    while (day <= report.to) {
      let key = day;
      if (state.group === "month") key = monthStart(day);
      if (state.group === "week") key = addDays(day, -((parseDay(day).getUTCDay() + 6) % 7));
      if (!keys.includes(key)) keys.push(key);
      day = addDays(day, 1);
    }
    return keys.map((key) => byKey.get(key) || { period: key, issued: 0, served: 0, service_level: null });
  }

  function drawSeries(report) {
    const rows = fullSeries(report);
    chart("series").setOption({
      textStyle: TEXT, animation: false,
      color: [COLORS.issued, COLORS.served, COLORS.level],
      grid: { left: 48, right: 56, top: 40, bottom: 36 },
      tooltip: { trigger: "axis" },
      legend: { top: 0, data: ["取号 Issued", "办结 Served", "服务水平 Service level"] },
      xAxis: { type: "category", data: rows.map((r) => periodLabel(r.period)), ...AXIS },
      yAxis: [
        { type: "value", name: "张", minInterval: 1, ...AXIS, splitLine: { lineStyle: { color: "#eef1f5" } } },
        { type: "value", min: 0, max: 100, axisLabel: { formatter: "{value}%", color: "#4a5563" }, splitLine: { show: false } },
      ],
      series: [
        { name: "取号 Issued", type: "bar", data: rows.map((r) => r.issued), barMaxWidth: 28 },
        { name: "办结 Served", type: "bar", data: rows.map((r) => r.served), barMaxWidth: 28 },
        {
          name: "服务水平 Service level", type: "line", yAxisIndex: 1, smooth: true, symbolSize: 7,
          data: rows.map((r) => (r.service_level === null ? null : +(r.service_level * 100).toFixed(1))),
          tooltip: { valueFormatter: (v) => (v === null || v === undefined ? "—" : `${v}%`) },
        },
      ],
    }, true);
  }

  function drawHeatmap(report) {
    const cells = report.heatmap;
    const hoursWithData = cells.map((c) => c.hour);
    const first = Math.min(8, ...hoursWithData);
    const last = Math.max(20, ...hoursWithData);
    const hours = [];
    for (let h = first; h <= last; h++) hours.push(h);
    const max = Math.max(1, ...cells.map((c) => c.issued));
    chart("heatmap").setOption({
      textStyle: TEXT, animation: false,
      grid: { left: 44, right: 12, top: 8, bottom: 84 },
      tooltip: {
        formatter: (p) => `${WEEKDAYS[p.value[1]]} ${hours[p.value[0]]}:00–${hours[p.value[0]] + 1}:00<br>` +
          `平均 ${p.value[2]} 张/天`,
      },
      xAxis: { type: "category", data: hours.map((h) => `${h}时`), splitArea: { show: true }, ...AXIS },
      yAxis: { type: "category", data: WEEKDAYS, inverse: true, splitArea: { show: true }, ...AXIS },
      visualMap: {
        min: 0, max, calculable: true, orient: "horizontal", left: "center", bottom: 0, itemHeight: 160,
        inRange: { color: ["#f4f8fc", "#9cc3ea", "#0b5cad", "#08306b"] }, textStyle: { color: "#4a5563" },
      },
      series: [{
        type: "heatmap", name: "到达 Arrivals",
        data: cells.map((c) => [hours.indexOf(c.hour), c.weekday - 1, c.issued]),
        emphasis: { itemStyle: { borderColor: "#1b2430", borderWidth: 1 } },
      }],
    }, true);
  }

  function drawForecast(report) {
    const rows = report.forecast;
    const empty = !rows.length;
    $("[data-forecast-empty]").hidden = !empty;
    $('[data-chart="forecast"]').hidden = empty;
    if (empty) return;
    chart("forecast").setOption({
      textStyle: TEXT, animation: false,
      color: [COLORS.served, COLORS.forecast],
      grid: { left: 44, right: 16, top: 40, bottom: 36 },
      tooltip: { trigger: "axis" },
      legend: { top: 0, data: ["实际 Actual", "预测 Forecast"] },
      xAxis: { type: "category", data: rows.map((r) => shortDay(r.date)), ...AXIS },
      yAxis: { type: "value", minInterval: 1, ...AXIS, splitLine: { lineStyle: { color: "#eef1f5" } } },
      series: [
        { name: "实际 Actual", type: "bar", data: rows.map((r) => r.actual), barMaxWidth: 24 },
        { name: "预测 Forecast", type: "line", data: rows.map((r) => r.forecast), symbolSize: 7, lineStyle: { type: "dashed" } },
      ],
    }, true);
    charts.forecast.resize();
  }

  function drawRatings(report) {
    const dist = report.ratings.distribution;
    chart("ratings").setOption({
      textStyle: TEXT, animation: false,
      grid: { left: 44, right: 36, top: 4, bottom: 4, containLabel: false },
      tooltip: { trigger: "axis", axisPointer: { type: "shadow" } },
      xAxis: { type: "value", show: false, minInterval: 1 },
      yAxis: { type: "category", inverse: true, data: ["5★", "4★", "3★", "2★", "1★"], ...AXIS, axisTick: { show: false } },
      series: [{
        type: "bar", name: "评价 Ratings", data: [...dist].reverse(), barMaxWidth: 16,
        label: { show: true, position: "right", color: "#1b2430" },
        itemStyle: { color: (p) => ["#1f7a44", "#5aa469", "#d9a400", "#e07b00", "#c62828"][p.dataIndex] },
      }],
    }, true);
  }

  // --- Tiles: this period against the one before --------------------------------------------

  const cancelledOf = (f) => (f.cancelled || 0) + (f.cancelled_by_staff || 0);
  // better: which way is good news (1 up, -1 down, 0 neither).
  const TILES = [
    { key: "issued", zh: "取号", en: "Issued", show: num, better: 0 },
    { key: "served", zh: "办结", en: "Served", show: num, better: 1 },
    { key: "no_show", zh: "过号", en: "No-show", show: num, better: -1 },
    { key: "cancelled", zh: "取消", en: "Cancelled", show: num, better: -1, of: cancelledOf },
    { key: "closed_unserved", zh: "营业结束未办", en: "Closed unserved", show: num, better: -1 },
    { key: "avg_wait_seconds", zh: "平均等候", en: "Avg wait", show: duration, better: -1 },
    { key: "p90_wait_seconds", zh: "90%等候", en: "P90 wait", show: duration, better: -1 },
    { key: "avg_handle_seconds", zh: "平均办理", en: "Avg handle", show: duration, better: 0 },
    { key: "service_level", zh: "服务水平", en: "Service level", show: pct, better: 1, points: true },
    { key: "avg_rating", zh: "平均评分", en: "Avg rating", show: rating, better: 1, absolute: true },
  ];

  function delta(tile, now, before) {
    if (now === null || now === undefined || before === null || before === undefined) return null;
    const diff = now - before;
    if (Math.abs(diff) < 1e-9) return el("span", { className: "r-delta is-flat" }, "持平");
    const arrow = diff > 0 ? "▲" : "▼";
    let text;
    if (tile.points) text = `${(Math.abs(diff) * 100).toFixed(1)}个百分点`;
    else if (tile.absolute) text = Math.abs(diff).toFixed(2);
    else if (before === 0) text = tile.show(Math.abs(diff));
    else text = `${Math.round((Math.abs(diff) / before) * 100)}%`;
    const tone = tile.better === 0 ? "is-neutral" : diff * tile.better > 0 ? "is-good" : "is-bad";
    return el("span", { className: `r-delta ${tone}`, title: "较上期 / vs the period before" }, `${arrow} ${text}`);
  }

  function drawTiles(report) {
    const box = $("[data-kpis]");
    box.replaceChildren(...TILES.map((tile) => {
      const read = tile.of || ((f) => f[tile.key]);
      const now = read(report.totals);
      const before = read(report.previous);
      return el("div", { className: "r-kpi", dataset: { kpi: tile.key } },
        el("div", { className: "r-kpi-label" }, tile.zh, en(tile.en)),
        el("div", { className: "r-kpi-value", dataset: { kpiValue: "" } }, tile.show(now)),
        el("div", { className: "r-kpi-foot" }, delta(tile, now, before),
          el("span", { className: "r-prev" }, "上期 ", tile.show(before))));
    }));
    const prev = report.previous;
    const range = (a, b) => (a === b ? shortDay(a) : `${shortDay(a)}–${shortDay(b)}`);
    $("[data-compare]").replaceChildren(
      el("span", {}, `本期 ${range(report.from, report.to)}，较上期 ${range(prev.from, prev.to)}`),
      en(`${report.from} – ${report.to} against ${prev.from} – ${prev.to}`));
    $("[data-compare]").hidden = false;
  }

  // --- Tables -----------------------------------------------------------------------------

  function exportLinks(name, urlOf) {
    const box = root.querySelector(`[data-exports="${name}"]`);
    box.replaceChildren(
      el("a", { className: "r-export", href: urlOf("csv"), download: "", dataset: { export: "csv" } }, "CSV"),
      el("a", { className: "r-export", href: urlOf("xlsx"), download: "", dataset: { export: "xlsx" } }, "Excel"));
  }

  const td = (text, numeric = true) => el("td", numeric ? { className: "num" } : {}, text);

  function drawServices(report) {
    const body = $("[data-services]");
    body.replaceChildren(...report.services.map((s) => {
      const link = el("a", { href: `?${new URLSearchParams({ from: state.from, to: state.to, service: s.code })}`,
        dataset: { serviceLink: s.code } }, s.name, en(s.name_en));
      link.addEventListener("click", (event) => {
        event.preventDefault();
        go({ service: s.code });
      });
      const row = el("tr", { dataset: { service: s.code }, className: s.code === state.service ? "is-current" : "" },
        el("td", {}, link), td(num(s.issued)), td(num(s.served)), td(num(s.no_show)), td(num(cancelledOf(s))),
        td(num(s.closed_unserved)), td(duration(s.avg_wait_seconds)), td(duration(s.p90_wait_seconds)),
        td(duration(s.avg_handle_seconds)), td(pct(s.service_level)), td(s.ratings ? `${rating(s.avg_rating)} (${s.ratings})` : "—"));
      row.addEventListener("click", (event) => { if (event.target.tagName !== "A") link.click(); });
      return row;
    }));
    exportLinks("services", (format) => reportQuery({ format, table: "services" }));
    exportLinks("series", (format) => reportQuery({ format, table: "series" }));
  }

  const PEOPLE_COLUMNS = [
    ["served", "办结", "Served", num], ["avg_handle_seconds", "平均办理", "Avg handle", duration],
    ["busy_seconds", "忙碌", "Busy", duration], ["idle_seconds", "空闲", "Idle", duration],
    ["paused_seconds", "暂停", "Paused", duration], ["utilisation", "利用率", "Utilisation", (x) => pct(x, 0)],
  ];

  function drawPeople(rows) {
    const byCounter = state.by === "counter";
    $("[data-agents-head]").replaceChildren(
      byCounter ? el("th", {}, "窗口", en("Counter")) : el("th", {}, "营业员", en("Agent")),
      ...(byCounter ? [] : [el("th", { className: "num" }, "天数", en("Days"))]),
      ...PEOPLE_COLUMNS.map(([, zh, label]) => el("th", { className: "num" }, zh, en(label))),
      el("th", { className: "num" }, "评分", en("Rating")));
    $("[data-agents]").replaceChildren(...rows.map((r) => el("tr", { dataset: { agentRow: byCounter ? r.counter : r.username } },
      byCounter ? el("td", {}, r.label || `${r.counter}号窗口`) : el("td", {}, r.agent, r.agent !== r.username ? en(r.username) : null),
      ...(byCounter ? [] : [td(num(r.days))]),
      ...PEOPLE_COLUMNS.map(([key, , , show]) => td(show(r[key]))),
      td(r.ratings ? `${rating(r.avg_rating)} (${r.ratings})` : "—"))));
    $("[data-no-agents]").hidden = rows.length > 0;
    root.querySelectorAll("[data-by-value]").forEach((b) => b.classList.toggle("is-on", b.dataset.byValue === state.by));
    exportLinks("agents", (format) => agentsQuery({ format }));
  }

  function drawRatingsList(report) {
    const r = report.ratings;
    $("[data-ratings-summary]").textContent = r.count ? `${rating(r.average)} · ${r.count}条` : "";
    $("[data-comments]").replaceChildren(...r.comments.map((c) => el("li", {},
      el("span", { className: "r-stars", "aria-label": `${c.score}分` }, "★".repeat(c.score) + "☆".repeat(5 - c.score)),
      el("span", { className: "r-comment" }, c.comment),
      el("span", { className: "r-comment-meta muted" }, `${c.service} · ${c.at.slice(5, 10).replace("-", "/")} ${c.at.slice(11, 16)}`))));
    $("[data-no-comments]").hidden = r.comments.length > 0;
  }

  function drawSelfService(report) {
    const rows = report.self_service;
    $("[data-self-service]").replaceChildren(...rows.map((r) => {
      const [zh, label] = ACTIONS[r.action] || [r.action, ""];
      return el("tr", {}, el("td", {}, zh, label ? en(label) : null), td(num(r.total)), td(num(r.ok)),
        td(num(r.refused)), td(num(r.failed)));
    }));
    $("[data-no-self-service]").hidden = rows.length > 0;
  }

  // --- Loading ----------------------------------------------------------------------------

  let generation = 0;
  const status = { loaded: 0, agentsLoaded: 0, charts, state: () => ({ ...state }) };
  window.qmsReports = status;

  function showError(node, error) {
    node.textContent = error.firstMessage ? error.firstMessage() : String(error);
    node.hidden = false;
  }

  function syncControls() {
    $("[data-from]").value = state.from;
    $("[data-to]").value = state.to;
    for (const [name, range] of Object.entries(QUICK)) {
      const [a, b] = range();
      root.querySelector(`[data-quick="${name}"]`).classList.toggle("is-on", a === state.from && b === state.to);
    }
    root.querySelectorAll("[data-group-value]").forEach((b) => b.classList.toggle("is-on", b.dataset.groupValue === state.group));
    $("[data-service-filter]").hidden = !state.service;
  }

  // How far behind the figures are when they were read from the streaming replica (null: the primary).
  function drawLag(seconds) {
    const box = $("[data-replica-lag]");
    const behind = seconds !== null && seconds !== undefined;
    box.replaceChildren(...(behind ? [`数据延迟约 ${seconds} 秒 `, el("span", { className: "en" }, `Figures about ${seconds} s behind`)] : []));
    box.hidden = !behind;
  }

  async function loadPeople(mine) {
    if (!READS_PEOPLE) return;
    const errorBox = $("[data-agents-error]");
    errorBox.hidden = true;
    try {
      const rows = await QmsApi.request("GET", agentsQuery());
      if (mine !== generation) return;
      drawPeople(rows);
      status.agentsLoaded += 1;
    } catch (error) {
      if (mine === generation) showError(errorBox, error);
    }
  }

  async function load() {
    const mine = ++generation;
    syncControls();
    // Other cards of the page (the bookings') follow the same period.
    root.dispatchEvent(new CustomEvent("reports:period", { detail: { from: state.from, to: state.to } }));
    const errorBox = $("[data-error]");
    errorBox.hidden = true;
    $("[data-loading]").hidden = false;
    const people = loadPeople(mine);
    let report;
    try {
      report = await QmsApi.request("GET", reportQuery());
    } catch (error) {
      if (mine !== generation) return;
      $("[data-loading]").hidden = true;
      showError(errorBox, error);
      $("[data-kpis]").replaceChildren();
      $("[data-compare]").hidden = true;
      $("[data-body]").hidden = true;
      $("[data-empty]").hidden = true;
      return;
    }
    if (mine !== generation) return;
    $("[data-loading]").hidden = true;
    drawLag(report.replica_lag_seconds);
    const service = report.services.find((s) => s.code === state.service);
    $("[data-service-name]").textContent = service ? service.name : state.service;
    drawTiles(report);
    const empty = report.totals.issued === 0 && report.series.length === 0;
    $("[data-empty]").hidden = !empty;
    $("[data-body]").hidden = empty;
    if (!empty) {
      drawSeries(report);
      drawHeatmap(report);
      drawForecast(report);
      drawRatings(report);
      drawServices(report);
      drawRatingsList(report);
      drawSelfService(report);
      Object.values(charts).forEach((c) => c.resize());
    }
    await people;
    status.loaded += 1;
    status.report = report;
  }

  // --- Controls ---------------------------------------------------------------------------

  $("[data-period-form]").addEventListener("submit", (event) => {
    event.preventDefault();
    go({ from: $("[data-from]").value, to: $("[data-to]").value });
  });
  root.querySelectorAll("[data-quick]").forEach((button) => button.addEventListener("click", () => {
    const [from, to] = QUICK[button.dataset.quick]();
    go({ from, to });
  }));
  root.querySelectorAll("[data-group-value]").forEach((button) => button.addEventListener("click", () => {
    go({ group: button.dataset.groupValue });
  }));
  root.querySelectorAll("[data-by-value]").forEach((button) => button.addEventListener("click", () => {
    state = { ...state, by: button.dataset.byValue };
    window.history.replaceState(null, "", `?${pageQuery()}`);
    loadPeople(generation);
  }));
  $("[data-clear-service]").addEventListener("click", () => go({ service: "" }));

  load();
})();
