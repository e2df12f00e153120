// Shared by every page: the CSRF header for fetch, and the "back" link.
"use strict";
window.ouvroir = {
  csrf() { return document.querySelector('meta[name="csrf-token"]').content; },
  async post(url, body) {
    const headers = { "X-CSRF-Token": this.csrf(), "Accept": "application/json" };
    let payload = body;
    if (!(body instanceof FormData)) { headers["Content-Type"] = "application/json"; payload = JSON.stringify(body || {}); }
    const response = await fetch(url, { method: "POST", headers, body: payload, credentials: "same-origin" });
    const data = await response.json().catch(() => ({ error: response.statusText }));
    if (!response.ok) { const err = new Error(data.error || response.statusText); err.status = response.status; throw err; }
    return data;
  },
  async get(url) {
    const response = await fetch(url, { headers: { "Accept": "application/json" }, credentials: "same-origin" });
    const data = await response.json().catch(() => ({ error: response.statusText }));
    if (!response.ok) { const err = new Error(data.error || response.statusText); err.status = response.status; throw err; }
    return data;
  },
  strings(id) { const node = document.getElementById(id); return node ? JSON.parse(node.textContent) : {}; },
  el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (k === "class") node.className = v; else if (k === "text") node.textContent = v; else node.setAttribute(k, v);
    }
    for (const child of children) node.append(child);
    return node;
  },
};
document.addEventListener("click", (event) => {
  const back = event.target.closest("[data-back]");
  if (back) { event.preventDefault(); history.back(); }
});
