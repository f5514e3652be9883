// DOM helpers. Every value reaches the page as text (a Text node or textContent), never as
// HTML: tenant content (names, subjects, addresses, errors) cannot add markup or script.
// The only HTML the dashboard shows is a template body, inside a sandboxed iframe (preview.js).

const SVG_NS = "http://www.w3.org/2000/svg";

function append(element, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    element.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return element;
}

function setAttributes(element, attributes) {
  for (const [name, value] of Object.entries(attributes || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (name.startsWith("on") && typeof value === "function") {
      element.addEventListener(name.slice(2), value);
    } else if (name === "dataset") {
      Object.assign(element.dataset, value);
    } else if (name === "value" && "value" in element) {
      element.value = value;
    } else {
      element.setAttribute(name, value === true ? "" : String(value));
    }
  }
  return element;
}

/** An HTML element: h("button", {type: "button", onclick: f}, "Start"). */
export function h(tag, attributes, ...children) {
  return append(setAttributes(document.createElement(tag), attributes), children);
}

/** An SVG element (the report's chart). */
export function svg(tag, attributes, ...children) {
  return append(setAttributes(document.createElementNS(SVG_NS, tag), attributes), children);
}

/** Replace an element's children. */
export function fill(element, ...children) {
  element.replaceChildren();
  return append(element, children);
}

export function field(labelText, control, errorId) {
  const error = h("span", { class: "field-error", id: errorId, role: "alert", hidden: true });
  if (errorId) control.setAttribute("aria-describedby", errorId);
  return h("label", { class: "field" }, labelText, control, error);
}

export function formatNumber(value) {
  return value === null || value === undefined ? "–" : Number(value).toLocaleString("en");
}

export function formatTime(value) {
  if (!value) return "–";
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? String(value) : date.toLocaleString("en-GB", { dateStyle: "medium", timeStyle: "short" });
}

/** A function that runs fn after the calls stop for ms milliseconds. */
export function debounce(fn, ms) {
  let timer = null;
  const debounced = (...args) => {
    clearTimeout(timer);
    timer = setTimeout(() => fn(...args), ms);
  };
  debounced.flush = (...args) => { clearTimeout(timer); return fn(...args); };
  return debounced;
}

/** Show (or, with no message, clear) the page's one error line (role="alert"). */
export function announceError(message) {
  const element = document.getElementById("error");
  element.hidden = !message;
  element.textContent = message || "";
}
