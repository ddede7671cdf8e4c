// The brand upload page: sign in with a token (kept in sessionStorage only), upload with
// progress, show the result in words a brand understands, download the annotated workbook,
// and list the tenant's earlier uploads. Plain DOM, no libraries, no inline script or style
// (the page's Content-Security-Policy allows scripts from 'self' only).
"use strict";
(function () {
  const KEY = "briskk-token";
  const $ = (id) => document.getElementById(id);
  let token = sessionStorage.getItem(KEY);

  // What profiles/proposals.py tells an operator to run to accept a mapping: the page has its
  // own form for that, so these lines are left out of a brand's problems and warnings.
  const CLI_MAPPING_PROBLEM = "to accept the suggested mapping";
  const CLI_MAPPING_WARNING = "columns not read that look like template columns";

  function plural(n, word) {
    return n + " " + word + (n === 1 ? "" : "s");
  }

  // What an upload's status means to the brand: [words, tone]. Tones: ok, warn, bad, info.
  function statusWords(u) {
    const rejected = u.products_rejected || 0;
    if (u.rolled_back_at) return ["rolled back", "info"];
    switch (u.status) {
      case "succeeded":
        return rejected ? ["loaded with " + plural(rejected, "product") + " rejected", "warn"] : ["loaded", "ok"];
      case "rejected": return ["rejected", "bad"];
      case "needs_review": return ["held for review", "warn"];
      case "previewed": return ["preview only", "info"];
      case "running": return ["checking", "info"];
      case "failed": return ["not processed", "bad"];
      default: return [String(u.status || "unknown").replace(/_/g, " "), "info"];
    }
  }

  function statusLine(u) {
    const loaded = plural(u.products_loaded || 0, "product") + " and " + plural(u.skus_loaded || 0, "SKU");
    const rejected = u.products_rejected || 0;
    switch (statusWords(u)[0] === "rolled back" ? "rolled_back" : u.status) {
      case "rolled_back": return "This upload was undone: the catalog is back to what it was before it.";
      case "succeeded":
        return rejected
          ? loaded + " loaded. " + plural(rejected, "product") + " (" + plural(u.rows_rejected || 0, "row") +
            ") not loaded: fix the problems below and upload the file again."
          : loaded + " loaded.";
      case "rejected": return "Nothing was loaded: fix the problems below and upload the file again.";
      case "needs_review":
        return "Nothing is loaded yet: this upload changes more than your catalog's limits allow, so Briskk checks it first.";
      case "previewed": return "A preview: nothing was changed. " + loaded + " would load.";
      case "running": return "Still checking and loading this file…";
      case "failed": return "Our pipeline failed on this file; nothing was loaded. Please try again later.";
      default: return "";
    }
  }

  // A file name as shown: the bidirectional controls that reorder how text shows (Unicode
  // TR 9: LRM, RLM, ALM, LRE…RLO, LRI…PDI) become visible escapes, so "invoice\u202excod.xlsx"
  // cannot pass for "invoicexslx.docx"; the record keeps the name as sent (api/routes.py).
  const BIDI_CONTROLS = /[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;
  function shownName(text) {
    return String(text).replace(BIDI_CONTROLS,
      (c) => "\\u" + c.charCodeAt(0).toString(16).padStart(4, "0"));
  }

  function badge(u, element) {
    const [words, tone] = statusWords(u);
    element.textContent = words;
    element.className = "status " + tone;
    return element;
  }

  function api(path, options) {
    const headers = Object.assign({ Authorization: "Bearer " + token }, (options || {}).headers);
    return fetch(path, Object.assign({}, options, { headers })).then(async (response) => {
      const body = await response.json().catch(() => ({}));
      if (response.status === 401) signOut(body.detail || "Please sign in again.");
      return { status: response.status, body };
    });
  }

  // One table row whose cells carry their column's label (the phone layout shows it).
  function fillTable(table, rows, classes) {
    const labels = Array.from(table.querySelectorAll("thead th")).map((th) => th.textContent);
    const body = table.querySelector("tbody");
    body.replaceChildren();
    rows.forEach((values) => {
      const tr = document.createElement("tr");
      values.forEach((v, i) => {
        const td = document.createElement("td");
        td.dataset.label = labels[i] || "";
        if (classes && classes[i]) td.className = classes[i];
        td.textContent = v === null || v === undefined || v === "" ? "–" : String(v);
        tr.appendChild(td);
      });
      body.appendChild(tr);
    });
  }

  function fillList(list, lines) {
    list.replaceChildren(...lines.map((text) => {
      const li = document.createElement("li");
      li.textContent = text;
      return li;
    }));
  }

  function signOut(message) {
    sessionStorage.removeItem(KEY);
    token = null;
    $("sign-in-section").hidden = false;
    ["upload-section", "result", "history-section", "who"].forEach((id) => ($(id).hidden = true));
    $("sign-in-error").textContent = message || "";
  }

  async function signIn(candidate) {
    token = candidate;
    const me = await api("/me");
    if (me.status !== 200) {
      if (me.status !== 401) signOut(me.body.detail || "The server did not answer.");
      return;
    }
    sessionStorage.setItem(KEY, token);
    $("sign-in-section").hidden = true;
    $("upload-section").hidden = false;
    $("who").hidden = false;
    $("who-tenant").textContent = "Tenant " + me.body.tenant + (me.body.admin ? " (admin)" : "");
    $("sign-in-error").textContent = "";
    loadHistory();
  }

  async function loadHistory() {
    const list = await api("/uploads?limit=50");
    if (list.status !== 200) return;
    $("history-section").hidden = false;
    $("history-empty").hidden = list.body.length > 0;
    $("history").replaceChildren(...list.body.map((u) => {
      const li = document.createElement("li");
      const button = document.createElement("button");
      button.type = "button";
      button.dataset.uploadId = u.upload_id;
      const when = document.createElement("span");
      when.className = "when";
      when.textContent = (u.received_at || "").slice(0, 16).replace("T", " ") + " UTC";
      const file = document.createElement("span");
      file.className = "file name";
      file.textContent = shownName(u.file_name);
      file.title = shownName(u.file_name); // the whole name when it is cut with an ellipsis
      const counts = document.createElement("span");
      counts.className = "counts-line";
      counts.textContent = plural(u.products_loaded || 0, "product") + ", " + plural(u.skus_loaded || 0, "SKU") +
        " loaded" + (u.products_rejected ? "; " + plural(u.products_rejected, "product") + " (" +
        plural(u.rows_rejected || 0, "row") + ") rejected" : "");
      button.append(when, file, badge(u, document.createElement("span")), counts);
      button.addEventListener("click", () => showUpload(u.upload_id));
      li.appendChild(button);
      return li;
    }));
  }

  async function showUpload(uploadId) {
    const got = await api("/uploads/" + encodeURIComponent(uploadId));
    if (got.status === 200) showResult(got.body);
  }

  const IMAGE_WORDS = { failed: "not stored", blocked: "address refused", not_fetched: "not fetched" };

  function imageWords(i) {
    // fetching is off on this server: an operator's setting, nothing for the brand to fix
    if (i.status === "not_fetched") return "not fetched yet: images are fetched later, nothing to fix";
    const reason = i.reason || "";
    const words = IMAGE_WORDS[i.status] || String(i.status || "").replace(/_/g, " ");
    return reason.toLowerCase().startsWith(words) ? reason : words + (reason ? ": " + reason : "");
  }

  // The record's `changes` when it is the announcement object (counts, and lists of changed
  // values by row and column); a dry run's list of products is not shown here.
  // The record's `changes` (catalog/summary.py) in a brand's words: one line of counts, then
  // one line per value changed, cleared or taken off sale (new rows are counted, not listed).
  // `shown`, `mode` and `catalog_fingerprint` are for programs.
  const CHANGE_LISTS = { updated: "changed", cleared: "cleared by a blank cell",
    disabled: "taken off sale", disabled_absent: "taken off sale (not in this file)" };
  function changeCounts(changes) {
    const parts = [];
    const nouns = { products: "product", skus: "SKU" };
    const verbs = { inserted: "new", updated: "updated", unchanged: "unchanged", disabled: "taken off sale" };
    Object.entries(nouns).forEach(([entity, noun]) => {
      const c = changes[entity];
      if (!c || typeof c !== "object") return;
      Object.entries(verbs).forEach(([k, verb]) => { if (c[k]) parts.push(plural(c[k], noun) + " " + verb); });
    });
    if (changes.values_cleared) parts.push(plural(changes.values_cleared, "stored value") + " cleared by blank cells");
    const absent = changes.not_listed && changes.not_listed.skus;
    if (absent) parts.push(plural(absent, "SKU") + " not in this file, kept as they are");
    return parts;
  }

  function changeLines(changes) {
    if (!changes || typeof changes !== "object" || Array.isArray(changes)) return [];
    const blank = (v) => (v === null || v === undefined || v === "" ? "(blank)" : v);
    const lines = [];
    Object.entries(CHANGE_LISTS).forEach(([key, words]) => {
      (Array.isArray(changes[key]) ? changes[key] : []).forEach((item) => {
        if (!item || typeof item !== "object") return;
        const where = [item.row ? "row " + item.row : "", item.sku_id || item.product_id || "",
          item.column || ""].filter(Boolean).join(", ");
        const what = ("old" in item || "new" in item) ? blank(item.old) + " → " + blank(item.new) : "";
        lines.push(words + (where ? " (" + where + ")" : "") + (what ? ": " + what : ""));
      });
    });
    const counts = changeCounts(changes);
    return (counts.length ? [counts.join(", ")] : []).concat(lines);
  }


  // The upload's marketplace readiness (`readiness` of GET /uploads/{id}, readiness/shapes.py):
  // a count line per channel, and one table row per product and channel that is not ready.
  function readinessRows(readiness) {
    const rows = [];
    for (const p of (readiness && readiness.products) || []) {
      for (const channel of readiness.channels) {
        const verdict = p.channels[channel];
        if (!Array.isArray(verdict)) continue;
        const needs = verdict.map((f) => (f.column && !String(f.message).startsWith(f.column)
          ? f.column + ": " : "") + f.message).join("; ");
        rows.push([p.row, p.product_id, channel, needs]);
      }
    }
    return rows;
  }

  function showReadiness(readiness) {
    const channels = (readiness && readiness.channels) || [];
    $("readiness-block").hidden = channels.length === 0;
    if (!channels.length) return;
    $("readiness-counts").textContent = channels.map((c) => c + ": "
      + readiness.ready[c] + " of " + (readiness.ready[c] + readiness.not_ready[c]) + " ready").join(", ");
    fillTable($("readiness"), readinessRows(readiness), ["num", "key", "key", ""]);
  }

  let shown = null; // the upload on screen, for the report button

  async function showResult(u) {
    shown = u;
    $("result").hidden = false;
    $("result-file").textContent = shownName(u.file_name || u.upload_id);
    badge(u, $("result-status"));
    $("result-words").textContent = statusLine(u);
    $("c-products").textContent = u.products_loaded;
    $("c-skus").textContent = u.skus_loaded;
    $("c-products-rejected").textContent = u.products_rejected;
    $("c-rows-rejected").textContent = u.rows_rejected;
    const images = u.images || {};
    $("c-images").textContent = [["stored", "stored"], ["reused", "reused"], ["failed", "failed"],
      ["blocked", "refused"], ["not_fetched", "not fetched"]]
      .filter(([k], i) => i < 3 || images[k]).map(([k, w]) => (images[k] || 0) + " " + w).join(", ");
    $("failure").textContent = u.status === "failed" && u.failure_reason ? "Reason: " + u.failure_reason
      : u.report_error ? "Your products are in the catalog as shown, but the marked copy of your file "
        + "could not be made (" + u.report_error + "); Briskk will make it again." : "";
    $("report-line").hidden = !u.report_uri;
    $("report-error").textContent = "";
    // the command-line way to accept a mapping is for operators: the page has its form
    const errors = (u.errors || []).filter((e) => !String(e.message).startsWith(CLI_MAPPING_PROBLEM));
    $("problems-block").hidden = errors.length === 0;
    $("problems-title").textContent = plural(errors.length, "problem") + " to fix";
    fillTable($("problems"), errors.map((e) => [e.row, e.column, e.value, e.message]), ["num", "key", "value", ""]);
    const warnings = (u.warnings || []).filter((w) => !String(w).startsWith(CLI_MAPPING_WARNING));
    $("warnings-block").hidden = warnings.length === 0;
    fillList($("warnings"), warnings);
    const changes = changeLines(u.changes);
    $("changes-block").hidden = changes.length === 0;
    fillList($("changes"), changes);
    $("readiness-block").hidden = true;
    $("images-block").hidden = true;
    if (u.status !== "running") {
      const bad = await api("/uploads/" + encodeURIComponent(u.upload_id) + "/images");
      if (shown === u && bad.status === 200 && bad.body.length) {
        $("images-block").hidden = false;
        $("images-title").textContent = plural(bad.body.length, "image") + " not stored";
        fillTable($("images"), bad.body.map((i) => [i.row, i.column, i.url || i.source_url, imageWords(i)]), ["num", "key", "url", ""]);
      }
      const ready = await api("/uploads/" + encodeURIComponent(u.upload_id) + "/readiness");
      if (shown === u && ready.status === 200) showReadiness(ready.body);
    }
    showMapping(u);
    $("result").scrollIntoView({ behavior: "smooth", block: "start" });
  }

  // A file rejected for its header: the mapping form (issue 22). Each unknown header gets a
  // choice of the template's columns, the suggested one preselected; saving stores the chosen
  // mappings in the tenant's brand profile and runs the upload again (POST /profile/map).
  const LEAVE = "";
  const IGNORE = "-";

  async function showMapping(u) {
    const form = $("mapping");
    form.hidden = true;
    $("mapping-error").textContent = "";
    const unread = (u.warnings || []).some((w) => w.startsWith("columns not read that look like"));
    if (u.status !== "rejected" && !unread) return;
    const got = await api("/profile/proposals/" + encodeURIComponent(u.upload_id));
    if (shown !== u || got.status !== 200) return;
    const proposal = got.body;
    const missing = proposal.missing || [];
    $("mapping-missing").textContent = missing.length
      ? "Required columns not found: " + missing.join(", ") + "." : "";
    const body = $("mapping-table").querySelector("tbody");
    body.replaceChildren(...proposal.headers.map((h, index) => {
      const tr = document.createElement("tr");
      const letter = document.createElement("td");
      letter.className = "num";
      letter.dataset.label = "Column";
      letter.textContent = h.letter;
      const header = document.createElement("td");
      header.dataset.label = "Your header";
      const label = document.createElement("label");
      label.htmlFor = "map-" + index;
      label.textContent = h.header;
      header.appendChild(label);
      const choice = document.createElement("td");
      choice.dataset.label = "Is the template's column";
      const select = document.createElement("select");
      select.id = "map-" + index;
      select.dataset.header = h.header;
      const options = [[LEAVE, "(leave it unread)"], [IGNORE, "(not a product column: ignore it)"]]
        .concat(proposal.columns.map((c) => [c.name, c.name + (c.required ? " (required)" : "")]));
      options.forEach(([value, text]) => {
        const option = document.createElement("option");
        option.value = value;
        option.textContent = text;
        select.appendChild(option);
      });
      select.value = h.column || LEAVE;
      choice.appendChild(select);
      if (h.column && h.reason) {
        const why = document.createElement("span");
        why.className = "hint";
        why.textContent = " suggested: " + h.reason;
        choice.appendChild(why);
      }
      tr.append(letter, header, choice);
      return tr;
    }));
    form.hidden = proposal.headers.length === 0;
  }

  async function saveMapping(e) {
    e.preventDefault();
    if (!shown) return;
    const aliases = {};
    const ignore = [];
    $("mapping-table").querySelectorAll("select").forEach((select) => {
      if (select.value === IGNORE) ignore.push(select.dataset.header);
      else if (select.value !== LEAVE) aliases[select.dataset.header] = select.value;
    });
    if (!Object.keys(aliases).length && !ignore.length) {
      $("mapping-error").textContent = "Choose what at least one of your columns is.";
      return;
    }
    $("mapping-save").disabled = true;
    $("mapping-progress").hidden = false;
    $("mapping-error").textContent = "";
    const saved = await api("/profile/map", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ aliases, ignore, rerun: shown.upload_id }),
    });
    $("mapping-save").disabled = false;
    $("mapping-progress").hidden = true;
    if (saved.status !== 200) {
      $("mapping-error").textContent = saved.body.detail || "The mapping could not be saved.";
      return;
    }
    await showUpload(shown.upload_id);
    loadHistory();
  }

  // The workbook comes with the token in a header, so it is fetched, then saved from a blob.
  async function downloadReport() {
    if (!shown) return;
    $("report-error").textContent = "";
    const response = await fetch("/uploads/" + encodeURIComponent(shown.upload_id) + "/report", {
      headers: { Authorization: "Bearer " + token },
    });
    if (!response.ok) {
      const body = await response.json().catch(() => ({}));
      if (response.status === 401) signOut(body.detail);
      else $("report-error").textContent = body.detail || "The report could not be downloaded.";
      return;
    }
    const disposition = response.headers.get("Content-Disposition") || "";
    const star = /filename\*=UTF-8''([^;]+)/i.exec(disposition);
    const name = star ? decodeURIComponent(star[1]) : "report.xlsx";
    const url = URL.createObjectURL(await response.blob());
    const link = document.createElement("a");
    link.href = url;
    link.download = name;
    document.body.appendChild(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10000);
  }

  function progress(text, percent) {
    $("progress").hidden = false;
    $("progress-text").textContent = text;
    if (percent === null) $("bar").removeAttribute("value");
    else $("bar").value = percent;
  }

  async function waitForRun(uploadId) {
    for (;;) {
      await new Promise((r) => setTimeout(r, 1000));
      const got = await api("/uploads/" + encodeURIComponent(uploadId));
      if (got.status !== 200) return got;
      if (got.body.status !== "running") return got;
    }
  }

  function upload(file) {
    $("upload-error").textContent = "";
    $("send").disabled = true;
    progress("Sending " + file.name + "…", 0);
    const form = new FormData();
    form.append("file", file);
    const xhr = new XMLHttpRequest();
    xhr.open("POST", "/ingest?wait=55");
    xhr.setRequestHeader("Authorization", "Bearer " + token);
    xhr.upload.addEventListener("progress", (e) => {
      if (e.lengthComputable) progress("Sending " + file.name + "…", Math.round((100 * e.loaded) / e.total));
    });
    xhr.upload.addEventListener("load", () => progress("Checking and loading " + file.name + "…", null));
    xhr.addEventListener("error", () => finish("The upload did not reach the server; check the connection and try again."));
    xhr.addEventListener("load", async () => {
      let body = {};
      try { body = JSON.parse(xhr.responseText); } catch (e) { body = {}; }
      if (xhr.status === 401) { finish(); signOut(body.detail); return; }
      if (xhr.status === 202) {
        progress("Still working on " + file.name + "…", null);
        const got = await waitForRun(body.upload_id);
        finish(got.status === 200 ? null : got.body.detail);
        if (got.status === 200) showResult(got.body);
      } else if (xhr.status === 200 || (xhr.status === 500 && body.upload_id)) {
        finish();
        showUpload(body.upload_id);
      } else {
        finish(body.detail || "The server answered " + xhr.status + ".");
      }
      loadHistory();
    });
    xhr.send(form);
  }

  function finish(message) {
    $("progress").hidden = true;
    $("send").disabled = !$("file").files.length;
    $("upload-error").textContent = message || "";
  }

  $("sign-in").addEventListener("submit", (e) => {
    e.preventDefault();
    signIn($("token").value.trim());
    $("token").value = "";
  });
  $("sign-out").addEventListener("click", () => signOut(""));
  $("report").addEventListener("click", downloadReport);
  $("mapping").addEventListener("submit", saveMapping);
  $("file").addEventListener("change", () => {
    const file = $("file").files[0];
    $("send").disabled = !file;
    $("drop-text").textContent = file ? file.name : $("drop-text").textContent;
  });
  $("upload").addEventListener("submit", (e) => {
    e.preventDefault();
    const file = $("file").files[0];
    if (file) upload(file);
  });
  const drop = $("drop");
  ["dragenter", "dragover"].forEach((t) => drop.addEventListener(t, (e) => { e.preventDefault(); drop.classList.add("over"); }));
  ["dragleave", "drop"].forEach((t) => drop.addEventListener(t, (e) => { e.preventDefault(); drop.classList.remove("over"); }));
  drop.addEventListener("drop", (e) => {
    if (e.dataTransfer.files.length) {
      $("file").files = e.dataTransfer.files;
      $("file").dispatchEvent(new Event("change"));
    }
  });

  if (token) signIn(token); else signOut("");
})();
