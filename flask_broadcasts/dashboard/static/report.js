// A campaign's report (GET /broadcast-campaigns/{id}/report → broadcast-campaign-reports):
// the funnel per channel, the failure reasons and the hourly series as an SVG chart.
// A server without reports (404/405 on that path) shows "No report available".
// normalizeReport() is the one place that knows the resource's attribute names.

import { ApiError, describe, request } from "./api.js";
import { fill, formatNumber, formatTime, h, svg } from "./dom.js";

const SERIES = [["sent", "Sent"], ["delivered", "Delivered"], ["opened", "Opened"], ["clicked", "Clicked"]];

function number(value) {
  if (value && typeof value === "object") return Number(value.unique ?? value.total ?? value.count ?? 0) || 0;
  return Number(value) || 0;
}

function failures(value) {
  return (value || []).map((f) => [String(f.error_code || "unknown"), number(f.count)]);
}

/** The report resource's attributes (issue #37's shape: channels.{mail,sms}.{total, sent, delivered,
 * failed, suppressed, failures[], bounced{hard,soft}, complained, unsubscribed, opened, clicked,
 * links[]}, hourly[], runs[], opens_are_estimate) as what the panel draws. Tracking figures
 * are null while tracking is off: those steps are left out. */
export function normalizeReport(attributes) {
  const a = attributes || {};
  const byChannel = a.channels || {};
  const channels = Object.entries(byChannel).map(([name, c]) => {
    const steps = [["Total", number(c.total)], ["Sent", number(c.sent)], ["Delivered", number(c.delivered)]];
    if (c.opened !== undefined && c.opened !== null) steps.push(["Opened", number(c.opened)]);
    if (c.clicked !== undefined && c.clicked !== null) steps.push(["Clicked", number(c.clicked)]);
    const bounced = c.bounced && typeof c.bounced === "object"
      ? [["Hard bounces", number(c.bounced.hard)], ["Soft bounces", number(c.bounced.soft)]]
      : [["Bounced", number(c.bounced)]];
    const extra = [["Failed", number(c.failed)], ...bounced, ["Complaints", number(c.complained)],
      ["Unsubscribed", number(c.unsubscribed)], ["Suppressed", number(c.suppressed)]];
    const machine = [["Machine opens", c.opened], ["Machine clicks", c.clicked]]
      .filter(([, v]) => v && typeof v === "object" && v.machine).map(([label, v]) => [label, number(v.machine)]);
    const links = (c.links || []).map((l) => ({ url: String(l.url || ""), clicks: number(l.clicks), unique: number(l.unique) }));
    return { name, steps, extra: extra.concat(machine), links, failures: failures(c.failures) };
  });
  const runs = (a.runs || []).map((r) => ({ key: String(r.run_key || ""), status: r.status || "", started: r.started_at,
    total: number(r.total), sent: number(r.sent), failed: number(r.failed), delivered: number(r.delivered) }));
  const hourly = (a.hourly || []).map((point) => ({
    hour: point.hour,
    ...Object.fromEntries(SERIES.map(([key]) => [key, number(point[key])])),
  }));
  return { channels, hourly, runs, estimate: Boolean(a.opens_are_estimate) && channels.some((c) => c.steps.some(([label]) => label === "Opened")) };
}

function funnel(channel) {
  const top = Math.max(1, channel.steps[0][1]);
  return h("div", { class: "funnel", "data-channel": channel.name },
    h("h3", {}, channel.name === "mail" ? "E-mail" : channel.name === "sms" ? "SMS" : channel.name),
    h("ol", {}, channel.steps.map(([label, value]) => {
      const bar = h("span", { class: "funnel-bar" });
      bar.style.width = Math.round((100 * value) / top) + "%";
      return h("li", { "data-step": label.toLowerCase() }, h("span", { class: "funnel-label" }, label),
        h("span", { class: "funnel-track" }, bar), h("span", { class: "funnel-value" }, formatNumber(value)));
    })),
    h("p", { class: "muted" }, channel.extra.map(([label, value]) => label + " " + formatNumber(value)).join(" · ")),
    channel.failures.length
      ? h("table", { class: "reasons" }, h("caption", {}, "Failure reasons"),
        h("tbody", {}, channel.failures.map(([code, count]) => h("tr", { "data-error-code": code }, h("td", {}, h("code", {}, code)), h("td", {}, formatNumber(count))))))
      : h("p", { class: "muted" }, "No failures."),
    channel.links.length
      ? h("table", { class: "reasons links" }, h("caption", {}, "Clicks per link"),
        h("tbody", {}, channel.links.map((l) => h("tr", {}, h("td", {}, l.url), h("td", {}, formatNumber(l.clicks)), h("td", {}, formatNumber(l.unique) + " people")))))
      : null);
}

function runsTable(runs) {
  return h("table", { class: "runs" }, h("caption", {}, "Runs"),
    h("thead", {}, h("tr", {}, ["Run", "Status", "Started", "Total", "Sent", "Delivered", "Failed"].map((t) => h("th", { scope: "col" }, t)))),
    h("tbody", {}, runs.map((r) => h("tr", {}, h("td", {}, r.key), h("td", {}, r.status), h("td", {}, formatTime(r.started)),
      [r.total, r.sent, r.delivered, r.failed].map((n) => h("td", {}, formatNumber(n)))))));
}

/** The hourly series as an SVG line chart (one polyline per series, and a dot per hour). */
export function hourlyChart(hourly) {
  const width = 600, height = 200, pad = 28;
  const max = Math.max(1, ...hourly.flatMap((p) => SERIES.map(([key]) => p[key])));
  const x = (i) => pad + (hourly.length < 2 ? 0 : (i * (width - 2 * pad)) / (hourly.length - 1));
  const y = (v) => height - pad - (v * (height - 2 * pad)) / max;
  const label = "Messages per hour: " + SERIES.map(([key, name]) => name.toLowerCase() + " " + hourly.map((p) => p[key]).join(", ")).join("; ");
  const chart = svg("svg", { viewBox: "0 0 " + width + " " + height, class: "chart", role: "img", "aria-label": label, id: "report-chart" },
    svg("title", {}, "Messages per hour"),
    svg("line", { x1: pad, y1: height - pad, x2: width - pad, y2: height - pad, class: "axis" }),
    svg("line", { x1: pad, y1: pad, x2: pad, y2: height - pad, class: "axis" }),
    svg("text", { x: 2, y: pad, class: "tick" }, formatNumber(max)),
    svg("text", { x: 2, y: height - pad, class: "tick" }, "0"));
  if (hourly.length) {
    const hourText = (p) => (p.hour ? String(p.hour).slice(11, 16) || String(p.hour) : "");
    chart.append(svg("text", { x: pad, y: height - 8, class: "tick" }, hourText(hourly[0])));
    chart.append(svg("text", { x: width - pad, y: height - 8, class: "tick", "text-anchor": "end" }, hourText(hourly[hourly.length - 1])));
  }
  for (const [key] of SERIES) {
    if (!hourly.some((p) => p[key])) continue;
    chart.append(svg("polyline", { class: "series series-" + key, "data-series": key, fill: "none",
      points: hourly.map((p, i) => x(i).toFixed(1) + "," + y(p[key]).toFixed(1)).join(" ") }));
    // A dot per hour too: a campaign sent within one hour has one point, which a line cannot show.
    hourly.forEach((p, i) => chart.append(svg("circle", { class: "point series-" + key, "data-series": key,
      cx: x(i).toFixed(1), cy: y(p[key]).toFixed(1), r: 3, fill: "currentColor" })));
  }
  const legend = h("ul", { class: "legend" }, SERIES.filter(([key]) => hourly.some((p) => p[key]))
    .map(([key, name]) => h("li", { class: "series-" + key }, name)));
  return h("figure", { class: "hourly" }, chart, legend);
}

/** Render a report document's resource into element. */
export function renderReport(element, resourceObject) {
  const report = normalizeReport(resourceObject && resourceObject.attributes);
  fill(element,
    report.channels.length ? report.channels.map(funnel) : h("p", { class: "muted" }, "Nothing sent yet."),
    report.hourly.length ? hourlyChart(report.hourly) : null,
    report.runs.length > 1 ? h("div", { class: "table-wrap" }, runsTable(report.runs)) : null,
    report.estimate ? h("p", { class: "hint" }, "Opens are an estimate: some mail clients load images for everyone, others for no one.") : null);
  element.dataset.state = "shown";
}

export function reportPanel(campaignId) {
  const content = h("div", { id: "report", "data-state": "loading" }, h("p", { class: "muted" }, "Loading the report…"));
  const element = h("section", { class: "card", "aria-label": "Report" }, h("h2", {}, "Report"), content);
  async function refresh() {
    try {
      const document = await request("GET", "/broadcast-campaigns/" + encodeURIComponent(campaignId) + "/report");
      renderReport(content, document.data);
    } catch (error) {
      // A server without the report resource: the page works without it.
      if (error instanceof ApiError && (error.status === 404 || error.status === 405)) {
        fill(content, h("p", { class: "muted" }, "No report available."));
        content.dataset.state = "unavailable";
      } else {
        fill(content, h("p", { class: "field-error" }, describe(error)));
        content.dataset.state = "error";
      }
    }
  }
  return { element, refresh };
}
