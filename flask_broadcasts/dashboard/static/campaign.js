// One campaign: its live progress and actions, the preview of its messages while it is a
// draft, the report, and the stored messages (status filter, search by address, paging).

import { describe, request } from "./api.js";
import { actionBar, progressBlock } from "./actions.js";
import { isStale, merge, statusText } from "./campaigns.js";
import { fill, formatTime, h } from "./dom.js";
import { draftsPanel } from "./drafts.js";
import { onCampaign, onConnected } from "./live.js";
import { messagesPanel } from "./messages.js";
import { reportPanel } from "./report.js";

export async function campaignPage(view, id) {
  let current;
  try {
    current = (await request("GET", "/broadcast-campaigns/" + encodeURIComponent(id))).data;
  } catch (error) {
    fill(view, h("p", {}, h("a", { href: "#/campaigns" }, "← Campaigns")), h("h1", {}, "Campaign"),
      h("p", { class: "not-found", id: "not-found", role: "alert" }, describe(error)));
    return () => {};
  }
  const title = h("h1", { id: "campaign-title" });
  const status = h("span", { class: "status", id: "campaign-status" });
  const times = h("p", { class: "muted", id: "campaign-times" });
  const progress = progressBlock("campaign-" + id);
  const drafts = draftsPanel();
  const previewSection = h("section", { class: "card", "aria-label": "Preview", id: "campaign-preview" }, h("h2", {}, "Preview"), drafts.element);
  const report = reportPanel(id);
  const messages = messagesPanel(id);
  let shownStatus = null;

  function render() {
    const a = current.attributes;
    title.textContent = a.name || "Campaign";
    status.textContent = statusText(a);
    view.dataset.status = a.status || "";
    progress.update(a);
    times.textContent = "Started " + formatTime(a.started_at) + " · completed " + formatTime(a.completed_at);
    // The preview is of drafts: shown while nothing is stored yet.
    previewSection.hidden = a.status !== "draft";
    if (a.status !== shownStatus) {
      if (a.status === "draft") drafts.load(id, true);
      // Read again when a run settles or holds: the numbers and the messages changed.
      if (shownStatus === null || ["completed", "paused", "draft"].includes(a.status)) { report.refresh(); messages.refresh(); }
    }
    shownStatus = a.status;
  }
  function update(incoming, force) {
    if (String(incoming.id) !== String(id) || (!force && isStale(current, incoming))) return;
    current = merge(current, incoming);
    render();
  }

  fill(view, h("p", {}, h("a", { href: "#/campaigns" }, "← Campaigns")),
    h("header", { class: "campaign-head" }, title, status), times, progress, actionBar(id, (r) => update(r, true)),
    previewSection, report.element, messages.element);
  render();
  const unsubscribe = [
    onCampaign((r) => update(r, false)),
    onConnected(() => request("GET", "/broadcast-campaigns/" + encodeURIComponent(id)).then((d) => update(d.data, true)).catch(() => {})),
  ];
  return () => unsubscribe.forEach((f) => f());
}
