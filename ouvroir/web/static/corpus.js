// Corpus page: drag and drop several files, upload them, show each file's outcome; "check all".
"use strict";
(() => {
  const form = document.getElementById("upload-form");
  const zone = document.getElementById("dropzone");
  const input = document.getElementById("files");
  const chosen = document.getElementById("chosen");
  const result = document.getElementById("upload-result");
  const folderInput = document.getElementById("folder");
  const fromFolder = document.getElementById("author-from-folder");
  const list = document.getElementById("file-list");
  const words = ouvroir.strings("corpus-strings");
  document.getElementById("folder-picker").hidden = false;  // a folder needs this script: without it, files only
  // Each chosen file with the path it had in a dropped or picked folder ("Victor Hugo/nuit.txt") and its own author box.
  let chosenFiles = [];
  const folderOf = (path) => { const parts = path.split("/"); return parts.length > 1 ? parts[parts.length - 2] : ""; };
  const placeholders = () => {
    for (const c of chosenFiles) c.box.placeholder = fromFolder.checked ? folderOf(c.path).replace(/_+/g, " ") : "";
  };
  const show = (entries) => {
    chosenFiles = entries.filter((c) => !c.path.split("/").some((part) => part.startsWith(".")));
    list.replaceChildren();
    for (const c of chosenFiles) {
      c.box = ouvroir.el("input", { type: "text", class: "file-author", "aria-label": `${words.file_author}: ${c.path}` });
      list.append(ouvroir.el("li", {}, ouvroir.el("span", { text: c.path }), " ", c.box));
    }
    placeholders();
    document.getElementById("file-authors").hidden = chosenFiles.length === 0;
    chosen.textContent = chosenFiles.map((c) => c.path).join(", ");
  };
  // A dropped folder is read entry by entry (readEntries answers in batches until an empty one).
  const fromEntry = (entry) => new Promise((resolve) => {
    if (entry.isFile) {
      entry.file((file) => resolve([{ file, path: entry.fullPath.replace(/^\//, "") }]), () => resolve([]));
    } else if (entry.isDirectory) {
      const reader = entry.createReader();
      const found = [];
      const more = () => reader.readEntries(async (batch) => {
        if (batch.length) { found.push(...batch); more(); return; }
        resolve((await Promise.all(found.map(fromEntry))).flat());
      }, () => resolve([]));
      more();
    } else resolve([]);
  });
  input.addEventListener("change", () => show(Array.from(input.files).map((file) => ({ file, path: file.name }))));
  folderInput.addEventListener("change", () => show(Array.from(folderInput.files).map((file) => ({ file, path: file.webkitRelativePath || file.name }))));
  fromFolder.addEventListener("change", placeholders);
  ["dragenter", "dragover"].forEach((type) => zone.addEventListener(type, (e) => { e.preventDefault(); zone.classList.add("over"); }));
  ["dragleave", "drop"].forEach((type) => zone.addEventListener(type, (e) => { e.preventDefault(); zone.classList.remove("over"); }));
  zone.addEventListener("drop", async (e) => {
    // the entries must be taken during the event: the list is emptied once the handler returns
    const entries = Array.from(e.dataTransfer.items || []).map((item) => item.webkitGetAsEntry && item.webkitGetAsEntry()).filter(Boolean);
    const files = Array.from(e.dataTransfer.files);
    show(entries.length ? (await Promise.all(entries.map(fromEntry))).flat() : files.map((file) => ({ file, path: file.name })));
  });
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const data = new FormData(form);
    data.delete("files");
    for (const c of chosenFiles) {  // a path and an author per file, in the files' order (the server pairs them so)
      data.append("files", c.file, c.file.name);
      data.append("paths", c.path);
      data.append("file_authors", c.box.value.trim());
    }
    const button = document.getElementById("upload-button");
    button.disabled = true;
    result.replaceChildren();
    try {
      const answer = await ouvroir.post("/corpus/upload", data);
      const outcomes = ouvroir.el("ul", { class: "outcomes" });
      for (const o of answer.outcomes) {
        const notes = (o.notes || []).flatMap((n) => [ouvroir.el("br"), ouvroir.el("span", { class: "muted", text: `· ${n}` })]);
        outcomes.append(ouvroir.el("li", {}, ouvroir.el("span", { class: `badge ${o.status}`, text: words[o.status] || o.status }),
          " ", ouvroir.el("b", { text: o.name }), ` — ${o.message}`, ...notes));
      }
      result.append(ouvroir.el("p", { class: "notice", text: answer.summary }), outcomes);
      if (answer.counts.added) result.append(ouvroir.el("p", {}, ouvroir.el("a", { href: "/corpus", id: "refresh", text: words.refresh })));
    } catch (err) {
      result.append(ouvroir.el("p", { class: "error", text: err.message }));
    } finally {
      button.disabled = false; form.reset(); show([]);
    }
  });
  const all = document.getElementById("check-all");
  if (all) all.addEventListener("change", () => document.querySelectorAll('input[name="work"]').forEach((box) => { box.checked = all.checked; }));
})();
