// The run page: description and tags edited through the JSON API, the params filter, and the
// metric charts with their settings kept in the query string.

import { api, flash } from "cairn";
import { MetricChart, getJSON, whenVisible } from "./charts.js";

const page = document.getElementById("run-page");
const runId = page.dataset.runId;
const runStart = Number(page.dataset.start);
const noteTag = page.dataset.noteTag;
const batchUrl = `/api/v1/runs/${runId}/batch`;

// -- refreshing parts of the page from the server ----------------------------------------------

function refresh(selector) {
  // the page as the server now renders it, swapped in part by part (htmx's `select`)
  return window.htmx.ajax("GET", window.location.href, {
    target: selector,
    select: selector,
    swap: "outerHTML",
  });
}

async function setTag(key, value) {
  await api("POST", batchUrl, { tags: [{ key, value }] });
}

async function deleteTag(key) {
  await api("POST", `/api/v1/runs/${runId}/tags/delete`, { key });
}

// -- description ----------------------------------------------------------------------------

function descriptionParts() {
  const card = document.getElementById("description-card");
  return {
    card,
    view: card?.querySelector("#description-view"),
    form: card?.querySelector("#description-form"),
  };
}

function editDescription(editing) {
  const { view, form } = descriptionParts();
  if (!form) return;
  view.hidden = editing;
  form.hidden = !editing;
  if (editing) form.querySelector("textarea").focus();
}

async function saveDescription(form) {
  const text = form.querySelector("textarea").value;
  const held = form.dataset.held.split(" ").filter(Boolean); // tags holding it now
  const button = form.querySelector('button[type="submit"]');
  button.disabled = true;
  try {
    if (text.trim()) await setTag(noteTag, text);
    // one description: an MLflow-named copy goes, and an emptied one is removed
    for (const key of held) {
      if (key !== noteTag || !text.trim()) await deleteTag(key);
    }
    await refresh("#description-card");
    flash("Description saved.", { ok: true });
  } catch (err) {
    flash(`The description was not saved: ${err.message}`);
  } finally {
    button.disabled = false;
  }
}

// -- tags -----------------------------------------------------------------------------------

function startTagEdit(row) {
  const cell = row.querySelector("td.value");
  const current = cell.querySelector(".tag-value").textContent;
  const input = document.createElement("input");
  input.type = "text";
  input.value = current;
  input.setAttribute("aria-label", `New value of tag ${row.dataset.key}`);
  cell.replaceChildren(input);
  const actions = row.querySelector("td.tag-actions");
  actions.innerHTML = "";
  const save = button("Save", "save-tag", "small primary");
  const cancel = button("Cancel", "cancel-tag", "small");
  actions.append(save, cancel);
  input.focus();
  input.select();
  input.addEventListener("keydown", (event) => {
    if (event.key === "Enter") save.click();
    if (event.key === "Escape") cancel.click();
  });
}

function button(label, action, className) {
  const b = document.createElement("button");
  b.type = "button";
  b.className = className;
  b.dataset.action = action;
  b.textContent = label;
  return b;
}

async function tagAction(action, row) {
  const key = row.dataset.key;
  try {
    if (action === "save-tag") {
      await setTag(key, row.querySelector("td.value input").value);
      flash(`Tag ${key} saved.`, { ok: true });
    } else if (action === "delete-tag") {
      await deleteTag(key);
      flash(`Tag ${key} deleted.`, { ok: true });
    }
    await refresh("#tags-card");
  } catch (err) {
    flash(`Tag ${key}: ${err.message}`);
  }
}

async function addTag(form) {
  const key = form.elements.key.value.trim();
  const value = form.elements.value.value;
  if (!key) {
    flash("Give the tag a key, e.g. 'team' or 'baseline'.");
    return;
  }
  try {
    await setTag(key, value);
    await refresh("#tags-card");
    flash(`Tag ${key} added.`, { ok: true });
  } catch (err) {
    flash(`Tag ${key} was not added: ${err.message}`);
  }
}

document.addEventListener("click", (event) => {
  const target = event.target.closest("[data-action]");
  if (!target) return;
  const action = target.dataset.action;
  if (action === "edit-description") editDescription(true);
  else if (action === "cancel-description") editDescription(false);
  else if (action === "edit-tag") startTagEdit(target.closest("tr"));
  else if (action === "cancel-tag") refresh("#tags-card");
  else if (action === "save-tag" || action === "delete-tag") tagAction(action, target.closest("tr"));
});

document.addEventListener("submit", (event) => {
  const form = event.target;
  if (form.id === "description-form") {
    event.preventDefault();
    saveDescription(form);
  } else if (form.id === "tag-add") {
    event.preventDefault();
    addTag(form);
  }
});

// -- params filter --------------------------------------------------------------------------

function filterRows(input, rows, none) {
  const words = input.value.toLowerCase().split(/\s+/).filter(Boolean);
  let shown = 0;
  for (const row of rows) {
    const text = (row.dataset.key ?? row.textContent).toLowerCase();
    const match = words.every((w) => text.includes(w));
    row.hidden = !match;
    if (match) shown += 1;
  }
  if (none) none.hidden = shown > 0;
}

const paramsFilter = document.getElementById("params-filter");
paramsFilter?.addEventListener("input", () =>
  filterRows(
    paramsFilter,
    document.querySelectorAll("#params-table tbody tr"),
    document.getElementById("params-none"),
  ),
);

// -- charts ---------------------------------------------------------------------------------

const controls = document.getElementById("chart-controls");
if (controls && window.echarts) {
  const params = new URLSearchParams(window.location.search);
  const state = {
    x: params.get("x") || "step",
    smoothing: Number(params.get("smooth") || 0),
    log: ["1", "true", "on", "yes"].includes((params.get("log") || "").toLowerCase()),
  };
  const charts = [];

  const load = (key) => async ({ points, x, lo, hi }) => {
    const query = new URLSearchParams({ key, points: String(points), x });
    if (lo !== undefined) query.set("lo", String(lo));
    if (hi !== undefined) query.set("hi", String(hi));
    const data = await getJSON(`/runs/${runId}/series?${query}`);
    return [{ ...data, name: key, start: runStart }];
  };

  const describe = (chart, err) => {
    const info = chart.element.parentElement.querySelector(".chart-info");
    if (!info) return;
    if (err) {
      info.textContent = `Zoomed data could not be loaded: ${err.message}`;
      return;
    }
    const s = chart.shown[0];
    if (!s) return;
    const drawn = s.values.length.toLocaleString();
    const zoom = chart.zoomed ? " in view" : "";
    const unit = s.values.length === 1 ? "point" : "points";
    info.textContent = s.downsampled
      ? `${drawn} of ${s.in_range.toLocaleString()} points${zoom} (thinned, extremes kept)`
      : `${drawn} ${unit}${zoom}`;
  };

  whenVisible(document.querySelectorAll(".chart[data-key]"), (element) => {
    const chart = new MetricChart(element, load(element.dataset.key), state, { onInfo: describe });
    charts.push(chart);
    chart.start().catch(() => {});
  });

  const saveState = () => {
    const url = new URL(window.location.href);
    const set = (name, value, fallback) => {
      if (value === fallback) url.searchParams.delete(name);
      else url.searchParams.set(name, value);
    };
    set("x", state.x, "step");
    set("smooth", state.smoothing ? String(state.smoothing) : "0", "0");
    set("log", state.log ? "1" : "0", "0");
    window.history.replaceState(null, "", url);
    document.querySelectorAll(".tabs a, .chart-title a, .chart-controls a").forEach((link) => {
      const target = new URL(link.href, window.location.href);
      if (target.pathname !== url.pathname || !target.searchParams.has("tab")) return;
      for (const name of ["x", "smooth", "log"]) {
        if (url.searchParams.has(name)) target.searchParams.set(name, url.searchParams.get(name));
        else target.searchParams.delete(name);
      }
      link.href = target.pathname + target.search;
    });
  };

  const apply = (change) => {
    Object.assign(state, change);
    saveState();
    for (const chart of charts) chart.update(change).catch(() => {});
  };

  document.getElementById("x-mode").addEventListener("change", (event) => apply({ x: event.target.value }));
  const slider = document.getElementById("smoothing");
  const sliderValue = document.getElementById("smoothing-value");
  slider.addEventListener("input", () => {
    sliderValue.textContent = Number(slider.value).toFixed(2);
    apply({ smoothing: Number(slider.value) });
  });
  document.getElementById("log-scale").addEventListener("change", (event) => apply({ log: event.target.checked }));

  const metricFilter = document.getElementById("metric-filter");
  metricFilter?.addEventListener("input", () =>
    filterRows(
      metricFilter,
      document.querySelectorAll(".chart-card"),
      document.getElementById("charts-none"),
    ),
  );
  window.cairnCharts = charts; // for tests and the console
}
