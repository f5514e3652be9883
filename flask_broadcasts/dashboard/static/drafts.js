// A campaign's draft messages (the API's preview), one tab per locale variant the texts use.
// Bodies are tenant HTML: shown only in the sandboxed preview frame.

import { describe, request } from "./api.js";
import { fill, h } from "./dom.js";
import { previewFrame } from "./preview.js";

export function draftsPanel() {
  // Toggle buttons (aria-pressed), not an ARIA tablist: Tab and Enter reach each one.
  const tabs = h("div", { class: "tabs", role: "group", "aria-label": "Locales" });
  const body = h("div", { class: "preview-body", id: "preview" });
  const element = h("div", { class: "drafts" }, tabs, body);

  function showDraft(draft, tag) {
    const d = draft.attributes;
    fill(body,
      h("p", { class: "muted" }, "To ", d.email || d.mobile || "(no address)", " — locale ", tag),
      d.subject ? h("p", {}, h("strong", {}, "Subject: "), h("span", { id: "preview-subject" }, d.subject)) : null,
      d.body ? previewFrame(d.body, "Body preview (" + tag + ")") : null,
      d.body_short ? h("p", { class: "sms" }, h("strong", {}, "SMS: "), h("span", { id: "preview-sms" }, d.body_short)) : null);
  }

  function show(drafts, meta) {
    const groups = new Map();
    for (const draft of drafts) {
      const tag = (draft.meta && draft.meta.template_locale) || draft.attributes.locale || "default";
      if (!groups.has(tag)) groups.set(tag, []);
      groups.get(tag).push(draft);
    }
    tabs.replaceChildren();
    if (meta && meta.recipient_count !== undefined) {
      tabs.append(h("span", { class: "muted", id: "preview-counts" }, meta.recipient_count + " recipients, " + (meta.no_channel_count || 0) + " without a channel"));
    }
    if (!groups.size) { fill(body, h("p", { class: "muted" }, "The audience has nobody to preview.")); return; }
    let first = true;
    for (const [tag, items] of groups) {
      const tab = h("button", {
        type: "button", "data-locale": tag, "aria-pressed": String(first),
        onclick: () => {
          tabs.querySelectorAll("button[data-locale]").forEach((t) => t.setAttribute("aria-pressed", String(t === tab)));
          showDraft(items[0], tag);
        },
      }, tag + " (" + items.length + ")");
      tabs.append(tab);
      if (first) showDraft(items[0], tag);
      first = false;
    }
  }

  async function load(campaignId, withCounts) {
    try {
      const document = await request("GET", "/broadcast-campaigns/" + encodeURIComponent(campaignId) + "/draft-messages",
        { params: withCounts ? { with_counts: "true" } : {} });
      show(document.data || [], document.meta);
    } catch (error) {
      tabs.replaceChildren();
      fill(body, h("p", { class: "field-error" }, describe(error)));
    }
  }

  return { element, load, message: (text) => { tabs.replaceChildren(); fill(body, h("p", { class: "muted" }, text)); } };
}
