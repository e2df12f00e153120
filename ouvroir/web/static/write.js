// The co-creation editor. The studio owns the authorship ledger: this page sends every change as ops
// (offsets in Unicode code points) and shows the spans the studio answers with. Between answers it
// patches its own copy so highlights follow the typing at once.
"use strict";
(() => {
  const root = document.getElementById("writer");
  if (!root) return;
  const words = ouvroir.strings("write-strings");
  const area = document.getElementById("editor");
  const backdrop = document.getElementById("backdrop");
  const docId = root.dataset.doc;
  let doc = ouvroir.strings("write-state");
  let shadow = doc.text;           // the text the sent and pending ops lead to
  let pending = [];                // ops typed since the last request
  let cells = [];                  // per code point: {category, origin, sample_id, model_id}
  let chain = Promise.resolve();   // requests go one after the other, in order
  let flushTimer = null;

  const cpLength = (s) => { let n = 0; for (const _ of s) n++; return n; };
  const toCp = (s, utf16) => cpLength(s.slice(0, utf16));
  const toUtf16 = (s, cp) => { let i = 0, n = 0; for (const ch of s) { if (n === cp) return i; i += ch.length; n++; } return s.length; };

  function cellsFrom(state) {
    const out = new Array(cpLength(state.text));
    for (const span of state.spans) {
      const cell = { category: span.category, origin: span.origin, sample_id: span.sample_id, model_id: span.model_id, piece: span.piece };
      for (let i = span.start; i < span.end; i++) out[i] = cell;
    }
    return out;
  }

  function render() {
    const chars = Array.from(area.value);
    const nodes = [];
    let start = 0;
    while (start < chars.length) {
      const cell = cells[start] || { category: "written" };
      let end = start + 1;
      while (end < chars.length && sameLook(cells[end], cell)) end++;
      const text = chars.slice(start, end).join("");
      if (cell.category === "written") nodes.push(document.createTextNode(text));
      else nodes.push(ouvroir.el("mark", { class: `${cell.category} ${cell.origin}`, text }));
      start = end;
    }
    nodes.push(document.createTextNode("\n\u200b"));  // a trailing newline still takes a line, as in the textarea
    backdrop.replaceChildren(...nodes);
    backdrop.scrollTop = area.scrollTop;
    showCursor();
  }
  const sameLook = (a, b) => a && b && a.category === b.category && a.origin === b.origin && a.piece === b.piece;

  function showLedger(summary) {
    const ledger = document.getElementById("ledger");
    const stack = ouvroir.el("div", { class: "stack" });
    const lines = ["written", "generated", "edited"].map((category) => {
      const share = summary.shares[category] || 0;
      const part = ouvroir.el("span", { class: category });
      part.style.width = `${share * 100}%`;
      stack.append(part);
      return ouvroir.el("div", { class: "line", "data-category": category },
        ouvroir.el("span", { class: `swatch ${category}` }), words[`cat_${category}`],
        ouvroir.el("span", { class: "share", text: percent(share) }));
    });
    // Rewritten selections: what the person's text was, and the sample that took its place.
    const rewrites = (doc.pieces || []).filter((p) => p.replaced && p.state !== "gone");
    const list = ouvroir.el("ul", { class: "rewrites small", id: "rewrites" });
    for (const p of rewrites) {
      list.append(ouvroir.el("li", { "data-sample": p.sample_id, text: words.rewrite_entry
        .replace("{old}", clip(p.replaced)).replace("{new}", clip(p.text)).replace("{sample}", p.sample_id) }));
    }
    const more = rewrites.length ? [ouvroir.el("strong", { text: words.rewrites_title }), list] : [];
    ledger.replaceChildren(...lines, stack, ...more);
    document.getElementById("undo").disabled = !doc.can_undo && !pending.length;
    document.getElementById("redo").disabled = !doc.can_redo || pending.length > 0;
  }

  const clip = (text) => (cpLength(text) > 60 ? `${Array.from(text).slice(0, 60).join("")}…` : text);

  // French puts a narrow no-break space before the percent sign; English none.
  const percent = (share) => `${Math.round(share * 100)}${document.documentElement.lang === "fr" ? "\u202f" : ""}%`;

  function showCursor() {
    const info = document.getElementById("cursor-info");
    const cp = toCp(area.value, area.selectionStart);
    const cell = cells[cp] || cells[cp - 1];
    if (!cell) { info.textContent = ""; return; }
    let what = words[`cat_${cell.category}`];
    if (cell.sample_id) what += ` — ${words.by_model.replace("{model}", cell.model_id).replace("{sample}", cell.sample_id)}`;
    info.textContent = words.at_cursor.replace("{what}", what);
  }

  function status(text, isError) {
    const node = document.getElementById("save-state");
    node.textContent = text;
    node.className = isError ? "error" : "";
  }

  // The studio's answer becomes the page's state (unless the person typed on meanwhile).
  function adopt(state, caretCp) {
    doc = state;
    if (pending.length === 0) {
      const moved = area.value !== state.text;
      if (moved) area.value = state.text;
      shadow = state.text;
      cells = cellsFrom(state);
      if (caretCp !== undefined) { const at = toUtf16(state.text, caretCp); area.setSelectionRange(at, at); area.focus(); }
      render();
    }
    showLedger(state.summary);
    status(words.saved);
  }

  function enqueue(task) {
    chain = chain.then(task).catch(async (err) => {
      if (err.status === 409) status(words.conflict, true); else status(err.message, true);
      pending = [];
      try { adopt(await ouvroir.get(`/write/${docId}/state`)); } catch (_) { /* the error above stays shown */ }
      throw err;
    });
    return chain.catch(() => null);
  }

  function flush() {
    clearTimeout(flushTimer);
    return enqueue(async () => {
      if (!pending.length) return;
      const ops = pending;
      pending = [];
      status(words.saving);
      adopt(await ouvroir.post(`/write/${docId}/ops`, { version: doc.version, ops }));
    });
  }

  // One change of the textarea (typing, paste, cut, drop, IME) as one op, found by diffing.
  area.addEventListener("input", () => {
    const before = shadow, after = area.value;
    let start = 0;
    while (start < before.length && start < after.length && before[start] === after[start]) start++;
    let tail = 0;
    while (tail < before.length - start && tail < after.length - start && before[before.length - 1 - tail] === after[after.length - 1 - tail]) tail++;
    if (start > 0 && /[\uD800-\uDBFF]/.test(before[start - 1])) start--;  // never split a surrogate pair
    if (tail > 0 && /[\uDC00-\uDFFF]/.test(before[before.length - tail])) tail--;
    const removed = before.slice(start, before.length - tail), inserted = after.slice(start, after.length - tail);
    shadow = after;
    if (!removed && !inserted) return;
    const at = toCp(before, start), del = cpLength(removed);
    pending.push({ type: "edit", at, delete: del, insert: inserted });
    // Until the studio answers: new characters look like their neighbours inside a suggestion, else written.
    const left = cells[at - 1], right = cells[at + del];
    const inside = left && right && left.piece !== null && left.piece !== undefined && left.piece === right.piece;
    const fresh = inside ? { category: "edited", origin: "person", piece: left.piece, sample_id: left.sample_id, model_id: left.model_id }
      : { category: "written", origin: "person", piece: null };
    cells.splice(at, del, ...Array.from({ length: cpLength(inserted) }, () => fresh));
    render();
    status(words.saving);
    showLedger(doc.summary);
    clearTimeout(flushTimer);
    flushTimer = setTimeout(flush, 400);
  });

  // Where the text changed: the caret goes to the end of the changed part, as a native undo leaves it.
  function changedEnd(before, after) {
    let start = 0;
    while (start < before.length && start < after.length && before[start] === after[start]) start++;
    let tail = 0;
    while (tail < before.length - start && tail < after.length - start && before[before.length - 1 - tail] === after[after.length - 1 - tail]) tail++;
    return toCp(after, after.length - tail);
  }

  async function history(kind) {
    await flush();
    return enqueue(async () => {
      const before = area.value;
      const state = await ouvroir.post(`/write/${docId}/${kind}`, { version: doc.version });
      adopt(state, changedEnd(before, state.text));
    });
  }

  area.addEventListener("beforeinput", (event) => {
    if (event.inputType === "historyUndo" || event.inputType === "historyRedo") {
      event.preventDefault();
      history(event.inputType === "historyUndo" ? "undo" : "redo");
    }
  });
  area.addEventListener("keydown", (event) => {
    const mod = event.ctrlKey || event.metaKey;
    if (!mod) return;
    const key = event.key.toLowerCase();
    if (key === "z" || key === "y") { event.preventDefault(); history(key === "y" || event.shiftKey ? "redo" : "undo"); }
    else if (key === "enter") { event.preventDefault(); suggest(); }
  });
  ["keyup", "click", "select"].forEach((type) => area.addEventListener(type, showCursor));
  area.addEventListener("scroll", () => { backdrop.scrollTop = area.scrollTop; });
  document.getElementById("undo").addEventListener("click", () => history("undo"));
  document.getElementById("redo").addEventListener("click", () => history("redo"));

  const box = document.getElementById("suggestions");
  async function suggest() {
    const button = document.getElementById("suggest");
    if (!button || button.disabled) return;
    await flush();
    const cursor = toCp(area.value, area.selectionEnd);
    button.disabled = true;
    box.replaceChildren(ouvroir.el("p", { class: "muted", text: words.thinking }));
    try {
      const answer = await ouvroir.post(`/write/${docId}/suggest`, {
        cursor, n: Number(document.getElementById("variations").value), model: document.getElementById("model").value,
        max_tokens: Number(document.getElementById("length").value), temperature: Number(document.getElementById("temperature").value),
        controls: chosenControls(), constraint: chosenConstraint() });
      const unmet = answer.unmet ? [ouvroir.el("p", { class: "muted small", text: words.unmet_some.replace("{n}", answer.unmet) })] : [];
      box.replaceChildren(...answer.suggestions.map(card), ...unmet);
    } catch (err) {
      box.replaceChildren(ouvroir.el("p", { class: "error", text: err.message }));
    } finally { button.disabled = false; }
  }
  function card(s) {
    const keep = ouvroir.el("button", { type: "button", class: "accept", text: words.accept });
    const drop = ouvroir.el("button", { type: "button", class: "secondary reject", text: words.reject });
    const node = ouvroir.el("div", { class: "suggestion", "data-sample": s.sample_id },
      ouvroir.el("p", { text: s.text }), ouvroir.el("div", { class: "row" }, keep, drop));
    keep.addEventListener("click", () => accept(s));
    drop.addEventListener("click", () => node.remove());
    return node;
  }
  async function accept(s) {
    await flush();
    const from = area.selectionStart, to = area.selectionEnd;
    const at = toCp(area.value, from), del = cpLength(area.value.slice(from, to));
    box.replaceChildren();
    await enqueue(async () => {
      const state = await ouvroir.post(`/write/${docId}/ops`, { version: doc.version, ops: [{ type: "accept", at, delete: del, sample_id: s.sample_id }] });
      adopt(state, at + cpLength(s.text));
    });
  }
  const suggestButton = document.getElementById("suggest");
  if (suggestButton) suggestButton.addEventListener("click", suggest);

  // The chosen model's controls (author, several mixed; form), rebuilt when another model is chosen.
  const steering = ouvroir.strings("write-models");
  const modelSelect = document.getElementById("model");
  const controlsBox = document.getElementById("steer-controls");
  function showControls() {
    if (!controlsBox || !modelSelect) return;
    const known = steering[modelSelect.value] || { controls: {}, infill: false };
    const fields = [];
    for (const name of ["author", "form"]) {
      const values = known.controls[name];
      if (!values || !values.length) continue;
      const select = ouvroir.el("select", { id: `control-${name}`, name });
      if (name === "author") { select.multiple = true; select.size = Math.min(values.length, 4); }
      else select.append(ouvroir.el("option", { value: "", text: words.control_any }));
      for (const value of values) select.append(ouvroir.el("option", { value, text: value }));
      fields.push(ouvroir.el("label", {}, words[`control_${name}`], select));
    }
    if (known.controls.author) fields.push(ouvroir.el("span", { class: "muted small", text: words.controls_mix }));
    if (!fields.length) fields.push(ouvroir.el("p", { class: "muted small", text: words.controls_none }));
    if (!known.infill) fields.push(ouvroir.el("p", { class: "muted small", id: "infill-none", text: words.infill_none }));
    controlsBox.replaceChildren(...fields);
  }
  function chosenControls() {
    const out = {};
    for (const name of ["author", "form"]) {
      const select = document.getElementById(`control-${name}`);
      const values = select ? Array.from(select.selectedOptions, (o) => o.value).filter(Boolean) : [];
      if (values.length) out[name] = values;
    }
    return out;
  }
  function chosenConstraint() {
    const value = (id) => { const node = document.getElementById(id); return node ? node.value.trim() : ""; };
    const out = {};
    if (value("c-lipogram")) out.lipogram = value("c-lipogram");
    if (value("c-forbid")) out.forbid = value("c-forbid");
    if (value("c-require")) out.require = value("c-require");
    if (value("c-max-line")) out.max_line = Number(value("c-max-line"));
    return out;
  }
  if (modelSelect) modelSelect.addEventListener("change", showControls);
  showControls();

  // Rewrite the selection: candidates written between the text before and after it; the chosen one replaces
  // it as an accepted suggestion, and the studio's ledger keeps the text it replaced.
  async function rewrite() {
    const button = document.getElementById("rewrite");
    if (!button || button.disabled) return;
    await flush();
    const from = area.selectionStart, to = area.selectionEnd;
    if (from === to) { box.replaceChildren(ouvroir.el("p", { class: "error", text: words.rewrite_select_first })); return; }
    const start = toCp(area.value, from), end = toCp(area.value, to), replaced = area.value.slice(from, to);
    button.disabled = true;
    box.replaceChildren(ouvroir.el("p", { class: "muted", text: words.thinking }));
    try {
      const answer = await ouvroir.post(`/write/${docId}/rewrite`, {
        start, end, version: doc.version, n: Number(document.getElementById("variations").value), model: modelSelect.value,
        max_tokens: Number(document.getElementById("length").value), temperature: Number(document.getElementById("temperature").value),
        controls: chosenControls() });
      const head = ouvroir.el("p", { class: "muted small replacing", text: words.rewrite_replacing.replace("{text}", clip(replaced)) });
      box.replaceChildren(head, ...answer.candidates.map((c) => candidate(c, start, end)));
    } catch (err) {
      box.replaceChildren(ouvroir.el("p", { class: "error", text: err.message }));
    } finally { button.disabled = false; }
  }
  function candidate(c, start, end) {
    const keep = ouvroir.el("button", { type: "button", class: "accept", text: words.rewrite_choose });
    const drop = ouvroir.el("button", { type: "button", class: "secondary reject", text: words.reject });
    keep.disabled = !c.text;  // an empty middle replaces nothing
    const unfinished = c.complete ? [] : [ouvroir.el("span", { class: "muted small", text: words.rewrite_unfinished })];
    const node = ouvroir.el("div", { class: "suggestion candidate", "data-sample": c.sample_id },
      ouvroir.el("p", { text: c.text }), ...unfinished, ouvroir.el("div", { class: "row" }, keep, drop));
    keep.addEventListener("click", () => choose(c, start, end));
    drop.addEventListener("click", () => node.remove());
    return node;
  }
  async function choose(c, start, end) {
    await flush();
    box.replaceChildren();
    await enqueue(async () => {
      const ops = [{ type: "accept", at: start, delete: end - start, sample_id: c.sample_id }];
      adopt(await ouvroir.post(`/write/${docId}/ops`, { version: doc.version, ops }), start + cpLength(c.text));
    });
  }
  const rewriteButton = document.getElementById("rewrite");
  if (rewriteButton) rewriteButton.addEventListener("click", rewrite);

  const title = document.getElementById("doc-title");
  title.addEventListener("change", async () => {
    await flush();
    enqueue(async () => { adopt(await ouvroir.post(`/write/${docId}/rename`, { version: doc.version, title: title.value })); document.title = title.value; });
  });

  const exportForm = document.getElementById("export-form");
  exportForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    await flush();  // the export holds everything typed so far
    let field = exportForm.querySelector('input[name="format"]');
    if (!field) { field = ouvroir.el("input", { type: "hidden", name: "format" }); exportForm.append(field); }
    field.value = event.submitter ? event.submitter.value : "md";
    exportForm.submit();
  });

  area.value = doc.text;
  cells = cellsFrom(doc);
  render();
  showLedger(doc.summary);
  // Only now can the person type: every keystroke from here on becomes an op (the page came read-only,
  // so nothing typed while this script loaded was shown and then lost). data-ready tells tests so too.
  area.readOnly = false;
  area.removeAttribute("aria-busy");
  root.dataset.ready = "true";
})();
