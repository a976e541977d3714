/* The hall manager's planning page.
 *
 * Everything on it comes from the staffing API (session and CSRF):
 *   GET  /api/v1/halls/{code}/plan/?date=           the day: forecast, counters required and scheduled
 *   GET  /api/v1/halls/{code}/forecast/accuracy/    how the forecast did lately
 *   GET  /api/v1/halls/{code}/roster/?week=         the week's people, shifts and cover
 *   POST /api/v1/halls/{code}/roster/plan/          plan the week from the forecast (409: no forecast)
 *   POST /api/v1/halls/{code}/roster/shifts/        add a shift; PATCH/DELETE /api/v1/roster-shifts/{id}/
 *   POST /api/v1/halls/{code}/simulate/             the day as planned and with a change (409, 429)
 * The API holds the rules: the page shows what it answers, refusals included,
 * and keeps what the manager typed when a request is refused.
 */
(function () {
  "use strict";

  const root = document.querySelector("[data-plan-root]");
  if (!root) return;
  const cfg = {
    planUrl: root.dataset.planUrl,
    accuracyUrl: root.dataset.accuracyUrl,
    rosterUrl: root.dataset.rosterUrl,
    rosterPlanUrl: root.dataset.rosterPlanUrl,
    shiftsUrl: root.dataset.shiftsUrl,
    shiftUrl: (id) => root.dataset.shiftUrl.replace(/0\/$/, `${id}/`),
    simulateUrl: root.dataset.simulateUrl,
    canAct: root.dataset.canAct === "true",
    csrf: root.dataset.csrf,
  };
  const WEEKDAYS = [["周一", "Mon"], ["周二", "Tue"], ["周三", "Wed"], ["周四", "Thu"], ["周五", "Fri"],
    ["周六", "Sat"], ["周日", "Sun"]];
  const COLORS = { forecast: "#8fbbe8", actual: "#37474f", required: "#d84315", scheduled: "#1f7a44", short: "#c62828" };

  const state = {
    day: null, // the plan payload of the day shown
    roster: null, // the roster payload of the week shown
    weekWanted: null, // the Monday of the week asked for last (steps count from it)
    accuracy: null,
    whatIf: null,
    loads: 0, // answers taken, for tests and the curious
    busy: new Set(),
  };
  window.qmsPlan = state;

  const $ = (sel) => root.querySelector(sel);
  const el = (tag, attrs = {}, ...children) => {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attrs)) {
      if (name === "class") node.className = value;
      else if (name.startsWith("data-") || name.startsWith("aria-")) node.setAttribute(name, value);
      else node[name] = value;
    }
    node.append(...children.flat().filter((c) => c !== null && c !== undefined && c !== false));
    return node;
  };
  const both = (zh, en) => [document.createTextNode(`${zh} `), el("span", { class: "en" }, en)];
  const percent = (x) => (x == null ? "–" : `${Math.round(x * 100)}%`);
  const minutesOf = (seconds) => (seconds == null ? "–" : `${(seconds / 60).toFixed(1)}′`);
  const hhmm = (minutes) => `${String(Math.floor(minutes / 60) % 24).padStart(2, "0")}:${String(minutes % 60).padStart(2, "0")}`;
  const minuteOf = (text) => { const [h, m] = text.split(":").map(Number); return h * 60 + m; };
  const addDays = (iso, n) => {
    const [y, m, d] = iso.split("-").map(Number);
    return new Date(Date.UTC(y, m - 1, d + n)).toISOString().slice(0, 10);
  };
  const weekdayOf = (iso) => (new Date(`${iso}T00:00:00Z`).getUTCDay() + 6) % 7; // Monday 0
  const mondayOf = (iso) => addDays(iso, -weekdayOf(iso));

  /** The refusal's message, with the message of each field (rules broken, bad input). */
  function refusal(err) {
    const details = Object.values(err.fields || {}).flat().filter((m) => typeof m === "string");
    return details.length ? `${err.message}：${details.join("；")}` : err.message;
  }

  function show(node, text, bad) {
    node.textContent = text || "";
    node.hidden = !text;
    node.classList.toggle("is-bad", Boolean(bad));
  }

  /* --- The day: forecast against counters -------------------------------- */

  let chart = null;

  // Only the answer to the latest question is shown: a quick run of taps
  // may answer out of order.
  let dayAsked = 0;
  let weekAsked = 0;

  /** Show `day` (null: the hall's live day); `follow`: the roster moves to its week. */
  async function loadDay(day, { follow = true } = {}) {
    const message = $("[data-day-message]");
    const ask = ++dayAsked;
    try {
      const data = await QmsApi.request("GET", day ? `${cfg.planUrl}?date=${day}` : cfg.planUrl, { cache: "no-store" });
      if (ask !== dayAsked) return;
      state.day = data;
      state.loads += 1;
      if (!state.today) state.today = data.date;
      show(message, "");
      renderDay();
      fillWhatIfChoices();
      if (follow && mondayOf(data.date) !== (state.weekWanted || "")) loadWeek(data.date);
    } catch (err) {
      if (ask !== dayAsked) return;
      show(message, refusal(err), true);
      if (state.day) $("[data-day-input]").value = state.day.date; // back to the day shown
    }
  }

  /** Runs of slots short of staff: [{from, to, short}] ("10:00–12:00, short by 2"). */
  function shortRuns(slots) {
    const runs = [];
    let run = null;
    slots.forEach((s, i) => {
      const short = Math.max(0, s.required_counters - s.scheduled_counters);
      if (short > 0 && run && run.last === i - 1) {
        run.last = i;
        run.short = Math.max(run.short, short);
      } else if (short > 0) {
        run = { first: i, last: i, short };
        runs.push(run);
      }
    });
    return runs.map((r) => ({
      first: r.first, last: r.last, short: r.short,
      from: slots[r.first].slot_start, to: hhmm(minuteOf(slots[r.last].slot_start) + 30),
    }));
  }

  function renderDay() {
    const d = state.day;
    $("[data-day-input]").value = d.date;
    const [wzh, wen] = WEEKDAYS[weekdayOf(d.date)];
    const summary = $("[data-day-summary]");
    const runs = shortRuns(d.slots);
    const parts = [el("b", { class: "p-date" }, `${d.date} ${wzh} `, el("span", { class: "en" }, wen),
      d.date === state.today ? el("span", { class: "p-tag" }, ...both("今天", "Today")) : null)];
    if (!d.slots.length) {
      parts.push(el("span", {}, ...both("当天不营业", "Closed that day")));
    } else if (!d.has_forecast) {
      parts.push(el("span", { class: "is-warning" }, ...both("这一天尚无客流预测", "No forecast for this day yet")));
    } else {
      const t = d.totals;
      parts.push(el("span", {}, ...both(`预测到达 ${Math.round(t.forecast_arrivals)} 人次`, `${Math.round(t.forecast_arrivals)} arrivals forecast`)));
      parts.push(el("span", {}, ...both(`需 ${t.required_hours} 窗口小时，已排 ${t.scheduled_hours}`,
        `${t.required_hours} counter-hours needed, ${t.scheduled_hours} planned`)));
      if (runs.length) {
        parts.push(el("ul", { class: "p-short-list", "data-short-runs": "" }, runs.map((r) => el("li", { class: "p-short" },
          `${r.from}–${r.to} 缺 ${r.short} 人 `, el("span", { class: "en" }, `short by ${r.short}`)))));
      } else {
        parts.push(el("span", { class: "p-ok", "data-no-short": "" }, ...both("各时段人手充足", "Every slot is covered")));
      }
    }
    summary.replaceChildren(...parts);
    drawChart(runs);
  }

  function drawChart(runs) {
    const d = state.day;
    const node = $("[data-day-chart]");
    if (!window.echarts) return;
    if (!chart) {
      chart = window.echarts.init(node, null, { renderer: "canvas" });
      window.addEventListener("resize", () => chart.resize());
    }
    const labels = d.slots.map((s) => s.slot_start);
    const shortAt = new Set(runs.flatMap((r) => Array.from({ length: r.last - r.first + 1 }, (_, k) => r.first + k)));
    const hasActual = d.slots.some((s) => s.actual_arrivals != null);
    const names = {
      forecast: "预测到达 Forecast", actual: "实际到达 Actual",
      required: "所需窗口 Required", scheduled: "已排窗口 Scheduled",
    };
    const series = [
      {
        name: names.forecast, type: "bar", barMaxWidth: 26,
        data: d.slots.map((s, i) => ({
          value: s.forecast_arrivals,
          itemStyle: { color: shortAt.has(i) ? "#f1a7a0" : COLORS.forecast },
        })),
        itemStyle: { color: COLORS.forecast },
      },
      {
        name: names.required, type: "line", step: "middle", yAxisIndex: 1, symbol: "none",
        lineStyle: { width: 2.5, type: "dashed", color: COLORS.required }, itemStyle: { color: COLORS.required },
        data: d.slots.map((s) => s.required_counters),
      },
      {
        name: names.scheduled, type: "line", step: "middle", yAxisIndex: 1, symbol: "circle", symbolSize: 5,
        lineStyle: { width: 3, color: COLORS.scheduled }, itemStyle: { color: COLORS.scheduled },
        areaStyle: { color: "rgba(31, 122, 68, 0.07)" },
        data: d.slots.map((s) => s.scheduled_counters),
      },
    ];
    // The runs short of staff, shaded across their slots' whole bands: on a
    // hidden value axis where slot i spans i - 0.5 to i + 0.5 (a category
    // axis would place the area's edges on the slots' centres).
    series.push({
      name: "short", type: "line", xAxisIndex: 1, data: [], silent: true,
      markArea: {
        silent: true,
        itemStyle: { color: "rgba(198, 40, 40, 0.09)" },
        label: { color: COLORS.short, fontWeight: "bold", position: "insideTop" },
        data: runs.map((r) => [{ name: `缺 ${r.short} 人`, xAxis: r.first - 0.5 }, { xAxis: r.last + 0.5 }]),
      },
    });
    if (hasActual) {
      series.splice(1, 0, {
        name: names.actual, type: "line", symbol: "emptyCircle", symbolSize: 5,
        lineStyle: { width: 1.5, color: COLORS.actual }, itemStyle: { color: COLORS.actual },
        data: d.slots.map((s) => s.actual_arrivals),
      });
    }
    chart.setOption({
      animation: false,
      textStyle: { fontFamily: "inherit" },
      tooltip: { trigger: "axis" },
      legend: { top: 0, data: series.filter((s) => s.name !== "short").map((s) => s.name) },
      grid: { left: 48, right: 48, top: 40, bottom: 30 },
      xAxis: [
        { type: "category", data: labels, axisTick: { alignWithLabel: true } },
        { type: "value", min: -0.5, max: labels.length - 0.5, show: false, axisPointer: { show: false } },
      ],
      yAxis: [
        // onZero off: the hidden value axis's zero is the first slot's centre, not the edge.
        { type: "value", name: "人次/半小时 Arrivals", nameTextStyle: { align: "left" }, minInterval: 1,
          axisLine: { onZero: false } },
        { type: "value", name: "窗口 Counters", nameTextStyle: { align: "right" }, minInterval: 1,
          axisLine: { onZero: false }, splitLine: { show: false } },
      ],
      series,
    }, true);
    node.dataset.drawn = String(labels.length);
  }

  /* --- Forecast accuracy ------------------------------------------------------ */

  async function loadAccuracy() {
    const box = $("[data-accuracy]");
    try {
      state.accuracy = await QmsApi.request("GET", cfg.accuracyUrl, { cache: "no-store" });
    } catch (err) {
      box.replaceChildren(el("p", { class: "p-message is-bad" }, refusal(err)));
      return;
    }
    const a = state.accuracy;
    if (!a.available) {
      box.replaceChildren(el("p", { class: "muted", "data-accuracy-none": "" },
        ...both("历史不足，暂无法评估", "Not enough history to judge it yet")));
      return;
    }
    const row = (zh, en, ours, naive) => el("tr", {},
      el("th", {}, ...both(zh, en)), el("td", { class: "num p-big" }, percent(ours)), el("td", { class: "num muted" }, percent(naive)));
    box.replaceChildren(
      el("p", { class: a.beats_naive ? "p-ok" : "is-warning", "data-accuracy-verdict": "" },
        ...(a.beats_naive ? both("优于季节朴素预测", "Beats the seasonal naive forecast")
          : both("未优于季节朴素预测", "Not better than the seasonal naive forecast"))),
      el("table", { class: "m-table p-accuracy-table" },
        el("thead", {}, el("tr", {}, el("th", {}, ...both("误差 WAPE", "Error (WAPE)")),
          el("th", { class: "num" }, ...both("本预测", "Ours")), el("th", { class: "num" }, ...both("朴素", "Naive")))),
        el("tbody", {},
          row("按日", "Per day", a.wape_day, a.naive_wape_day),
          row("按半小时", "Per half hour", a.wape_slot, a.naive_wape_slot))),
      el("p", { class: "muted p-note" },
        ...both(`近 ${a.days} 天、${a.arrivals} 人次；随机波动下限 ${percent(a.floor_slot)}`,
          `last ${a.days} days, ${a.arrivals} arrivals; chance alone gives ${percent(a.floor_slot)}`)),
    );
  }

  /* --- What-if ------------------------------------------------------------------- */

  function fillWhatIfChoices() {
    const d = state.day;
    const form = $("[data-whatif-form]");
    const service = form.elements.service;
    const keep = service.value;
    service.replaceChildren(el("option", { value: "" }, "全部业务 All services"),
      ...d.services.map((s) => el("option", { value: s.code }, s.name)));
    service.value = d.services.some((s) => s.code === keep) ? keep : "";
    const starts = d.slots.map((s) => s.slot_start);
    const ends = d.slots.map((s) => hhmm(minuteOf(s.slot_start) + 30));
    for (const [name, values, label] of [["start", starts, "开门 Opening"], ["end", ends, "关门 Closing"]]) {
      const select = form.elements[name];
      const previous = select.value;
      select.replaceChildren(el("option", { value: "" }, label), ...values.map((v) => el("option", { value: v }, v)));
      select.value = values.includes(previous) ? previous : "";
    }
  }

  /** The change the form asks for, or a message saying what is missing. */
  function whatIfChange(form) {
    const count = Number.parseInt(form.elements.count.value, 10);
    const service = form.elements.service.value;
    const start = form.elements.start.value || null;
    const end = form.elements.end.value || null;
    if (!Number.isFinite(count) || count === 0 || Math.abs(count) > 20) {
      return { problem: "请输入 −20 至 20 之间、不为 0 的窗口数 / Enter a number of counters from −20 to 20, not 0." };
    }
    if (start && end && minuteOf(end) <= minuteOf(start)) {
      return { problem: "结束须晚于开始 / The end must come after the start." };
    }
    if (count > 0) {
      const services = service ? [service] : state.day.services.map((s) => s.code);
      const first = state.day.slots.length ? state.day.slots[0].slot_start : "00:00";
      return { change: { kind: "add", count, services, start: start || first, end } };
    }
    if (!service) return { problem: "减少窗口时请选择业务 / Choose the service whose counters close." };
    return { change: { kind: "remove", count: -count, service, start, end } };
  }

  async function runWhatIf(event) {
    event.preventDefault();
    const form = event.currentTarget;
    const message = $("[data-whatif-message]");
    if (!state.day || state.busy.has("whatif")) return;
    const { change, problem } = whatIfChange(form);
    if (problem) {
      show(message, problem, true);
      return;
    }
    const button = $("[data-whatif-run]");
    state.busy.add("whatif");
    button.disabled = true;
    show(message, "模拟中… / Simulating…");
    try {
      const result = await QmsApi.request("POST", cfg.simulateUrl, {
        csrf: cfg.csrf, body: { date: state.day.date, changes: [change] }, timeoutMs: 60000,
      });
      state.whatIf = result;
      show(message, "");
      renderWhatIf(result, change);
    } catch (err) {
      show(message, refusal(err), true);
    } finally {
      state.busy.delete("whatif");
      button.disabled = false;
    }
  }

  function renderWhatIf(result, change) {
    const base = result.baseline.day;
    const after = result.what_if ? result.what_if.day : null;
    const interval = (e, fmt) => (e.low == null ? "" : ` (${fmt(e.low)}–${fmt(e.high)})`);
    const delta = (a, b, fmt, better) => {
      if (a == null || b == null) return el("td", { class: "num" }, "–");
      const diff = b - a;
      const good = better === "up" ? diff > 0 : diff < 0;
      const sign = diff > 0 ? "+" : diff < 0 ? "−" : "±";
      return el("td", { class: `num ${Math.abs(diff) < 1e-9 ? "" : good ? "p-better" : "p-worse"}` }, `${sign}${fmt(Math.abs(diff))}`);
    };
    const row = (zh, en, key, fmt, better) => el("tr", { "data-whatif-row": key },
      el("th", {}, ...both(zh, en)),
      el("td", { class: "num" }, fmt(base[key].mean), el("small", { class: "muted" }, interval(base[key], fmt))),
      el("td", { class: "num p-big" }, after ? fmt(after[key].mean) : "–",
        after ? el("small", { class: "muted" }, interval(after[key], fmt)) : null),
      delta(base[key].mean, after ? after[key].mean : null, fmt, better));
    const what = change.kind === "add"
      ? both(`${change.start}${change.end ? `–${change.end}` : " 起"} 增加 ${change.count} 个窗口`,
        `${change.count} more counter${change.count > 1 ? "s" : ""} from ${change.start}${change.end ? ` to ${change.end}` : ""}`)
      : both(`${change.start || "全天"}${change.end ? `–${change.end}` : ""} 减少 ${change.count} 个窗口`,
        `${change.count} counter${change.count > 1 ? "s" : ""} fewer${change.start ? ` from ${change.start}` : " all day"}`);
    const plan = result.plan === "roster"
      ? both(`按排班（${result.people} 人）`, `as rostered (${result.people} people)`)
      : both("按所需窗口", "as required");
    $("[data-whatif-result]").replaceChildren(
      el("p", { class: "p-note" }, ...what, " · ", ...plan, " · ", ...both(`模拟 ${result.days} 天`, `${result.days} simulated days`)),
      el("table", { class: "m-table p-whatif-table" },
        el("thead", {}, el("tr", {}, el("th", {}, ""), el("th", { class: "num" }, ...both("当前计划", "Plan")),
          el("th", { class: "num" }, ...both("调整后", "What-if")), el("th", { class: "num" }, ...both("变化", "Change")))),
        el("tbody", {},
          row("服务水平", "Service level", "service_level", percent, "up"),
          row("平均等候", "Average wait", "average_wait_seconds", minutesOf, "down"),
          row("未办理离开", "Left unserved", "abandonment", percent, "down"))),
    );
  }

  /* --- The week's roster ------------------------------------------------------------ */

  async function loadWeek(day) {
    const message = $("[data-roster-message]");
    const ask = ++weekAsked;
    state.weekWanted = day ? mondayOf(day) : null;
    try {
      const roster = await QmsApi.request("GET", day ? `${cfg.rosterUrl}?week=${day}` : cfg.rosterUrl, { cache: "no-store" });
      if (ask !== weekAsked) return;
      state.roster = roster;
      state.weekWanted = roster.week_start;
      state.loads += 1;
      renderRoster();
    } catch (err) {
      if (ask !== weekAsked) return;
      state.weekWanted = state.roster ? state.roster.week_start : null;
      show(message, refusal(err), true);
    }
  }

  function shiftText(s) {
    return `${s.starts}–${s.ends}`;
  }

  function renderRoster() {
    const r = state.roster;
    $("[data-week-label]").textContent = `${r.days[0]} – ${r.days[6].slice(5)}`;
    $("[data-roster-head]").replaceChildren(el("tr", {},
      el("th", {}, ...both("员工", "Person")),
      ...r.days.map((day, i) => el("th", { class: `p-dayhead${state.day && day === state.day.date ? " is-shown" : ""}` },
        el("button", { type: "button", class: "p-link", onclick: () => loadDay(day) },
          `${WEEKDAYS[i][0]} `, el("span", { class: "en" }, WEEKDAYS[i][1]), el("br"), el("small", {}, day.slice(5))))),
      el("th", { class: "num" }, ...both("工时", "Hours"))));
    const byCell = {};
    for (const s of r.shifts) (byCell[`${s.user}|${s.date}`] ||= []).push(s);
    $("[data-roster-body]").replaceChildren(...r.people.map((p) => el("tr", { "data-person": String(p.id) },
      el("th", { class: "p-person" }, p.name, p.role === "manager" ? el("small", { class: "muted" }, " 经理") : null),
      ...r.days.map((day, i) => {
        const shifts = byCell[`${p.id}|${day}`] || [];
        const closed = !r.cover[i].open;
        const chips = shifts.map((s) => {
          const label = [el("b", {}, shiftText(s)),
            s.break_starts ? el("small", {}, `休 ${s.break_starts}–${s.break_ends}`) : null];
          const attrs = { class: `p-shift source-${s.source}`, "data-shift": String(s.id),
            title: s.services.length ? s.services.join(", ") : "" };
          return cfg.canAct
            ? el("button", { type: "button", ...attrs, onclick: () => openShift({ shift: s }) }, ...label)
            : el("span", attrs, ...label);
        });
        const add = cfg.canAct && !shifts.length && !closed
          ? el("button", { type: "button", class: "p-add", "aria-label": `添加 ${p.name} ${day}`,
            onclick: () => openShift({ person: p.id, date: day }) }, "+")
          : null;
        return el("td", { class: `p-cell${closed ? " is-closed" : ""}`, "data-day": day }, ...chips, add);
      }),
      el("td", { class: "num p-hours" }, `${p.hours_planned}`,
        el("small", { class: "muted" }, p.hours_per_week == null ? "" : ` / ${p.hours_per_week}`)))));
    $("[data-roster-foot]").replaceChildren(el("tr", {},
      el("th", {}, ...both("缺员时段", "Short slots")),
      ...r.cover.map((c) => {
        if (!c.open) return el("td", { class: "muted" }, ...both("休", "Closed"));
        if (!c.has_forecast) return el("td", { class: "muted" }, ...both("无预测", "No forecast"));
        return el("td", { class: `num-left ${c.short_slots ? "is-warning" : "p-ok"}`, "data-short-slots": String(c.short_slots) },
          c.short_slots ? `${c.short_slots}` : "✓");
      }),
      el("td", {})));
    $("[data-roster-empty]").hidden = r.shifts.length > 0;
    document.querySelectorAll("[data-person-select]").forEach((select) => {
      const keep = select.value;
      select.replaceChildren(...r.people.map((p) => el("option", { value: String(p.id) }, p.name)));
      if (keep) select.value = keep;
    });
  }

  async function planWeek() {
    const button = $("[data-roster-plan]");
    const message = $("[data-roster-message]");
    if (state.busy.has("plan")) return;
    state.busy.add("plan");
    button.disabled = true;
    show(message, "正在按预测排班… / Planning the week…");
    try {
      const result = await QmsApi.request("POST", cfg.rosterPlanUrl, {
        csrf: cfg.csrf, body: { week: state.weekWanted || state.day.date }, timeoutMs: 90000,
      });
      weekAsked += 1; // the planned week is newer than any read still on its way
      state.roster = result.week;
      state.weekWanted = result.week.week_start;
      renderRoster();
      const short = result.short.length;
      show(message, short
        ? `已排班，仍有 ${short} 个时段人手不足 / Planned; ${short} slot${short > 1 ? "s are" : " is"} still short.`
        : "已排班，各时段人手充足 / Planned; every slot is covered.", short > 0);
      if (state.day) loadDay(state.day.date, { follow: false });
    } catch (err) {
      show(message, refusal(err), true);
    } finally {
      state.busy.delete("plan");
      button.disabled = false;
    }
  }

  /* --- The shift dialog --------------------------------------------------------------- */

  const dialog = root.querySelector("[data-shift-dialog]");
  let editing = null; // the shift being changed; null when adding

  function openShift({ shift = null, person = null, date = null }) {
    const form = $("[data-shift-form]");
    editing = shift;
    show($("[data-shift-error]"), "");
    $("[data-shift-title]").replaceChildren(...(shift ? both("修改班次", "Change the shift") : both("添加班次", "Add a shift")));
    $("[data-shift-delete]").hidden = !shift;
    const f = form.elements;
    f.user.disabled = Boolean(shift);
    f.user.value = String(shift ? shift.user : person || (state.roster.people[0] || {}).id || "");
    f.date.value = shift ? shift.date : date || (state.day && state.roster.days.includes(state.day.date) ? state.day.date : state.roster.days[0]);
    f.date.min = state.roster.days[0];
    f.starts.value = shift ? shift.starts : (f.starts.value || "09:00");
    f.ends.value = shift ? shift.ends : (f.ends.value || "17:00");
    f.break_starts.value = shift ? shift.break_starts || "" : "";
    f.break_ends.value = shift ? shift.break_ends || "" : "";
    const chosen = new Set(shift ? shift.services : []);
    const box = $("[data-shift-services]");
    box.querySelectorAll("label").forEach((n) => n.remove());
    for (const s of (state.day ? state.day.services : [])) {
      box.append(el("label", { class: "p-check" },
        el("input", { type: "checkbox", name: "services", value: s.code, checked: chosen.has(s.code) }), ` ${s.name}`));
    }
    dialog.showModal();
  }

  async function saveShift(event) {
    event.preventDefault();
    const form = event.currentTarget;
    const f = form.elements;
    const error = $("[data-shift-error]");
    if (state.busy.has("shift")) return;
    if (!f.starts.value || !f.ends.value || !f.date.value) {
      show(error, "请填写日期、上班和下班时间 / Fill in the date, the start and the end.", true);
      return;
    }
    const body = {
      date: f.date.value,
      starts: f.starts.value,
      ends: f.ends.value,
      break_starts: f.break_starts.value || null,
      break_ends: f.break_ends.value || null,
      services: [...form.querySelectorAll('input[name="services"]:checked')].map((c) => c.value),
    };
    if (!editing) body.user = Number(f.user.value);
    state.busy.add("shift");
    $("[data-shift-save]").disabled = true;
    try {
      const saved = await QmsApi.request(editing ? "PATCH" : "POST", editing ? cfg.shiftUrl(editing.id) : cfg.shiftsUrl,
        { csrf: cfg.csrf, body });
      dialog.close();
      afterShiftChange(saved.date);
    } catch (err) {
      show(error, refusal(err), true); // the dialog stays open with what was typed
    } finally {
      state.busy.delete("shift");
      $("[data-shift-save]").disabled = false;
    }
  }

  async function deleteShift() {
    if (!editing || state.busy.has("shift")) return;
    state.busy.add("shift");
    try {
      await QmsApi.request("DELETE", cfg.shiftUrl(editing.id), { csrf: cfg.csrf });
      const day = editing.date;
      dialog.close();
      afterShiftChange(day);
    } catch (err) {
      show($("[data-shift-error]"), refusal(err), true);
    } finally {
      state.busy.delete("shift");
    }
  }

  function afterShiftChange(day) {
    const week = state.roster ? state.roster.week_start : day;
    show($("[data-roster-message]"), "");
    loadWeek(mondayOf(day) === week ? week : mondayOf(day));
    if (state.day && mondayOf(state.day.date) === mondayOf(day)) loadDay(state.day.date, { follow: false });
  }

  /* --- Wiring -------------------------------------------------------------------------- */

  root.querySelectorAll("[data-day-step]").forEach((b) => b.addEventListener("click", () => {
    if (state.day) loadDay(addDays(state.day.date, Number(b.dataset.dayStep)));
  }));
  $("[data-day-today]").addEventListener("click", () => loadDay(null));
  $("[data-day-input]").addEventListener("change", (e) => { if (e.target.value) loadDay(e.target.value); });
  root.querySelectorAll("[data-week-step]").forEach((b) => b.addEventListener("click", () => {
    const from = state.weekWanted || (state.roster && state.roster.week_start);
    if (from) loadWeek(addDays(from, Number(b.dataset.weekStep)));
  }));
  $("[data-whatif-form]").addEventListener("submit", runWhatIf);
  if (cfg.canAct) {
    $("[data-roster-plan]").addEventListener("click", planWeek);
    $("[data-shift-add]").addEventListener("click", () => { if (state.roster) openShift({}); });
    $("[data-shift-form]").addEventListener("submit", saveShift);
    $("[data-shift-cancel]").addEventListener("click", () => dialog.close());
    $("[data-shift-delete]").addEventListener("click", deleteShift);
  }

  loadDay(null);
  loadAccuracy();
})();
