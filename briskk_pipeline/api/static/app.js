// The brand upload page: sign in with a token (kept in sessionStorage only), upload with
// progress, show the result and the tenant's earlier uploads. Plain DOM, no libraries.
"use strict";
(function () {
  const KEY = "briskk-token";
  const $ = (id) => document.getElementById(id);
  let token = sessionStorage.getItem(KEY);

  function api(path, options) {
    const headers = Object.assign({ Authorization: "Bearer " + token }, (options || {}).headers);
    return fetch(path, Object.assign({}, options, { headers })).then(async (response) => {
      const body = await response.json().catch(() => ({}));
      if (response.status === 401) signOut(body.detail || "Please sign in again.");
      return { status: response.status, body };
    });
  }

  function cell(row, text) {
    const td = document.createElement("td");
    td.textContent = text === null || text === undefined || text === "" ? "–" : String(text);
    row.appendChild(td);
  }

  function fillTable(table, rows) {
    const body = table.querySelector("tbody");
    body.replaceChildren();
    rows.forEach((values) => {
      const tr = document.createElement("tr");
      values.forEach((v) => cell(tr, v));
      body.appendChild(tr);
    });
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
    const body = $("history").querySelector("tbody");
    body.replaceChildren();
    list.body.forEach((u) => {
      const tr = document.createElement("tr");
      tr.className = "clickable";
      tr.dataset.uploadId = u.upload_id;
      cell(tr, (u.received_at || "").slice(0, 19).replace("T", " "));
      cell(tr, u.file_name);
      const status = document.createElement("td");
      const badge = document.createElement("span");
      badge.className = "status " + u.status;
      badge.textContent = u.status;
      status.appendChild(badge);
      tr.appendChild(status);
      cell(tr, u.products_loaded + " products / " + u.skus_loaded + " SKUs");
      cell(tr, u.products_rejected + " products / " + u.rows_rejected + " rows");
      tr.addEventListener("click", () => showUpload(u.upload_id));
      body.appendChild(tr);
    });
  }

  async function showUpload(uploadId) {
    const got = await api("/uploads/" + encodeURIComponent(uploadId));
    if (got.status === 200) showResult(got.body);
  }

  async function showResult(u) {
    $("result").hidden = false;
    $("result-file").textContent = u.file_name || u.upload_id;
    const badge = $("result-status");
    badge.textContent = u.status;
    badge.className = "status " + u.status;
    $("c-products").textContent = u.products_loaded;
    $("c-skus").textContent = u.skus_loaded;
    $("c-products-rejected").textContent = u.products_rejected;
    $("c-rows-rejected").textContent = u.rows_rejected;
    const images = u.images || {};
    $("c-images").textContent = ["stored", "reused", "failed", "blocked"]
      .map((k) => (images[k] || 0) + " " + k).join(", ");
    $("failure").textContent = u.status === "failed" ? "The pipeline failed: " + (u.failure_reason || "") : "";
    const errors = u.errors || [];
    $("problems-block").hidden = errors.length === 0;
    $("problems-title").textContent = errors.length + (errors.length === 1 ? " problem" : " problems") + " to fix";
    fillTable($("problems"), errors.map((e) => [e.row, e.column, e.value, e.message]));
    const warnings = u.warnings || [];
    $("warnings-block").hidden = warnings.length === 0;
    $("warnings").replaceChildren(...warnings.map((w) => {
      const li = document.createElement("li");
      li.textContent = w;
      return li;
    }));
    $("images-block").hidden = true;
    if (u.status !== "running") {
      const bad = await api("/uploads/" + encodeURIComponent(u.upload_id) + "/images");
      if (bad.status === 200 && bad.body.length) {
        $("images-block").hidden = false;
        fillTable($("images"), bad.body.map((i) => [i.product_id, i.column, i.source_url, i.status + ": " + (i.reason || "")]));
      }
    }
    $("result").scrollIntoView({ behavior: "smooth", block: "start" });
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
    xhr.upload.onprogress = (e) => {
      if (e.lengthComputable) progress("Sending " + file.name + "…", Math.round((100 * e.loaded) / e.total));
    };
    xhr.upload.onload = () => progress("Checking and loading " + file.name + "…", null);
    xhr.onerror = () => finish("The upload did not reach the server; check the connection and try again.");
    xhr.onload = async () => {
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
    };
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
