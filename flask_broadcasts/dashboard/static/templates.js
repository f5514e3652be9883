// Templates: the list, and the editor with validation errors at their fields and a live
// preview of a campaign's draft messages per locale (saved, then previewed by the API).

import { all, describe, fieldErrors, request, resource } from "./api.js";
import { debounce, fill, h } from "./dom.js";
import { labelled, showFieldErrors } from "./forms.js";
import { draftsPanel } from "./drafts.js";

const TEXTS = [
  ["subject", "Subject", "input"],
  ["body", "Body (HTML)", "textarea"],
  ["body_short", "SMS text", "textarea"],
  ["action_label", "Button text", "input"],
  ["action_url", "Button URL", "input"],
];
const LOCALIZED = [["subject_i18n", "Subject"], ["body_i18n", "Body (HTML)"], ["body_short_i18n", "SMS text"]];

export async function templatesPage(view) {
  const list = h("ul", { class: "rows", id: "templates" });
  fill(view, h("h1", {}, "Templates"), h("p", {}, h("a", { href: "#/templates/new", class: "button" }, "New template")), list);
  const templates = await all("/broadcast-templates", { sort: "name" });
  if (!templates.length) list.append(h("li", { class: "empty" }, "No template yet."));
  for (const t of templates) {
    list.append(h("li", { class: "card" }, h("a", { href: "#/templates/" + encodeURIComponent(t.id) }, t.attributes.name),
      " ", h("span", { class: "muted" }, (t.attributes.channels || []).join(" + "))));
  }
}

function control(kind, name) {
  return kind === "textarea" ? h("textarea", { name, rows: name === "body" ? 8 : 3 }) : h("input", { name, type: "text" });
}

export async function templateEditor(view, id) {
  const isNew = id === "new";
  const current = isNew ? { attributes: { channels: ["mail"] } } : (await request("GET", "/broadcast-templates/" + encodeURIComponent(id))).data;
  const a = current.attributes;
  const form = h("form", { class: "card editor", id: "template-form", "aria-label": "Template" });
  const controls = {};
  const name = controls.name = h("input", { name: "name", type: "text", required: true });
  form.append(labelled("Name", "name", name));
  const channels = ["mail", "sms"].map((channel) => h("label", { class: "check" },
    h("input", { type: "checkbox", name: "channels", value: channel, checked: (a.channels || []).includes(channel) }), channel === "mail" ? "E-mail" : "SMS"));
  form.append(h("fieldset", {}, h("legend", {}, "Channels"), channels, h("span", { class: "field-error", "data-error-for": "channels", hidden: true })));
  for (const [key, label, kind] of TEXTS) form.append(labelled(label, key, controls[key] = control(kind, key)));
  for (const [key] of [["name"], ...TEXTS]) if (a[key] !== undefined && a[key] !== null) controls[key].value = a[key];

  // Locales: one fieldset per tag with the localized texts.
  const locales = h("div", { class: "locales" });
  const localized = {}; // tag -> {subject_i18n: control, ...}
  function addLocale(tag) {
    if (!tag || localized[tag]) return;
    const set = {};
    const box = h("fieldset", { class: "locale", "data-locale": tag }, h("legend", {}, "Locale " + tag));
    for (const [key, label] of LOCALIZED) {
      const c = set[key] = control(key === "subject_i18n" ? "input" : "textarea", key + "." + tag);
      const value = (a[key] || {})[tag];
      if (value !== undefined) c.value = value;
      box.append(labelled(label + " (" + tag + ")", key + "." + tag, c));
    }
    box.append(h("button", { type: "button", onclick: () => { delete localized[tag]; box.remove(); changed(); } }, "Remove " + tag));
    localized[tag] = set;
    locales.append(box);
  }
  const tags = new Set(LOCALIZED.flatMap(([key]) => Object.keys(a[key] || {})));
  tags.forEach(addLocale);
  const newTag = h("input", { type: "text", placeholder: "fr, de, es…", "aria-label": "Locale tag", size: 8 });
  form.append(h("h2", {}, "Translations"), locales, h("div", { class: "row" }, newTag,
    h("button", { type: "button", onclick: () => { addLocale(newTag.value.trim()); newTag.value = ""; changed(); } }, "Add locale")));

  const saveState = h("p", { class: "save-state", id: "save-state", role: "status" });
  form.append(saveState);
  if (isNew) form.append(h("button", { type: "submit" }, "Create template"));

  function attributes() {
    const values = { name: name.value, channels: channels.map((l) => l.firstChild).filter((c) => c.checked).map((c) => c.value) };
    for (const [key] of TEXTS) values[key] = controls[key].value === "" ? null : controls[key].value;
    for (const [key] of LOCALIZED) {
      const texts = {};
      for (const [tag, set] of Object.entries(localized)) if (set[key].value !== "") texts[tag] = set[key].value;
      values[key] = texts;
    }
    return values;
  }

  const preview = previewPanel(isNew ? null : id);
  async function save() {
    saveState.textContent = "Saving…";
    try {
      if (isNew) {
        const document = await request("POST", "/broadcast-templates", { body: resource("broadcast-templates", attributes()) });
        location.hash = "#/templates/" + encodeURIComponent(document.data.id);
        return;
      }
      await request("PATCH", "/broadcast-templates/" + encodeURIComponent(id), { body: resource("broadcast-templates", attributes(), null, id) });
      showFieldErrors(form, {});
      saveState.textContent = "Saved.";
      saveState.dataset.state = "saved";
      preview.refresh();
    } catch (error) {
      saveState.dataset.state = "error";
      if (error.status === 422) {
        showFieldErrors(form, fieldErrors(error));
        saveState.textContent = "Not saved: see the fields marked.";
      } else {
        showFieldErrors(form, {});
        saveState.textContent = "Not saved: " + describe(error);
      }
    }
  }
  const changed = debounce(() => { if (!isNew) save(); }, 400);
  form.addEventListener("input", changed);
  form.addEventListener("submit", (event) => { event.preventDefault(); save(); });

  fill(view, h("p", {}, h("a", { href: "#/templates" }, "← Templates")), h("h1", {}, isNew ? "New template" : a.name || "Template"),
    h("div", { class: "split" }, form, preview.element));
}

// The draft messages of a campaign that uses the template, per locale.
function previewPanel(templateId) {
  const choose = h("select", { id: "preview-campaign" });
  const drafts = draftsPanel();
  const element = h("section", { class: "card preview", "aria-label": "Preview" }, h("h2", {}, "Preview"),
    h("label", { class: "field" }, "With the audience of campaign", choose), drafts.element);
  const refresh = () => { if (choose.value) drafts.load(choose.value, false); };
  if (!templateId) { drafts.message("Create the template first."); return { element, refresh }; }
  choose.addEventListener("change", refresh);
  all("/broadcast-campaigns", {}).then((campaigns) => {
    const using = campaigns.filter((c) => c.relationships && c.relationships.template && c.relationships.template.data
      && String(c.relationships.template.data.id) === String(templateId));
    if (!using.length) { drafts.message("No campaign uses this template yet: create one (Campaigns) to preview its messages with real recipients."); return; }
    using.forEach((c) => choose.append(h("option", { value: c.id }, c.attributes.name)));
    refresh();
  }).catch((error) => drafts.message(describe(error)));
  return { element, refresh };
}
