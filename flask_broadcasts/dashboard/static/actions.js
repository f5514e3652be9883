// A campaign's actions (start, stop, pause, resume, retry) and its test send. Every button
// stays usable: the API decides, and its 409 is shown in words next to the buttons.

import { describe, link, request, resource } from "./api.js";
import { h } from "./dom.js";

export const ACTIONS = [
  ["start", "Start"],
  ["pause", "Pause"],
  ["resume", "Resume"],
  ["stop", "Stop"],
  ["retry", "Retry failed"],
];

/** Numbers and bar widths of a campaign resource's counters. */
export function progress(attributes) {
  const total = Number(attributes.total_count) || 0;
  const sent = Number(attributes.sent_count) || 0;
  const failed = Number(attributes.failed_count) || 0;
  if (!total) return { sent, failed, total, percent: attributes.status === "completed" ? 100 : 0, sentPct: 0, failedPct: 0 };
  const pct = (n) => Math.min(100, (100 * n) / total);
  return { sent, failed, total, percent: Math.round(pct(sent + failed)), sentPct: pct(sent), failedPct: pct(failed) };
}

/** The bar and its counts, with ids made of prefix (campaign-7-bar, campaign-7-sent-count...). */
export function progressBlock(prefix) {
  const sentBar = h("div", { class: "sent" });
  const failedBar = h("div", { class: "failed" });
  const bar = h("div", { class: "bar", id: prefix + "-bar", role: "progressbar", "aria-valuemin": "0", "aria-valuemax": "100", "aria-label": "Progress" }, sentBar, failedBar);
  const span = (name) => h("span", { id: prefix + "-" + name });
  const numbers = { percent: span("percent"), sent: span("sent-count"), failed: span("failed-count"), total: span("total-count") };
  const counts = h("p", { class: "counts" }, numbers.percent, " % — sent ", numbers.sent, ", failed ", numbers.failed, " of ", numbers.total);
  const element = h("div", { class: "progress" }, bar, counts);
  element.update = (attributes) => {
    const p = progress(attributes);
    sentBar.style.width = p.sentPct + "%";
    failedBar.style.width = p.failedPct + "%";
    bar.dataset.percent = String(p.percent);
    bar.setAttribute("aria-valuenow", String(p.percent));
    numbers.percent.textContent = p.percent;
    numbers.sent.textContent = p.sent;
    numbers.failed.textContent = p.failed;
    numbers.total.textContent = p.total;
  };
  return element;
}

/** Buttons for campaign id; onDone(resource) with the campaign document an action answers. */
export function actionBar(id, onDone) {
  const message = h("p", { class: "action-message", role: "status", "aria-live": "polite" });
  const say = (text, kind) => { message.textContent = text; message.dataset.kind = kind || ""; };
  const buttons = ACTIONS.map(([action, label]) => h("button", {
    type: "button",
    "data-action": action,
    onclick: async (event) => {
      const button = event.currentTarget;
      button.disabled = true;
      say("");
      try {
        const document = await request("POST", "/broadcast-campaigns/" + encodeURIComponent(id) + "/" + action);
        if (document && document.data) onDone(document.data);
      } catch (error) {
        say(describe(error, action), "error");
      } finally {
        button.disabled = false;
      }
    },
  }, label));

  const address = h("input", { type: "text", name: "to", placeholder: "you@example.com or +447700900123", "aria-label": "Test send to", required: true });
  const results = h("ul", { class: "test-results" });
  const testForm = h("form", {
    class: "test-send", hidden: true,
    onsubmit: async (event) => {
      event.preventDefault();
      say("");
      results.replaceChildren();
      try {
        const document = await request("POST", "/broadcast-test-sends", {
          body: resource("broadcast-test-sends", { to: [address.value.trim()] }, { campaign: link("broadcast-campaigns", id) }),
        });
        for (const result of document.data.attributes.results || []) {
          results.append(h("li", { "data-status": result.status }, result.to, ": ", result.status, result.error ? " — " + result.error : ""));
        }
      } catch (error) {
        say(describe(error, "test send"), "error");
      }
    },
  }, address, h("button", { type: "submit" }, "Send test"));
  const toggle = h("button", {
    type: "button", "data-action": "test-send", "aria-expanded": "false",
    onclick: () => {
      testForm.hidden = !testForm.hidden;
      toggle.setAttribute("aria-expanded", String(!testForm.hidden));
      if (!testForm.hidden) address.focus();
    },
  }, "Test send…");
  return h("div", { class: "actions" }, h("div", { class: "buttons" }, buttons, toggle), testForm, results, message);
}
