// Audiences: the list, and the builder, which saves each change of the filters and shows
// the audience's meta.member_count as the API counts it (the host's own filters decide).

import { all, describe, fieldErrors, request, resource } from "./api.js";
import { debounce, fill, formatNumber, h } from "./dom.js";
import { labelled, showFieldErrors } from "./forms.js";

export async function audiencesPage(view) {
  const list = h("ul", { class: "rows", id: "audiences" });
  fill(view, h("h1", {}, "Audiences"), h("p", {}, h("a", { href: "#/audiences/new", class: "button" }, "New audience")), list);
  const audiences = await all("/broadcast-audiences", { sort: "name" });
  if (!audiences.length) list.append(h("li", { class: "empty" }, "No audience yet."));
  for (const item of audiences) {
    list.append(h("li", { class: "card" }, h("a", { href: "#/audiences/" + encodeURIComponent(item.id) }, item.attributes.name),
      " ", h("span", { class: "muted" }, item.attributes.audience_type, " — ", formatNumber(item.meta && item.meta.member_count), " members")));
  }
}

/** "true"/"false" and numbers as JSON, anything else as the text typed. */
export function filterValue(text) {
  if (/^(true|false|-?\d+(\.\d+)?)$/.test(text.trim())) return JSON.parse(text.trim());
  return text;
}

export async function audienceBuilder(view, id) {
  const isNew = id === "new";
  const current = isNew ? { attributes: { audience_type: "customers", filters: {} }, meta: {} }
    : (await request("GET", "/broadcast-audiences/" + encodeURIComponent(id))).data;
  const a = current.attributes;
  const form = h("form", { class: "card editor", id: "audience-form", "aria-label": "Audience" });
  const name = h("input", { type: "text", required: true, value: a.name || "" });
  const type = h("input", { type: "text", list: "audience-types", value: a.audience_type || "" });
  const types = h("datalist", { id: "audience-types" }, ["customers", "bookings", "community"].map((t) => h("option", { value: t })));
  const rows = h("div", { class: "filters", id: "filters" });
  const count = h("output", { id: "member-count", "aria-live": "polite" }, formatNumber(current.meta && current.meta.member_count));
  const saveState = h("p", { class: "save-state", id: "save-state", role: "status" });

  function addRow(key, value) {
    const keyInput = h("input", { type: "text", "aria-label": "Filter", placeholder: "status", value: key || "", class: "filter-key" });
    const valueInput = h("input", { type: "text", "aria-label": "Value", placeholder: "active", value: value === undefined ? "" : String(value), class: "filter-value" });
    const error = h("span", { class: "field-error", "data-error-for": "filters." + (key || ""), hidden: true });
    keyInput.addEventListener("input", () => { error.dataset.errorFor = "filters." + keyInput.value.trim(); });
    const row = h("div", { class: "filter-row" }, keyInput, valueInput,
      h("button", { type: "button", "aria-label": "Remove filter", onclick: () => { row.remove(); changed(); } }, "Remove"), error);
    rows.append(row);
    return row;
  }
  Object.entries(a.filters || {}).forEach(([k, v]) => addRow(k, typeof v === "string" ? v : JSON.stringify(v)));

  function attributes() {
    const filters = {};
    for (const row of rows.querySelectorAll(".filter-row")) {
      const key = row.querySelector(".filter-key").value.trim();
      if (key) filters[key] = filterValue(row.querySelector(".filter-value").value);
    }
    return { name: name.value, audience_type: type.value.trim(), filters };
  }

  async function save() {
    saveState.textContent = "Saving…";
    try {
      if (isNew) {
        const document = await request("POST", "/broadcast-audiences", { body: resource("broadcast-audiences", attributes()) });
        location.hash = "#/audiences/" + encodeURIComponent(document.data.id);
        return;
      }
      const document = await request("PATCH", "/broadcast-audiences/" + encodeURIComponent(id), { body: resource("broadcast-audiences", attributes(), null, id) });
      showFieldErrors(form, {});
      count.textContent = formatNumber(document.data.meta && document.data.meta.member_count);
      saveState.textContent = "Saved.";
      saveState.dataset.state = "saved";
    } catch (error) {
      saveState.dataset.state = "error";
      if (error.status === 422) {
        showFieldErrors(form, fieldErrors(error));
        saveState.textContent = "Not saved: see the fields marked.";
      } else {
        saveState.textContent = "Not saved: " + describe(error);
      }
    }
  }
  const changed = debounce(() => { if (!isNew) save(); }, 400);
  form.addEventListener("input", changed);
  form.addEventListener("submit", (event) => { event.preventDefault(); isNew ? save() : changed.flush(); });

  form.append(labelled("Name", "name", name), labelled("Type", "audience_type", type), types,
    h("h2", {}, "Filters"), h("p", { class: "hint" }, "The host's own filters (customers: status, locale, search, marketing_opt_in…)."), rows,
    h("button", { type: "button", onclick: () => addRow().querySelector("input").focus() }, "Add filter"),
    h("p", { class: "member-count" }, h("strong", {}, "Members: "), count), saveState,
    h("button", { type: "submit" }, isNew ? "Create audience" : "Save"));
  fill(view, h("p", {}, h("a", { href: "#/audiences" }, "← Audiences")), h("h1", {}, isNew ? "New audience" : a.name || "Audience"), form);
}
