/* /m/: choose a hall.
 *
 * The list arrives grouped by district with each hall's waiting count. Here:
 * filter by district (chips) and by name or address (search); "Nearest" asks
 * the browser for its location and sorts the halls by distance, computed
 * here from each hall's lat/lng (the location never leaves the phone); the
 * waiting counts and waits (the shortest and longest a ticket taken now
 * would wait, over the hall's services) refresh every 30 s while the page is
 * in view.
 */
(function () {
  "use strict";

  const root = document.querySelector(".halls-root");
  const list = root.querySelector("[data-hall-list]");
  const items = Array.from(list.querySelectorAll(".hall-item"));
  const heads = Array.from(list.querySelectorAll(".district-head"));
  const original = Array.from(list.children);
  const search = root.querySelector("[data-search]");
  const chips = Array.from(root.querySelectorAll(".chip"));
  const locate = root.querySelector("[data-locate]");
  const note = root.querySelector("[data-locate-note]");
  const noMatch = root.querySelector("[data-no-match]");
  const REFRESH_MS = 30000;

  const state = { district: "", query: "", here: null, sort: "district", refreshed: 0 };
  window.qmsHalls = state;

  /* --- Filtering ---------------------------------------------------------- */

  function applyFilters() {
    const query = state.query.trim().toLowerCase();
    const shownDistricts = new Set();
    let shown = 0;
    for (const item of items) {
      const visible = (!state.district || item.dataset.district === state.district)
        && (!query || item.dataset.searchText.toLowerCase().includes(query));
      item.hidden = !visible;
      if (visible) {
        shown += 1;
        shownDistricts.add(item.dataset.district);
      }
    }
    for (const head of heads) head.hidden = !shownDistricts.has(head.dataset.districtHead);
    noMatch.hidden = shown > 0 || items.length === 0;
  }

  chips.forEach((chip) => chip.addEventListener("click", () => {
    state.district = chip.dataset.district;
    chips.forEach((c) => c.setAttribute("aria-pressed", String(c === chip)));
    applyFilters();
  }));
  search.addEventListener("input", () => { state.query = search.value; applyFilters(); });

  /* --- Distance ------------------------------------------------------------ */

  function distanceKm(a, b) {
    const rad = (deg) => (deg * Math.PI) / 180;
    const dLat = rad(b.lat - a.lat);
    const dLng = rad(b.lng - a.lng);
    const h = Math.sin(dLat / 2) ** 2 + Math.cos(rad(a.lat)) * Math.cos(rad(b.lat)) * Math.sin(dLng / 2) ** 2;
    return 2 * 6371 * Math.asin(Math.min(1, Math.sqrt(h)));
  }

  function formatKm(km) {
    return km < 1 ? `${Math.round(km * 1000)} m · ` : `${km.toFixed(km < 10 ? 1 : 0)} km · `;
  }

  function sortByDistance(here) {
    state.here = here;
    state.sort = "distance";
    const measured = items.map((item) => {
      const lat = parseFloat(item.dataset.lat);
      const lng = parseFloat(item.dataset.lng);
      const km = Number.isFinite(lat) && Number.isFinite(lng) ? distanceKm(here, { lat, lng }) : Infinity;
      item.querySelector("[data-distance]").textContent = Number.isFinite(km) ? formatKm(km) : "";
      item.dataset.km = Number.isFinite(km) ? km.toFixed(3) : "";
      return { item, km };
    });
    measured.sort((a, b) => a.km - b.km);
    measured.forEach(({ item }) => list.appendChild(item));
    list.dataset.sort = "distance";
    locate.setAttribute("aria-pressed", "true");
    note.textContent = "已按距离由近到远排序 · Nearest first";
    note.hidden = false;
  }

  function sortByDistrict() {
    state.sort = "district";
    original.forEach((node) => list.appendChild(node));
    items.forEach((item) => { item.querySelector("[data-distance]").textContent = ""; });
    list.dataset.sort = "district";
    locate.setAttribute("aria-pressed", "false");
    note.hidden = true;
  }

  function askLocation() {
    if (!navigator.geolocation) {
      note.textContent = "此浏览器无法定位 · This browser cannot share its location.";
      note.hidden = false;
      return;
    }
    note.textContent = "正在定位… · Finding you…";
    note.hidden = false;
    navigator.geolocation.getCurrentPosition(
      (position) => sortByDistance({ lat: position.coords.latitude, lng: position.coords.longitude }),
      () => {
        note.textContent = "未能获取位置，请按区县选择 · Location unavailable; choose by district.";
        note.hidden = false;
      },
      { enableHighAccuracy: false, timeout: 10000, maximumAge: 300000 },
    );
  }

  locate.addEventListener("click", () => {
    if (state.sort === "distance") sortByDistrict();
    else askLocation();
  });

  // Someone who already let this site see their location gets the nearest halls at once.
  if (navigator.permissions && navigator.geolocation) {
    navigator.permissions.query({ name: "geolocation" }).then((status) => {
      if (status.state === "granted") askLocation();
    }).catch(() => {});
  }

  /* --- Live counts --------------------------------------------------------------- */

  async function refresh() {
    if (document.visibilityState !== "visible") return;
    try {
      const answer = await QmsApi.send("GET", root.dataset.waitingUrl);
      if (!answer.ok) return;
      const { waiting, waits } = answer.data;
      for (const item of items) {
        const count = waiting[item.dataset.hall];
        if (count != null) item.querySelector("[data-waiting]").textContent = String(count);
        const span = (waits || {})[item.dataset.hall];
        item.querySelector("[data-wait-span]").textContent = span
          ? `约 ${span[0]}${span[1] !== span[0] ? `–${span[1]}` : ""} 分钟` : "";
      }
      state.refreshed += 1;
    } catch (err) { /* offline for a moment: the next round tries again */ }
  }

  setInterval(refresh, REFRESH_MS);
  document.addEventListener("visibilitychange", refresh);
  window.qmsHalls.refresh = refresh;
})();
