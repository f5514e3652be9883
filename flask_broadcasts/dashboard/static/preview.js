// Tenant HTML, shown safely: only ever as the srcdoc of a sandboxed iframe.
// sandbox="" without allow-scripts runs no script (inline, event handler or javascript: URL)
// and without allow-same-origin gives the document an opaque origin (no cookies, no access
// to this page); the document's own CSP forbids scripts, forms, frames and connections again.

import { h } from "./dom.js";

export const PREVIEW_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data: https:; font-src data: https:; form-action 'none'";

function escapeAttribute(text) {
  return text.replace(/&/g, "&amp;").replace(/"/g, "&quot;").replace(/</g, "&lt;");
}

/** The srcdoc document of a body: the CSP first, then the tenant's HTML as it is. */
export function previewDocument(bodyHtml) {
  return '<!doctype html><html><head><meta charset="utf-8">'
    + '<meta http-equiv="Content-Security-Policy" content="' + escapeAttribute(PREVIEW_CSP) + '">'
    + '<style>body{font:15px/1.45 system-ui,sans-serif;margin:12px;color:#222}img{max-width:100%}</style>'
    + "</head><body>" + (bodyHtml || "") + "</body></html>";
}

/** A sandboxed iframe showing bodyHtml (its title says what it previews). */
export function previewFrame(bodyHtml, title) {
  const frame = h("iframe", { class: "preview-frame", sandbox: "", referrerpolicy: "no-referrer", title: title || "Preview" });
  frame.srcdoc = previewDocument(bodyHtml);
  return frame;
}
