// Corpus page: drag and drop several files, upload them, show each file's outcome; "check all".
"use strict";
(() => {
  const form = document.getElementById("upload-form");
  const zone = document.getElementById("dropzone");
  const input = document.getElementById("files");
  const chosen = document.getElementById("chosen");
  const result = document.getElementById("upload-result");
  let dropped = null;
  const show = (files) => { chosen.textContent = Array.from(files).map((f) => f.name).join(", "); };
  input.addEventListener("change", () => { dropped = null; show(input.files); });
  ["dragenter", "dragover"].forEach((type) => zone.addEventListener(type, (e) => { e.preventDefault(); zone.classList.add("over"); }));
  ["dragleave", "drop"].forEach((type) => zone.addEventListener(type, (e) => { e.preventDefault(); zone.classList.remove("over"); }));
  zone.addEventListener("drop", (e) => { dropped = e.dataTransfer.files; show(dropped); });
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const data = new FormData(form);
    if (dropped) { data.delete("files"); for (const f of dropped) data.append("files", f, f.name); }
    const button = document.getElementById("upload-button");
    button.disabled = true;
    result.replaceChildren();
    try {
      const answer = await ouvroir.post("/corpus/upload", data);
      const list = ouvroir.el("ul", { class: "outcomes" });
      const words = ouvroir.strings("corpus-strings");
      for (const o of answer.outcomes) {
        list.append(ouvroir.el("li", {}, ouvroir.el("span", { class: `badge ${o.status}`, text: words[o.status] || o.status }),
          " ", ouvroir.el("b", { text: o.name }), ` — ${o.message}`));
      }
      result.append(ouvroir.el("p", { class: "notice", text: answer.summary }), list);
      if (answer.counts.added) result.append(ouvroir.el("p", {}, ouvroir.el("a", { href: "/corpus", id: "refresh", text: words.refresh })));
    } catch (err) {
      result.append(ouvroir.el("p", { class: "error", text: err.message }));
    } finally {
      button.disabled = false; dropped = null; form.reset(); chosen.textContent = "";
    }
  });
  const all = document.getElementById("check-all");
  if (all) all.addEventListener("change", () => document.querySelectorAll('input[name="work"]').forEach((box) => { box.checked = all.checked; }));
})();
