// The experiments page: create, rename, delete and restore through the JSON API.
import { api, flash } from "cairn";

const createForm = document.getElementById("create-experiment");
const createError = document.getElementById("create-error");

createForm?.addEventListener("submit", async (event) => {
  event.preventDefault();
  const input = createForm.elements.name;
  const name = input.value.trim();
  createError.hidden = true;
  input.removeAttribute("aria-invalid");
  if (!name) return;
  try {
    const made = await api("POST", "/api/v1/experiments", { name });
    window.location.assign(`/experiments/${made.experiment_id}`);
  } catch (err) {
    createError.textContent = err.message;
    createError.hidden = false;
    input.setAttribute("aria-invalid", "true");
    input.focus();
  }
});

document.getElementById("show-deleted")?.addEventListener("change", (event) => {
  window.location.assign(event.target.dataset.href);
});

function startRename(row) {
  const cell = row.querySelector(".name-cell");
  if (cell.querySelector("form")) return;
  const old = row.dataset.name;
  const kept = cell.innerHTML;
  const form = document.createElement("form");
  form.className = "toolbar rename-form";
  form.innerHTML =
    '<input type="text" name="name" aria-label="New name" required maxlength="500">' +
    '<button type="submit" class="small primary">Save</button>' +
    '<button type="button" class="small" data-cancel>Cancel</button>' +
    '<p class="field-error" hidden></p>';
  const input = form.elements.name;
  input.value = old;
  const problem = form.querySelector(".field-error");
  cell.replaceChildren(form);
  input.focus();
  input.select();
  const cancel = () => { cell.innerHTML = kept; };
  form.querySelector("[data-cancel]").addEventListener("click", cancel);
  form.addEventListener("keydown", (event) => { if (event.key === "Escape") cancel(); });
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const name = input.value.trim();
    if (name === old) return cancel();
    try {
      await api("PATCH", `/api/v1/experiments/${row.dataset.experimentId}`, { name });
      window.location.reload();
    } catch (err) {
      problem.textContent = err.message;
      problem.hidden = false;
      input.setAttribute("aria-invalid", "true");
    }
  });
}

async function act(row, action) {
  const id = row.dataset.experimentId;
  const name = row.dataset.name;
  if (action === "rename") return startRename(row);
  if (action === "delete") {
    const ok = window.confirm(
      `Delete experiment "${name}" and its runs? You can restore it from "Show deleted".`,
    );
    if (!ok) return;
    await api("DELETE", `/api/v1/experiments/${id}`);
  } else if (action === "restore") {
    await api("POST", `/api/v1/experiments/${id}/restore`);
  }
  window.location.reload();
}

document.getElementById("experiments-table")?.addEventListener("click", (event) => {
  const button = event.target.closest("button[data-action]");
  if (!button) return;
  const row = button.closest("tr");
  button.disabled = true;
  act(row, button.dataset.action)
    .catch((err) => flash(err.message))
    .finally(() => { button.disabled = false; });
});
