/* The customer's outlet finder (/outlets/): search every outlet by name,
 * address or district and filter by kind over GET /api/v1/halls/; halls with
 * a queue link to /m/{code}/ to take a number remotely; "nearest to me" sorts
 * what was found by distance (navigator.geolocation; nothing leaves the phone). */
(function () {
  "use strict";

  const root = document.querySelector("[data-finder]");
  if (!root) return;
  const form = root.querySelector("[data-search]");
  const list = root.querySelector("[data-list]");
  const status = root.querySelector("[data-status]");
  const more = root.querySelector("[data-more]");
  const kiosks = JSON.parse(document.getElementById("outlet-kiosks").textContent);
  const KINDS = {
    owned_hall: ["自办营业厅", "Owned hall"], franchise_store: ["指定专营店", "Franchise store"],
    agent_store: ["特约代理店", "Agent store"], authorized_point: ["授权销售点", "Authorized point"],
  };
  const state = { kind: "", results: [], next: null, here: null, seq: 0 };
  window.qmsFinder = state;

  function esc(s) {
    return String(s == null ? "" : s).replace(/[&<>"']/g, (c) => ({
      "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;",
    })[c]);
  }

  function km(a, b) {
    // Haversine, in kilometres.
    const rad = Math.PI / 180, R = 6371;
    const dLat = (b.lat - a.lat) * rad, dLng = (b.lng - a.lng) * rad;
    const h = Math.sin(dLat / 2) ** 2 + Math.cos(a.lat * rad) * Math.cos(b.lat * rad) * Math.sin(dLng / 2) ** 2;
    return 2 * R * Math.asin(Math.sqrt(h));
  }

  function render() {
    let rows = state.results.slice();
    if (state.here) {
      rows.forEach((o) => { o.km = o.lat != null && o.lng != null ? km(state.here, o) : null; });
      rows.sort((a, b) => (a.km == null) - (b.km == null) || a.km - b.km);
    }
    list.innerHTML = rows.map((o) => {
      const kind = KINDS[o.kind] || [o.kind, ""];
      const n = kiosks[o.code] || 0;
      return `<li class="f-item kind-${esc(o.kind)}" data-code="${esc(o.code)}">
        <div class="f-head"><strong>${esc(o.name)}</strong>${o.km != null && state.here ? `<span class="f-dist">${o.km < 1 ? Math.round(o.km * 1000) + " 米" : o.km.toFixed(1) + " 公里"}</span>` : ""}</div>
        <p class="f-addr">${esc(o.district)} · ${esc(o.address)}</p>
        <p class="f-tags"><span class="f-tag">${kind[0]} <span class="en">${kind[1]}</span></span>
          ${o.has_queue ? '<span class="f-tag is-queue">排队叫号 <span class="en">Queue</span></span>' : ""}
          ${n ? `<span class="f-tag is-kiosk">自助终端 ${n} 台 <span class="en">Kiosks</span></span>` : ""}</p>
        ${o.has_queue ? `<p class="f-actions"><a class="f-btn" href="/m/${encodeURIComponent(o.code)}/">远程取号 <span class="en">Take a number</span></a></p>` : ""}
        </li>`;
    }).join("");
  }

  async function fetchPage(url, append) {
    const seq = ++state.seq;
    status.textContent = "查找中… / Searching…";
    try {
      const res = await fetch(url, { headers: { Accept: "application/json" } });
      const body = await res.json();
      if (seq !== state.seq) return;
      if (!res.ok) throw new Error((body.error && body.error.message) || res.status);
      state.results = append ? state.results.concat(body.results) : body.results;
      state.next = body.next;
      status.textContent = body.count ? `找到 ${body.count} 个网点 / ${body.count} found` : "没有找到网点 / Nothing found";
      more.hidden = !body.next;
      render();
    } catch (e) {
      if (seq === state.seq) status.textContent = "网络异常，请稍后再试 / Cannot search now; please try again.";
    }
  }

  function search() {
    const params = new URLSearchParams({ page_size: state.here ? "200" : "30" });
    const q = form.elements.q.value.trim();
    if (q) params.set("q", q);
    if (form.elements.district.value) params.set("district", form.elements.district.value);
    if (state.kind) params.set("kind", state.kind);
    fetchPage(root.dataset.listUrl + "?" + params, false);
  }

  let timer = null;
  form.elements.q.addEventListener("input", () => { clearTimeout(timer); timer = setTimeout(search, 250); });
  form.elements.district.addEventListener("change", search);
  form.addEventListener("submit", (e) => { e.preventDefault(); search(); });
  root.querySelectorAll("[data-kind]").forEach((b) => b.addEventListener("click", () => {
    state.kind = b.dataset.kind;
    root.querySelectorAll("[data-kind]").forEach((x) => x.classList.toggle("is-on", x === b));
    search();
  }));
  more.addEventListener("click", () => { if (state.next) fetchPage(state.next, true); });
  root.querySelector("[data-near]").addEventListener("click", (e) => {
    if (!navigator.geolocation) { status.textContent = "无法定位 / Location is not available."; return; }
    status.textContent = "定位中… / Locating…";
    navigator.geolocation.getCurrentPosition((pos) => {
      state.here = { lat: pos.coords.latitude, lng: pos.coords.longitude };
      e.target.closest("button").classList.add("is-on");
      search();
    }, () => { status.textContent = "未能获取位置 / Could not get your location."; }, { timeout: 10000, maximumAge: 60000 });
  });

  search();
})();
