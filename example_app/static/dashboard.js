// Broadcast campaigns dashboard: the list over JSON:API, live progress over the websocket.
// No build step, no dependencies. Settings come from the form or the URL hash:
//   /dashboard#o=1&token=secret[&api=/api]
// The page never polls: it reads the list once per (re)connection and then applies events.
(function () {
  "use strict";

  const JSONAPI = "application/vnd.api+json";
  const BACKOFF_MIN = 500, BACKOFF_MAX = 30000;
  const state = {
    api: "/api", token: "", organization: "",
    campaigns: new Map(),      // id -> resource object
    socket: null, backoff: BACKOFF_MIN, retryTimer: null, generation: 0,
    eventsReceived: 0,
  };
  window.broadcastsDashboard = state; // for tests and debugging

  const $ = (id) => document.getElementById(id);

  function setStatus(name, text) {
    const el = $("connection-status");
    el.dataset.state = name;
    el.textContent = text || name;
  }

  function showError(message) {
    const el = $("error");
    el.hidden = !message;
    el.textContent = message || "";
  }

  function headers(extra) {
    return Object.assign({ Accept: JSONAPI, Authorization: "Bearer " + state.token }, extra || {});
  }

  function url(path, params) {
    const query = new URLSearchParams(Object.assign({ o: state.organization }, params || {}));
    return state.api + path + "?" + query.toString();
  }

  async function request(method, path, params, document) {
    const init = { method, headers: headers(document ? { "Content-Type": JSONAPI } : {}) };
    if (document) init.body = JSON.stringify(document);
    const response = await fetch(url(path, params), init);
    const body = response.status === 204 ? null : await response.json().catch(() => null);
    if (!response.ok) {
      const detail = body && body.errors && body.errors[0] && (body.errors[0].detail || body.errors[0].title);
      const error = new Error(detail || response.status + " " + response.statusText);
      error.status = response.status;
      throw error;
    }
    return body;
  }

  // -- campaigns -----------------------------------------------------------------------

  function progress(attributes) {
    const total = Number(attributes.total_count) || 0;
    const sent = Number(attributes.sent_count) || 0;
    const failed = Number(attributes.failed_count) || 0;
    if (!total) return { sent, failed, total, percent: attributes.status === "completed" ? 100 : 0, sentPct: 0, failedPct: 0 };
    const pct = (n) => Math.min(100, (100 * n) / total);
    return { sent, failed, total, percent: Math.round(pct(sent + failed)), sentPct: pct(sent), failedPct: pct(failed) };
  }

  // An event published before the list was read can arrive after it: never go backwards
  // within one status.
  function isStale(current, incoming) {
    if (!current) return false;
    const a = current.attributes || {}, b = incoming.attributes || {};
    if (a.status !== b.status) return false;
    return (Number(b.sent_count) || 0) + (Number(b.failed_count) || 0) < (Number(a.sent_count) || 0) + (Number(a.failed_count) || 0);
  }

  function upsert(resource, { force = false } = {}) {
    if (!resource || resource.type !== "broadcast-campaigns") return;
    const id = String(resource.id);
    const current = state.campaigns.get(id);
    if (!force && isStale(current, resource)) return;
    const merged = current ? Object.assign({}, current, resource, { attributes: Object.assign({}, current.attributes, resource.attributes) }) : resource;
    state.campaigns.set(id, merged);
    render(merged);
  }

  function render(resource) {
    const id = String(resource.id);
    let row = $("campaign-" + id);
    if (!row) {
      row = $("campaign-template").content.firstElementChild.cloneNode(true);
      row.id = "campaign-" + id;
      row.dataset.campaignId = id;
      row.querySelectorAll("[data-field]").forEach((el) => { el.id = "campaign-" + id + "-" + el.dataset.field.replace("_", "-"); });
      row.querySelector("[data-action=start]").addEventListener("click", () => act(id, "start"));
      row.querySelector("[data-action=stop]").addEventListener("click", () => act(id, "stop"));
      $("campaigns").appendChild(row);
    }
    const a = resource.attributes || {};
    const p = progress(a);
    const field = (name) => row.querySelector('[data-field="' + name + '"]');
    row.dataset.status = a.status || "";
    field("name").textContent = a.name || "(unnamed)";
    field("status").textContent = a.status || "";
    field("sent_count").textContent = p.sent;
    field("failed_count").textContent = p.failed;
    field("total_count").textContent = p.total;
    field("percent").textContent = p.percent;
    field("sent-bar").style.width = p.sentPct + "%";
    field("failed-bar").style.width = p.failedPct + "%";
    const bar = row.querySelector("[role=progressbar]");
    bar.id = "campaign-" + id + "-bar";
    bar.dataset.percent = String(p.percent);
    bar.setAttribute("aria-valuenow", String(p.percent));
    const running = ["scheduled", "pending", "in-progress"].includes(a.status);
    row.querySelector("[data-action=start]").disabled = running;
    row.querySelector("[data-action=stop]").disabled = !running && a.status !== "scheduled";
  }

  async function loadCampaigns() {
    let next = url("/broadcast-campaigns", { "page[size]": "100", sort: "-created_at" });
    const seen = new Set();
    while (next) {
      const response = await fetch(next, { headers: headers() });
      if (!response.ok) throw Object.assign(new Error("listing campaigns: " + response.status), { status: response.status });
      const body = await response.json();
      (body.data || []).forEach((resource) => { seen.add(String(resource.id)); upsert(resource, { force: true }); });
      next = body.links && body.links.next ? new URL(body.links.next, location.href).toString() : null;
    }
    for (const id of Array.from(state.campaigns.keys())) {
      if (!seen.has(id)) { state.campaigns.delete(id); const row = $("campaign-" + id); if (row) row.remove(); }
    }
  }

  async function act(id, action) {
    showError("");
    try {
      const body = await request("GET", "/broadcast-campaigns/" + encodeURIComponent(id) + "/" + action);
      if (body && body.data) upsert(body.data, { force: true });
    } catch (error) {
      showError("Could not " + action + " the campaign: " + error.message);
    }
  }

  // -- live events -----------------------------------------------------------------------

  async function connect() {
    const generation = ++state.generation;
    clearTimeout(state.retryTimer);
    if (state.socket) { state.socket.onclose = null; state.socket.close(); state.socket = null; }
    setStatus("connecting");
    let ticket;
    try {
      ticket = (await request("POST", "/broadcast-event-tickets", {}, { data: { type: "broadcast-event-tickets" } })).data.id;
    } catch (error) {
      if (error.status === 401 || error.status === 403) {
        setStatus("error", "not authorized");
        showError(error.message);
        return; // retrying cannot help: the token or the organization is wrong
      }
      return retry(generation);
    }
    if (generation !== state.generation) return;
    const base = new URL(state.api + "/broadcast-events", location.href);
    base.protocol = base.protocol === "https:" ? "wss:" : "ws:";
    base.search = new URLSearchParams({ o: state.organization, ticket }).toString();
    const socket = new WebSocket(base.toString());
    state.socket = socket;
    socket.onopen = async () => {
      state.backoff = BACKOFF_MIN;
      setStatus("live");
      // Subscribed first, then read: an update published after this read is on the socket.
      try { await loadCampaigns(); showError(""); } catch (error) { showError(error.message); }
    };
    socket.onmessage = (message) => {
      let event;
      try { event = JSON.parse(message.data); } catch (_) { return; }
      state.eventsReceived += 1;
      if (event.event === "broadcast-campaigns.updated") upsert(event.data);
    };
    socket.onclose = () => { if (generation === state.generation) retry(generation); };
  }

  function retry(generation) {
    if (generation !== state.generation) return;
    setStatus("reconnecting", "reconnecting in " + Math.round(state.backoff / 1000) + " s");
    const delay = state.backoff * (0.5 + Math.random() / 2);
    state.backoff = Math.min(state.backoff * 2, BACKOFF_MAX);
    state.retryTimer = setTimeout(connect, delay);
  }

  // -- settings --------------------------------------------------------------------------

  function start(settings) {
    state.token = settings.token;
    state.organization = settings.organization;
    state.api = (settings.api || "/api").replace(/\/$/, "");
    state.campaigns.clear();
    $("campaigns").replaceChildren();
    showError("");
    connect();
  }

  $("settings").addEventListener("submit", (event) => {
    event.preventDefault();
    start({ token: $("token").value.trim(), organization: $("organization").value.trim(), api: state.api });
  });

  const fromHash = new URLSearchParams(location.hash.slice(1));
  if (fromHash.get("api")) state.api = fromHash.get("api");
  if (fromHash.get("o")) $("organization").value = fromHash.get("o");
  if (fromHash.get("token")) $("token").value = fromHash.get("token");
  if (fromHash.get("token") && fromHash.get("o")) {
    start({ token: fromHash.get("token"), organization: fromHash.get("o"), api: fromHash.get("api") });
  }
})();
