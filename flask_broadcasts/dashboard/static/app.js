// The dashboard's entry point: sign-in, the sections' router (#/campaigns, #/campaigns/7,
// #/templates/3, #/audiences/new…) and the live connection.
// The token comes from the host's session hook or the sign-in form and stays in memory.

import { configure, describe, forget, signedIn } from "./api.js";
import { audienceBuilder, audiencesPage } from "./audiences.js";
import { campaignPage } from "./campaign.js";
import { campaignsPage } from "./campaigns.js";
import { announceError, h } from "./dom.js";
import { connect, disconnect, stats } from "./live.js";
import { templateEditor, templatesPage } from "./templates.js";

const $ = (id) => document.getElementById(id);
const body = document.body;
configure({ api: body.dataset.api || "/api", events: body.dataset.events || body.dataset.api || "/api" });
let leave = () => {};

window.broadcastsDashboard = { live: stats }; // for tests and debugging

const showError = announceError;

const ROUTES = [
  [/^#\/campaigns\/([^/]+)$/, campaignPage],
  [/^#\/templates\/([^/]+)$/, templateEditor],
  [/^#\/templates$/, templatesPage],
  [/^#\/audiences\/([^/]+)$/, audienceBuilder],
  [/^#\/audiences$/, audiencesPage],
  [/^#\/campaigns$/, campaignsPage],
];

async function route() {
  if (!signedIn()) return;
  leave();
  leave = () => {};
  showError("");
  const hash = ROUTES.some(([pattern]) => pattern.test(location.hash)) ? location.hash : "#/campaigns";
  const [pattern, page] = ROUTES.find(([p]) => p.test(hash));
  const id = hash.match(pattern)[1];
  const view = $("view");
  view.replaceChildren(h("p", { class: "muted" }, "Loading…"));
  delete view.dataset.status;
  for (const link of $("nav").querySelectorAll("a")) {
    if (hash.startsWith("#/" + link.dataset.section)) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  }
  try {
    const stop = await (id === undefined ? page(view) : page(view, decodeURIComponent(id)));
    if (typeof stop === "function") leave = stop;
  } catch (error) {
    view.replaceChildren(h("p", { class: "not-found", id: "not-found", role: "alert" }, describe(error)));
  }
  view.dataset.page = page.name;
  $("main").focus({ preventScroll: true });
}

function signIn(token, organization) {
  configure({ token, organization });
  $("sign-in").hidden = true;
  $("nav").hidden = false;
  $("sign-out").hidden = false;
  connect();
  route();
}

function signOut() {
  forget();
  disconnect();
  leave();
  $("view").replaceChildren();
  $("nav").hidden = true;
  $("sign-out").hidden = true;
  $("sign-in").hidden = false;
  $("token").value = "";
  $("token").focus();
}

$("sign-in").addEventListener("submit", (event) => {
  event.preventDefault();
  const token = $("token").value.trim();
  $("token").value = ""; // kept in api.js's memory only
  signIn(token, $("organization").value.trim());
});
$("sign-out").addEventListener("click", signOut);
window.addEventListener("hashchange", route);

async function start() {
  const sessionUrl = body.dataset.session;
  if (sessionUrl) {
    try {
      const response = await fetch(sessionUrl, { credentials: "same-origin", headers: { Accept: "application/json" } });
      if (response.status === 200) {
        const found = await response.json();
        return signIn(found.token, found.organization_id);
      }
    } catch (error) {
      showError("Could not ask who is signed in: " + error.message);
    }
  }
  $("sign-in").hidden = false;
  $("token").focus();
}
start();
