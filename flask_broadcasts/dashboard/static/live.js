// Live campaign updates over the websocket (docs: realtime). A ticket from the JSON:API opens
// the socket; the page never polls. Every (re)connection calls the "connected" listeners, who
// re-read what they show: an update published after that read arrives on the socket.

import { ApiError, eventsPrefix, organization, request } from "./api.js";

const BACKOFF_MIN = 500, BACKOFF_MAX = 30000;
const state = { socket: null, backoff: BACKOFF_MIN, timer: null, generation: 0, eventsReceived: 0 };
const updateListeners = new Set();
const connectListeners = new Set();

export const stats = state; // for tests and debugging

function setStatus(name, text) {
  const element = document.getElementById("connection-status");
  element.dataset.state = name;
  element.textContent = text || name;
}

/** listener(resource) for every broadcast-campaigns.updated event; returns an unsubscribe. */
export function onCampaign(listener) {
  updateListeners.add(listener);
  return () => updateListeners.delete(listener);
}

/** listener() at each (re)connection (and now, if already live); returns an unsubscribe. */
export function onConnected(listener) {
  connectListeners.add(listener);
  if (state.socket && state.socket.readyState === WebSocket.OPEN) listener();
  return () => connectListeners.delete(listener);
}

export function disconnect() {
  state.generation += 1;
  clearTimeout(state.timer);
  if (state.socket) { state.socket.onclose = null; state.socket.close(); state.socket = null; }
  setStatus("idle", "not connected");
}

export async function connect() {
  disconnect();
  const generation = state.generation;
  setStatus("connecting");
  let ticket;
  try {
    ticket = (await request("POST", "/broadcast-event-tickets", { body: { data: { type: "broadcast-event-tickets" } } })).data.id;
  } catch (error) {
    if (error instanceof ApiError && (error.status === 401 || error.status === 403)) {
      setStatus("error", "not authorized");
      return; // retrying cannot help: the token or the organization is wrong
    }
    return retry(generation);
  }
  if (generation !== state.generation) return;
  const target = new URL(eventsPrefix() + "/broadcast-events", location.href);
  target.protocol = target.protocol === "https:" ? "wss:" : "ws:";
  target.search = new URLSearchParams({ o: organization(), ticket }).toString();
  const socket = new WebSocket(target.toString());
  state.socket = socket;
  socket.onopen = () => {
    state.backoff = BACKOFF_MIN;
    setStatus("live");
    connectListeners.forEach((listener) => listener());
  };
  socket.onmessage = (message) => {
    let event;
    try { event = JSON.parse(message.data); } catch (_) { return; }
    state.eventsReceived += 1;
    if (event.event === "broadcast-campaigns.updated" && event.data) updateListeners.forEach((listener) => listener(event.data));
  };
  socket.onclose = () => { if (generation === state.generation) retry(generation); };
}

function retry(generation) {
  if (generation !== state.generation) return;
  setStatus("reconnecting", "reconnecting in " + Math.round(state.backoff / 1000) + " s");
  const delay = state.backoff * (0.5 + Math.random() / 2);
  state.backoff = Math.min(state.backoff * 2, BACKOFF_MAX);
  state.timer = setTimeout(connect, delay);
}
