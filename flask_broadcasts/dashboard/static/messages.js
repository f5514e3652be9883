// A campaign's stored messages: a status filter, a search by address (filter[address]) and
// keyset paging: "Next" follows links.next (page[after]); "Previous" goes back through the
// pages already seen (a keyset has no offset to jump to).

import { describe, follow, request } from "./api.js";
import { fill, formatTime, h } from "./dom.js";

const STATUSES = ["", "pending", "completed", "delivered", "failed"];
const PAGE_SIZE = "25";

export function messagesPanel(campaignId) {
  const status = h("select", { id: "message-status" }, STATUSES.map((s) => h("option", { value: s }, s || "any status")));
  const address = h("input", { id: "message-address", type: "search", placeholder: "an e-mail address or mobile number" });
  const form = h("form", { class: "row", role: "search", "aria-label": "Find messages" },
    h("label", { class: "field" }, "Status", status), h("label", { class: "field grow" }, "Address", address),
    h("button", { type: "submit" }, "Find"));
  const body = h("tbody", { id: "messages" });
  const table = h("table", { class: "messages" },
    h("thead", {}, h("tr", {}, ["Address", "Status", "Reason", "Sent"].map((t) => h("th", { scope: "col" }, t)))), body);
  const previous = h("button", { type: "button", id: "messages-previous", disabled: true }, "← Previous");
  const next = h("button", { type: "button", id: "messages-next", disabled: true }, "Next →");
  const info = h("p", { class: "muted", id: "messages-info", role: "status" });
  const element = h("section", { class: "card", "aria-label": "Messages", id: "messages-panel" }, h("h2", {}, "Messages"), form,
    h("div", { class: "table-wrap" }, table), h("div", { class: "row pager" }, previous, next), info);

  const pages = []; // the documents shown so far, for "Previous"
  function show(document) {
    body.replaceChildren();
    const items = document.data || [];
    for (const m of items) {
      const a = m.attributes;
      body.append(h("tr", { "data-message-id": m.id, "data-status": a.status },
        h("td", {}, a.email || a.mobile || "–"),
        h("td", {}, a.status, a.mail_status && a.mail_status !== a.status ? " (mail " + a.mail_status + ")" : ""),
        h("td", {}, a.error_code ? h("code", {}, a.error_code) : "", a.error && a.error !== a.error_code ? " " + a.error : ""),
        h("td", {}, formatTime(a.sent_at))));
    }
    if (!items.length) body.append(h("tr", {}, h("td", { colspan: "4", class: "empty" }, "No message matches.")));
    next.disabled = !(document.links && document.links.next);
    previous.disabled = pages.length < 2;
    info.textContent = "Page " + pages.length + (items.length ? ", " + items.length + (items.length === 1 ? " message" : " messages") : "");
  }
  let generation = 0; // an answer to an older search (the filter changed since) is dropped
  async function run(load) {
    const mine = generation;
    try {
      const document = await load();
      if (mine !== generation) return;
      pages.push(document);
      show(document);
    } catch (error) {
      fill(info, describe(error));
    }
  }
  function search() {
    generation += 1;
    pages.length = 0;
    return run(() => request("GET", "/broadcast-campaigns/" + encodeURIComponent(campaignId) + "/messages", {
      params: { "filter[status]": status.value, "filter[address]": address.value.trim(), "page[size]": PAGE_SIZE },
    }));
  }
  form.addEventListener("submit", (event) => { event.preventDefault(); search(); });
  status.addEventListener("change", search);
  next.addEventListener("click", () => run(() => follow(pages[pages.length - 1].links.next)));
  previous.addEventListener("click", () => { pages.pop(); show(pages[pages.length - 1]); });
  return { element, refresh: search };
}
