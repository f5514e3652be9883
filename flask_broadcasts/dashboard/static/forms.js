// Validation errors at their fields: a 422's source.pointer names the attribute, and the
// span with data-error-for="<attribute>" next to its control shows the detail. Errors of no
// known field go to the form's general line.

import { h } from "./dom.js";

export function showFieldErrors(form, errors) {
  let general = form.querySelector('[data-error-for=""]');
  if (!general) {
    general = h("p", { class: "field-error", "data-error-for": "", role: "alert", hidden: true });
    form.append(general);
  }
  const known = new Set();
  for (const span of form.querySelectorAll("[data-error-for]")) {
    const name = span.dataset.errorFor;
    if (name) known.add(name);
    const messages = name ? errors[name] : null;
    const control = span.parentElement && span.parentElement.querySelector("input, textarea, select");
    span.hidden = !messages;
    span.textContent = messages ? messages.join(" ") : "";
    if (control && name) {
      if (messages) control.setAttribute("aria-invalid", "true");
      else control.removeAttribute("aria-invalid");
    }
  }
  const rest = Object.entries(errors).filter(([name]) => !known.has(name))
    .map(([name, messages]) => (name ? name + ": " : "") + messages.join(" "));
  general.hidden = rest.length === 0;
  general.textContent = rest.join(" ");
}

/** A labelled control with its error span (data-error-for=name). */
export function labelled(text, name, control) {
  control.name = control.name || name;
  return h("label", { class: "field" }, text, control, h("span", { class: "field-error", "data-error-for": name, hidden: true }));
}
