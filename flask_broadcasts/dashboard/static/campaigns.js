// The campaigns list: live progress over the websocket, the actions, a form for a new campaign.

import { all, describe, fieldErrors, link, request, resource } from "./api.js";
import { actionBar, progressBlock } from "./actions.js";
import { announceError, fill, h } from "./dom.js";
import { onCampaign, onConnected } from "./live.js";
import { showFieldErrors } from "./forms.js";

// An event published before the list was read can arrive after it: never go backwards
// within one status.
export function isStale(current, incoming) {
  if (!current) return false;
  const a = current.attributes || {}, b = incoming.attributes || {};
  if (a.status !== b.status) return false;
  const done = (x) => (Number(x.sent_count) || 0) + (Number(x.failed_count) || 0);
  return done(b) < done(a);
}

export function merge(current, incoming) {
  if (!current) return incoming;
  return { ...current, ...incoming, attributes: { ...current.attributes, ...incoming.attributes } };
}

export function statusText(attributes) {
  return attributes.status_reason && attributes.status_reason !== attributes.status
    ? attributes.status + " (" + attributes.status_reason.replace(/_/g, " ") + ")"
    : attributes.status || "";
}

function newCampaignForm(onCreated) {
  const name = h("input", { name: "name", required: true });
  const template = h("select", { name: "template", required: true }, h("option", { value: "" }, "Choose a template"));
  const audience = h("select", { name: "audience", required: true }, h("option", { value: "" }, "Choose an audience"));
  const form = h("form", { class: "card inline-form", id: "new-campaign", "aria-label": "New campaign" },
    h("h2", {}, "New campaign"),
    h("label", { class: "field" }, "Name", name, h("span", { class: "field-error", "data-error-for": "name", hidden: true })),
    h("label", { class: "field" }, "Template", template, h("span", { class: "field-error", "data-error-for": "template", hidden: true })),
    h("label", { class: "field" }, "Audience", audience, h("span", { class: "field-error", "data-error-for": "audience", hidden: true })),
    h("button", { type: "submit" }, "Create campaign"));
  Promise.all([all("/broadcast-templates", { sort: "name" }), all("/broadcast-audiences", { sort: "name" })]).then(([templates, audiences]) => {
    templates.forEach((t) => template.append(h("option", { value: t.id }, t.attributes.name)));
    audiences.forEach((a) => audience.append(h("option", { value: a.id }, a.attributes.name)));
  }).catch(() => {});
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    showFieldErrors(form, {});
    try {
      const document = await request("POST", "/broadcast-campaigns", {
        body: resource("broadcast-campaigns", { name: name.value }, {
          template: link("broadcast-templates", template.value),
          audience: link("broadcast-audiences", audience.value),
        }),
      });
      form.reset();
      onCreated(document.data);
    } catch (error) {
      if (error.status === 422) showFieldErrors(form, fieldErrors(error));
      else showFieldErrors(form, { "": [describe(error)] });
    }
  });
  return form;
}

export function campaignsPage(view) {
  const campaigns = new Map(); // id -> { resource, row }
  const list = h("ul", { id: "campaigns", class: "rows", "aria-live": "polite" });

  function render(item) {
    const a = item.resource.attributes || {};
    item.row.dataset.status = a.status || "";
    item.name.textContent = a.name || "(unnamed)";
    item.status.textContent = statusText(a);
    item.progress.update(a);
  }

  function upsert(incoming, { force = false } = {}) {
    if (!incoming || incoming.type !== "broadcast-campaigns") return;
    const id = String(incoming.id);
    let item = campaigns.get(id);
    if (item && !force && isStale(item.resource, incoming)) return;
    if (!item) {
      const name = h("a", { href: "#/campaigns/" + encodeURIComponent(id), id: "campaign-" + id + "-name" });
      const status = h("span", { class: "status", id: "campaign-" + id + "-status" });
      const progress = progressBlock("campaign-" + id);
      const row = h("li", { class: "campaign card", id: "campaign-" + id, "data-campaign-id": id },
        h("header", {}, h("strong", {}, name), status), progress, actionBar(id, (r) => upsert(r, { force: true })));
      item = { resource: incoming, row, name, status, progress };
      campaigns.set(id, item);
      list.append(row);
    } else {
      item.resource = merge(item.resource, incoming);
    }
    render(item);
  }

  async function load() {
    const seen = new Set();
    const items = await all("/broadcast-campaigns", { sort: "-created_at" });
    // Keep the newest first: rows are appended in the list's order.
    items.forEach((r) => { seen.add(String(r.id)); upsert(r, { force: true }); });
    for (const [id, item] of campaigns) if (!seen.has(id)) { item.row.remove(); campaigns.delete(id); }
  }

  fill(view,
    h("h1", {}, "Campaigns"),
    newCampaignForm((created) => { upsert(created, { force: true }); list.prepend(campaigns.get(String(created.id)).row); }),
    list);
  const unsubscribe = [onCampaign((r) => upsert(r)), onConnected(() => load().then(() => announceError(""), (error) => announceError("Could not read the campaigns: " + describe(error))))];
  return () => unsubscribe.forEach((f) => f());
}
