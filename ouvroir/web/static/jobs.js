// Follows a background job (training or audit): polls its events, draws progress and loss curves, stops it;
// keeps the page's table of recent runs (#recent-jobs) current as runs start and end.
"use strict";
(() => {
  const words = ouvroir.strings("job-strings");
  const clock = (s) => { s = Math.max(0, Math.round(s || 0)); return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, "0")}`; };

  const recent = document.getElementById("recent-jobs");
  async function refreshRecent() {
    if (!recent) return;
    try {
      const answer = await ouvroir.get(`/jobs?kind=${encodeURIComponent(recent.dataset.kind || "train")}`);
      recent.querySelector("tbody").replaceChildren(...answer.jobs.slice(0, 8).map((job) => {
        const result = ouvroir.el("td", {});
        if (job.result.model_id) result.append(ouvroir.el("a", { href: `/models/${encodeURIComponent(job.result.model_id)}`, text: job.result.model_id }));
        result.append(` ${job.result.text ?? job.result.message ?? ""}`);  // text: in the page's language
        return ouvroir.el("tr", { "data-job": job.id },
          ouvroir.el("td", { text: job.started_at.slice(0, 19).replace("T", " ") }), ouvroir.el("td", { text: job.id }),
          ouvroir.el("td", {}, ouvroir.el("span", { class: `badge ${job.state}`, text: words[`job_${job.state}`] || job.state })), result);
      }));
      recent.hidden = answer.jobs.length === 0;
    } catch (err) { /* the next refresh tries again */ }
  }
  // At once too: a failure the page was rendered with is said here in the page's language.
  if (recent) { refreshRecent(); setInterval(refreshRecent, 5000); }

  const panel = document.getElementById("job");
  if (!panel) return;
  const jobId = panel.dataset.job;
  const loss = [], val = [];
  let next = 0, timer = null, speed = null, state = panel.dataset.state;
  // When the run should end (ms): from the last progress event's seconds_left, which plans the whole run
  // (evaluations and saving included); before the first one, from the budget and the job's start.
  let deadline = null;

  const fmt = (x, digits) => (x === null || x === undefined ? "—" : Number(x).toLocaleString(document.documentElement.lang, { maximumFractionDigits: digits, minimumFractionDigits: digits }));
  function chart(svg, points) {
    if (!svg) return;
    svg.replaceChildren();
    if (points.length < 1) return;
    const ns = "http://www.w3.org/2000/svg", W = 600, H = 220, pad = 34;
    const xs = points.map((p) => p[0]), ys = points.map((p) => p[1]);
    const x0 = Math.min(...xs), x1 = Math.max(...xs, x0 + 1), y0 = Math.min(...ys), y1 = Math.max(...ys, y0 + 1e-6);
    const X = (x) => pad + ((x - x0) / (x1 - x0)) * (W - pad - 8), Y = (y) => 8 + (1 - (y - y0) / (y1 - y0)) * (H - pad - 8);
    const line = document.createElementNS(ns, "polyline");
    line.setAttribute("class", "series");
    line.setAttribute("points", points.map((p) => `${X(p[0]).toFixed(1)},${Y(p[1]).toFixed(1)}`).join(" "));
    const axis = document.createElementNS(ns, "line");
    axis.setAttribute("class", "axis"); axis.setAttribute("x1", pad); axis.setAttribute("x2", W); axis.setAttribute("y1", H - pad + 8); axis.setAttribute("y2", H - pad + 8);
    svg.append(axis, line);
    for (const [value, y] of [[y1, 16], [y0, H - pad + 4]]) {
      const label = document.createElementNS(ns, "text");
      label.setAttribute("x", 2); label.setAttribute("y", y); label.textContent = fmt(value, 2);
      svg.append(label);
    }
    const last = document.createElementNS(ns, "text");
    last.setAttribute("x", W - 60); last.setAttribute("y", H - 6); last.textContent = `${words.step || "step"} ${xs[xs.length - 1]}`;
    svg.append(last);
  }

  function stat(label, value, id) { return ouvroir.el("div", {}, ouvroir.el("b", id ? { text: value, id } : { text: value }), label); }

  function countdown(job) {
    if (job.state !== "running") {  // ended: a failed or stopped run has no time left to count, only a finished one's 0:00
      deadline = null;
      const left = document.getElementById("time-left");
      if (left) left.textContent = job.state === "finished" ? clock(0) : "—";
      return;
    }
    if (deadline === null && job.params && job.params.minutes) deadline = Date.parse(job.started_at) + 60000 * job.params.minutes;
    if (deadline === null || !Number.isFinite(deadline)) return;
    let left = document.getElementById("time-left");
    if (!left) { document.getElementById("stats").append(stat(words.time_left, "", "time-left")); left = document.getElementById("time-left"); }
    left.textContent = clock((deadline - Date.now()) / 1000);
  }

  function apply(event) {
    if (event.event === "progress" && event.medium === "image") {
      // an image model's loss is the flow's mean squared velocity error, on training and held-out images
      loss.push([event.step, event.train_loss]);
      if (event.kind === "eval" && event.val_loss !== null) val.push([event.step, event.val_loss]);
      if (event.images_per_s) speed = event.images_per_s;
      if (event.at && Number.isFinite(event.seconds_left)) deadline = Date.parse(event.at) + 1000 * event.seconds_left;
      const total = event.elapsed_s + event.seconds_left;
      document.getElementById("progress-bar").style.width = `${total > 0 ? (100 * event.elapsed_s) / total : 0}%`;
      document.getElementById("stats").replaceChildren(
        stat(words.step, fmt(event.step, 0)), stat(words.image_train_loss, fmt(event.train_loss, 4)),
        stat(words.image_best_val, fmt(event.best_val_loss, 4)), stat(words.images_per_s, fmt(speed, 0)),
        stat(words.time_left, clock(event.seconds_left), "time-left"));
    } else if (event.event === "progress") {
      // bits per byte, the validation's unit; a run without its training bytes shows nats per token, labelled so
      const train = event.train_bpb ?? null, nats = train === null ? event.train_loss : null;
      if (train !== null) loss.push([event.step, train]);
      if (event.kind === "eval" && event.val_bpb !== null) val.push([event.step, event.val_bpb]);
      if (event.tokens_per_s) speed = event.tokens_per_s;  // evaluation events carry none: keep the last measured
      if (event.at && Number.isFinite(event.seconds_left)) deadline = Date.parse(event.at) + 1000 * event.seconds_left;
      const total = event.elapsed_s + event.seconds_left;
      document.getElementById("progress-bar").style.width = `${total > 0 ? (100 * event.elapsed_s) / total : 0}%`;
      document.getElementById("stats").replaceChildren(
        stat(words.step, fmt(event.step, 0)), stat(train !== null ? words.train_loss : words.train_loss_nats, fmt(train ?? nats, 3)),
        stat(words.best_val, fmt(event.best_val_bpb, 3)), stat(words.tokens_per_s, fmt(speed, 0)),
        stat(words.time_left, clock(event.seconds_left), "time-left"));
    } else if (event.event === "stage") {
      document.getElementById("stage").textContent = event.text ?? event.message;  // text: in the page's language
    } else if (event.event === "failed") {
      // text: in the page's language; detail: the library's English line under it, as on the error page
      const detail = event.detail ? [ouvroir.el("br"), ouvroir.el("span", { class: "muted", lang: "en", text: event.detail })] : [];
      document.getElementById("job-result").replaceChildren(ouvroir.el("span", { class: "error", text: event.text ?? event.message }), ...detail);
    } else if (event.event === "finished") {
      const result = document.getElementById("job-result");
      if (event.model_id) {
        // "Model {model} ready…", the model's id a link to its page; writing is offered for a text model only
        // a fine-tune says its base's figure before fine-tuning, then its own: zero-shot → fine-tuned
        const ready = event.medium === "image" ? (words.model_ready_image || "").replace("{loss}", fmt(event.val_loss, 4))
          : event.zero_shot_bpb != null ? (words.model_ready_finetuned || "").replace("{zero}", fmt(event.zero_shot_bpb, 3)) : words.model_ready;
        const [before, after] = (ready || "{model}").replace("{bpb}", fmt(event.val_bpb, 3)).split("{model}");
        const link = ouvroir.el("a", { href: `/models/${encodeURIComponent(event.model_id)}`, id: "go-model", text: event.model_id });
        result.replaceChildren(ouvroir.el("span", { class: "notice" }, before, link, after ?? ""));
        if (event.medium === "image") {
          result.append(" ", ouvroir.el("a", { href: `/models/${encodeURIComponent(event.model_id)}#samples`, class: "button", id: "go-generate", text: words.go_generate }));
        } else if (event.medium !== "music") {
          result.append(" ", ouvroir.el("a", { href: `/write?model=${encodeURIComponent(event.model_id)}`, class: "button", id: "go-write", text: words.go_write }));
        }
      } else if (event.audit_id) {
        result.replaceChildren(ouvroir.el("a", { href: `/audit/${encodeURIComponent(event.audit_id)}`, class: "button", id: "go-report", text: words.open_report || event.audit_id }));
      }
    }
  }

  function setState(state) {
    panel.dataset.state = state;
    const badge = document.getElementById("job-state");
    badge.className = `badge ${state}`; badge.textContent = words[`job_${state}`] || state;
    document.getElementById("stop").hidden = state !== "running";
    const start = document.getElementById("start");
    if (start && state !== "running") start.disabled = false;
  }

  async function poll() {
    try {
      const answer = await ouvroir.get(`/jobs/${jobId}?after=${next}`);
      answer.events.forEach(apply);
      next = answer.next;
      chart(document.getElementById("chart-loss"), loss);
      chart(document.getElementById("chart-val"), val);
      setState(answer.job.state);
      countdown(answer.job);
      if (answer.job.state !== state) { state = answer.job.state; refreshRecent(); }
      if (answer.job.state !== "running") { clearInterval(timer); timer = null; }
    } catch (err) {
      document.getElementById("job-result").replaceChildren(ouvroir.el("span", { class: "error", text: err.message }));
    }
  }

  document.getElementById("stop").addEventListener("click", async () => {
    try { await ouvroir.post(`/jobs/${jobId}/stop`, {}); } catch (err) { alert(err.message); }
    poll();
  });
  poll();
  timer = setInterval(poll, 1000);
})();
