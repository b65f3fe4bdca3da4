// The runs table: selecting runs (compare, delete, restore), adding a column by name and the
// rows-per-page menu. Handlers are delegated from the document, so they survive htmx swaps.
import { api, eachLimited, flash } from "cairn";

const MAX_COMPARE = 50;

function view() {
  return document.getElementById("runs-view");
}

function selectedIds() {
  return [...document.querySelectorAll('#runs-table input[name="run"]:checked')].map((b) => b.value);
}

function refreshSelection() {
  const ids = selectedIds();
  const count = document.getElementById("selected-count");
  if (!count) return;
  count.textContent = ids.length ? `${ids.length} selected` : "None selected";
  const compare = document.getElementById("compare-runs");
  const comparable = ids.length >= 2 && ids.length <= MAX_COMPARE;
  compare.setAttribute("aria-disabled", comparable ? "false" : "true");
  compare.href = comparable ? `/compare?runs=${ids.join(",")}` : "/compare";
  compare.title = ids.length > MAX_COMPARE
    ? `Compare takes at most ${MAX_COMPARE} runs`
    : "Select 2 to 50 runs to compare";
  for (const id of ["delete-runs", "restore-runs"]) {
    const button = document.getElementById(id);
    if (button) button.disabled = ids.length === 0;
  }
  const all = document.getElementById("select-all");
  const boxes = document.querySelectorAll('#runs-table input[name="run"]');
  if (all) {
    all.checked = boxes.length > 0 && ids.length === boxes.length;
    all.indeterminate = ids.length > 0 && ids.length < boxes.length;
  }
}

function reloadTable() {
  return window.htmx.ajax("GET", window.location.pathname + window.location.search, {
    target: "#runs-view",
    swap: "outerHTML",
  });
}

async function changeRuns(action) {
  const ids = selectedIds();
  if (!ids.length) return;
  const verb = action === "delete" ? "Delete" : "Restore";
  if (action === "delete" && !window.confirm(`Delete ${ids.length} run(s)? Deleted runs can be restored from the "Deleted" view.`)) {
    return;
  }
  const errors = await eachLimited(ids, 4, (id) =>
    action === "delete"
      ? api("DELETE", `/api/v1/runs/${id}`)
      : api("POST", `/api/v1/runs/${id}/restore`),
  );
  await reloadTable();
  if (errors.length) {
    flash(`${verb} failed for ${errors.length} of ${ids.length} run(s): ${errors[0].message}`);
  } else {
    flash(`${action === "delete" ? "Deleted" : "Restored"} ${ids.length} run(s).`, { ok: true });
  }
}

function addColumn() {
  const input = document.getElementById("add-column");
  const problem = document.getElementById("add-column-error");
  const text = input.value.trim();
  const match = /^(metrics|params|tags)\.(.+)$/.exec(text);
  if (!match) {
    problem.textContent = "Write <kind>.<key> with kind metrics, params or tags, e.g. metrics.f1";
    problem.hidden = false;
    input.setAttribute("aria-invalid", "true");
    return;
  }
  problem.hidden = true;
  input.removeAttribute("aria-invalid");
  const fieldset = document.querySelector(`.columns-panel fieldset[data-kind="${match[1]}"]`);
  const existing = [...fieldset.querySelectorAll('input[name="cols"]')].find((b) => b.value === text);
  if (existing) {
    existing.checked = true;
  } else {
    fieldset.querySelector("p.count")?.remove();
    const label = document.createElement("label");
    const box = document.createElement("input");
    box.type = "checkbox";
    box.name = "cols";
    box.value = text;
    box.checked = true;
    label.append(box, ` ${match[2]}`);
    fieldset.append(label);
  }
  input.value = "";
  input.focus();
}

document.addEventListener("change", (event) => {
  const target = event.target;
  if (target.id === "select-all") {
    for (const box of document.querySelectorAll('#runs-table input[name="run"]')) {
      box.checked = target.checked;
    }
    refreshSelection();
  } else if (target.matches('#runs-table input[name="run"]')) {
    refreshSelection();
  } else if (target.id === "per-page") {
    window.htmx.ajax("GET", target.value, { target: "#runs-view", swap: "outerHTML" }).then(() => {
      window.history.pushState({}, "", target.value);
    });
  }
});

document.addEventListener("click", (event) => {
  const target = event.target;
  if (target.closest("#delete-runs")) changeRuns("delete").catch((err) => flash(err.message));
  else if (target.closest("#restore-runs")) changeRuns("restore").catch((err) => flash(err.message));
  else if (target.closest("[data-add-column]")) addColumn();
  else if (target.closest("#compare-runs[aria-disabled='true']")) event.preventDefault();
});

document.addEventListener("keydown", (event) => {
  if (event.key === "Enter" && event.target.id === "add-column") {
    event.preventDefault();
    addColumn();
  }
});

// The filter box: mark it invalid while an error is shown under it.
document.addEventListener("htmx:afterSwap", (event) => {
  if (event.detail.target.id === "filter-error") {
    document.getElementById("run-filter")?.setAttribute("aria-invalid", "true");
  }
  refreshSelection();
});

if (view()) refreshSelection();
