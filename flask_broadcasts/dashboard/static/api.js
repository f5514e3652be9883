// The JSON:API client: the only way the dashboard reads or changes anything.
// The token lives in this module's memory only: never in a URL, a cookie or storage.

const JSONAPI = "application/vnd.api+json";
const session = { api: "/api", events: "/api", token: "", organization: "" };

export class ApiError extends Error {
  constructor(status, document, fallback) {
    const first = (document && Array.isArray(document.errors) && document.errors[0]) || {};
    super(first.detail || first.title || fallback);
    this.status = status;
    this.errors = (document && document.errors) || [];
    this.code = first.code || null;
    this.meta = first.meta || {};
  }
}

export function configure(values) { Object.assign(session, values); }
export function signedIn() { return Boolean(session.token && session.organization); }
export function organization() { return session.organization; }
export function eventsPrefix() { return session.events; }
export function forget() { session.token = ""; session.organization = ""; }

export function url(path, params) {
  const query = new URLSearchParams({ o: session.organization });
  for (const [key, value] of Object.entries(params || {})) {
    if (value !== undefined && value !== null && value !== "") query.set(key, value);
  }
  return session.api + path + "?" + query.toString();
}

async function send(method, target, body) {
  const headers = { Accept: JSONAPI, Authorization: "Bearer " + session.token };
  const init = { method, headers, credentials: "same-origin" };
  if (body !== undefined) {
    headers["Content-Type"] = JSONAPI;
    init.body = JSON.stringify(body);
  }
  const response = await fetch(target, init);
  const document = response.status === 204 ? null : await response.json().catch(() => null);
  if (!response.ok) throw new ApiError(response.status, document, response.status + " " + response.statusText);
  return document;
}

/** GET/POST/PATCH/DELETE {api}{path}?o=…&params; resolves to the JSON:API document. */
export function request(method, path, { params, body } = {}) {
  return send(method, url(path, params), body);
}

/** The next page of a collection (its links.next), or null. */
export function follow(link) {
  return link ? send("GET", new URL(link, location.href).toString()) : Promise.resolve(null);
}

/** Every page of a collection. */
export async function all(path, params) {
  const items = [];
  let document = await request("GET", path, { params: { "page[size]": "100", ...params } });
  while (document) {
    items.push(...(document.data || []));
    document = document.links && document.links.next ? await follow(document.links.next) : null;
  }
  return items;
}

export function resource(type, attributes, relationships, id) {
  const data = { type, attributes };
  if (id !== undefined) data.id = String(id);
  if (relationships) data.relationships = relationships;
  return { data };
}

export function link(type, id) {
  return { data: { type, id: String(id) } };
}

/** The errors of a 422 by attribute name ("body", "subject_i18n.fr"...), from source.pointer. */
export function fieldErrors(error) {
  const found = {};
  for (const item of (error && error.errors) || []) {
    const pointer = (item.source && item.source.pointer) || "";
    const parts = pointer.split("/").filter(Boolean); // ["data", "attributes", "body"]
    const name = parts[0] === "data" && (parts[1] === "attributes" || parts[1] === "relationships")
      ? parts.slice(2).join(".") : "";
    (found[name] = found[name] || []).push(item.detail || item.title || "invalid");
  }
  return found;
}

const ACTION_WORDS = { start: "started", stop: "stopped", pause: "paused", resume: "resumed", retry: "retried" };

/** What went wrong, in words an operator reads (the API's 409s in particular). */
export function describe(error, action) {
  if (!(error instanceof ApiError)) return "The server could not be reached (" + error.message + ").";
  if (error.status === 409 && error.code === "illegal_transition") {
    const status = error.meta.status ? "it is " + error.meta.status : "its status does not allow it";
    return "This campaign cannot be " + (ACTION_WORDS[action] || action) + " now: " + status + ".";
  }
  if (error.status === 409 && error.code === "nothing_to_retry") return "Nothing to retry: no message failed for a reason worth another try.";
  if (error.status === 404) return "Not found in this organization.";
  if (error.status === 401) return "Your token is not valid (any more): sign in again.";
  if (error.status === 403) return "You are not a member of this organization.";
  if (error.status === 429) return "Too many requests: " + error.message;
  return error.message;
}
