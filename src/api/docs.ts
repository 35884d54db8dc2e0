/**
 * The API reference page (`GET <prefix>docs`): a small self-contained HTML page and script that
 * render the live OpenAPI document. Everything is served by the app itself: no CDN, no network,
 * and a strict Content-Security-Policy (the script builds the DOM with `textContent`, so schema
 * descriptions can never inject markup).
 * @module
 */

function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** The HTML shell of the reference page for an API mounted at `prefix`. */
export function docsHtml(prefix: string): string {
  const p = escapeHtml(prefix);
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>API reference</title>
<link rel="stylesheet" href="${p}docs/docs.css">
</head>
<body>
<header><h1 id="title">API reference</h1><p id="meta"></p><a id="raw" href="${p}openapi.json">openapi.json</a></header>
<main id="app" data-spec="${p}openapi.json"><p>Loading…</p></main>
<script src="${p}docs/docs.js"></script>
</body>
</html>
`;
}

/** Styles of the reference page. */
export const DOCS_CSS = `
body{font:15px/1.5 system-ui,sans-serif;margin:0;color:#1d2330;background:#f6f7f9}
header{padding:1rem 2rem;background:#1d2330;color:#fff}header a{color:#9cc3ff}
h1{margin:0 0 .25rem}main{padding:1rem 2rem;max-width:70rem}
section.tag>h2{border-bottom:1px solid #ccd;padding-bottom:.25rem}
details.op{background:#fff;border:1px solid #d5d9e0;border-radius:6px;margin:.5rem 0}
details.op>summary{cursor:pointer;padding:.5rem .75rem;list-style:none}
.method{display:inline-block;background:#2d7d46;color:#fff;border-radius:4px;padding:0 .5rem;font-weight:600;margin-right:.5rem}
.path{font-family:ui-monospace,monospace}.deprecated .path{text-decoration:line-through}
.badge{font-size:.8em;background:#eee;border-radius:4px;padding:0 .4rem;margin-left:.5rem}
.body{padding:.25rem 1rem 1rem}table{border-collapse:collapse;width:100%}
td,th{border-bottom:1px solid #e3e6eb;text-align:left;padding:.25rem .5rem;vertical-align:top}
code,pre,textarea{font-family:ui-monospace,monospace;font-size:13px}
pre{background:#f0f2f5;padding:.5rem;overflow:auto}textarea{width:100%;min-height:6rem}
.err{color:#a00}
`;

/** The script of the reference page: fetch the document, render it, offer "try it". */
export const DOCS_JS = `"use strict";
(function () {
  var app = document.getElementById("app");
  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    (children || []).forEach(function (c) {
      node.appendChild(typeof c === "string" ? document.createTextNode(c) : c);
    });
    return node;
  }
  function resolve(spec, schema) {
    var seen = 0;
    while (schema && schema.$ref && seen++ < 20) {
      schema = schema.$ref.split("/").slice(1).reduce(function (o, k) { return o && o[k]; }, spec);
    }
    return schema || {};
  }
  function typeOf(spec, s) {
    s = resolve(spec, s);
    if (Array.isArray(s.type)) return s.type.join(" | ");
    if (s.type === "array") return "array of " + typeOf(spec, s.items || {});
    if (s.enum) return s.enum.map(function (v) { return JSON.stringify(v); }).join(" | ");
    if (s.anyOf) return s.anyOf.map(function (x) { return typeOf(spec, x); }).join(" | ");
    return s.type || (s.format ? s.format : "any");
  }
  function example(spec, s, depth) {
    s = resolve(spec, s);
    if (depth > 5) return null;
    if ("default" in s) return s.default;
    if (s.enum) return s.enum[0];
    var t = Array.isArray(s.type) ? s.type[0] : s.type;
    if (t === "object") {
      var out = {};
      Object.keys(s.properties || {}).forEach(function (k) { out[k] = example(spec, s.properties[k], depth + 1); });
      return out;
    }
    if (t === "array") return [];
    if (t === "integer" || t === "number") return 0;
    if (t === "boolean") return false;
    if (t === "string") return s.format === "uuid" ? "00000000-0000-0000-0000-000000000000" : "";
    return null;
  }
  function fieldsTable(spec, schema) {
    schema = resolve(spec, schema);
    var props = schema.properties || {};
    var names = Object.keys(props);
    if (names.length === 0) return el("p", {}, ["No parameters."]);
    var required = schema.required || [];
    var rows = names.map(function (name) {
      var p = resolve(spec, props[name]);
      return el("tr", {}, [
        el("td", {}, [el("code", {}, [name])]),
        el("td", {}, [typeOf(spec, p)]),
        el("td", {}, [required.indexOf(name) >= 0 ? "required" : "optional"]),
        el("td", {}, [p.description || ("default" in p ? "default " + JSON.stringify(p.default) : "")]),
      ]);
    });
    return el("table", {}, [el("tr", {}, [el("th", {}, ["field"]), el("th", {}, ["type"]), el("th", {}, [""]), el("th", {}, [""])])].concat(rows));
  }
  function csrfToken() {
    var m = document.cookie.match(/(?:^|;\\s*)csrftoken=([^;]+)/);
    return m ? decodeURIComponent(m[1]) : "";
  }
  function tryIt(spec, base, path, op) {
    var body = op.requestBody && op.requestBody.content["application/json"].schema;
    var area = el("textarea", {}, [JSON.stringify(example(spec, body, 0), null, 2)]);
    var out = el("pre", {}, []);
    var button = el("button", { type: "button" }, ["Send"]);
    button.addEventListener("click", function () {
      out.textContent = "…";
      fetch(base + path, {
        method: "POST",
        credentials: "same-origin",
        headers: { "Content-Type": "application/json", "X-CSRFToken": csrfToken() },
        body: area.value,
      }).then(function (r) {
        return r.text().then(function (t) { out.textContent = r.status + " " + r.statusText + "\\n" + t; });
      }, function (e) { out.textContent = String(e); });
    });
    return el("div", {}, [el("h4", {}, ["Try it"]), area, button, out]);
  }
  function operation(spec, base, path, op) {
    var summary = el("summary", {}, [el("span", { class: "method" }, ["POST"]), el("span", { class: "path" }, [base + path])]);
    if (op.deprecated) summary.appendChild(el("span", { class: "badge" }, ["deprecated"]));
    (op["x-djust-permissions"] || []).forEach(function (p) { summary.appendChild(el("span", { class: "badge" }, [p])); });
    var parts = [];
    if (op.description) parts.push(el("p", {}, [op.description]));
    parts.push(el("p", {}, ["operationId: ", el("code", {}, [op.operationId])]));
    if (op.security) {
      parts.push(el("p", {}, ["Auth: " + op.security.map(function (r) {
        var k = Object.keys(r); return k.length ? k.join(" + ") : "anonymous";
      }).join(" or ")]));
    }
    if (op["x-djust-rate-limit"]) {
      var rl = op["x-djust-rate-limit"];
      parts.push(el("p", {}, ["Rate limit: burst " + rl.burst + ", " + rl.rate + " per second"]));
    }
    parts.push(el("h4", {}, ["Body"]));
    parts.push(fieldsTable(spec, op.requestBody && op.requestBody.content["application/json"].schema));
    parts.push(el("h4", {}, ["Responses"]));
    parts.push(el("table", {}, Object.keys(op.responses).map(function (code) {
      return el("tr", {}, [el("td", {}, [code]), el("td", {}, [resolve(spec, op.responses[code]).description || ""])]);
    })));
    parts.push(tryIt(spec, base, path, op));
    return el("details", { class: "op" + (op.deprecated ? " deprecated" : "") }, [summary, el("div", { class: "body" }, parts)]);
  }
  function render(spec) {
    document.getElementById("title").textContent = spec.info.title;
    document.title = spec.info.title + " — API reference";
    document.getElementById("meta").textContent = "Version " + spec.info.version + " · OpenAPI " + spec.openapi;
    var base = (spec.servers && spec.servers[0] && spec.servers[0].url) || "";
    if (base === "/") base = "";
    var byTag = {};
    Object.keys(spec.paths).forEach(function (path) {
      var op = spec.paths[path].post;
      var tag = (op.tags && op.tags[0]) || "default";
      (byTag[tag] = byTag[tag] || []).push(operation(spec, base, path, op));
    });
    app.textContent = "";
    var tags = Object.keys(byTag);
    if (tags.length === 0) app.appendChild(el("p", {}, ["No handlers are exposed (use exposeApi: true)."]));
    tags.forEach(function (tag) {
      app.appendChild(el("section", { class: "tag" }, [el("h2", {}, [tag])].concat(byTag[tag])));
    });
  }
  fetch(app.getAttribute("data-spec"), { credentials: "same-origin" })
    .then(function (r) { if (!r.ok) throw new Error("HTTP " + r.status); return r.json(); })
    .then(render, function (e) { app.textContent = ""; app.appendChild(el("p", { class: "err" }, ["Could not load the API document: " + e.message])); });
})();
`;
