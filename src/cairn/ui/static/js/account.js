// The Account page: create a token (shown once) and revoke tokens, through the account API.
import { api, flash } from "cairn";

const form = document.getElementById("create-token");
const problem = document.getElementById("token-error");
const shown = document.getElementById("token-shown");

form?.addEventListener("submit", async (event) => {
  event.preventDefault();
  problem.hidden = true;
  const body = { name: form.elements.name.value.trim() };
  if (form.elements.expires_in.value) body.expires_in = form.elements.expires_in.value;
  try {
    const made = await api(
      "POST", `/api/v1/auth/users/${encodeURIComponent(form.dataset.username)}/tokens`, body,
    );
    document.getElementById("token-value").textContent = made.token;
    shown.hidden = false;
    form.reset();
    refreshList();
  } catch (err) {
    problem.textContent = err.message;
    problem.hidden = false;
  }
});

document.getElementById("copy-token")?.addEventListener("click", async () => {
  const value = document.getElementById("token-value").textContent;
  try {
    await navigator.clipboard.writeText(value);
    flash("Copied.", { ok: true });
  } catch {
    flash("Copying is not allowed here; select the token and copy it by hand.");
  }
});

async function refreshList() {
  // The list below the form, re-read from the server (the new token stays shown above).
  const answer = await fetch(window.location.href, { headers: { Accept: "text/html" } });
  const page = new DOMParser().parseFromString(await answer.text(), "text/html");
  const fresh = page.querySelector("#tokens-table")?.closest("section");
  const current = document.querySelector("#tokens-table")?.closest("section")
    || document.querySelectorAll("section.card")[1];
  if (fresh && current) current.replaceWith(fresh);
}

document.addEventListener("click", async (event) => {
  const button = event.target.closest("button[data-revoke]");
  if (!button) return;
  const row = button.closest("tr");
  const current = row.querySelector(".badge.status-RUNNING");
  const warning = current ? " This is the session you are using: you will be signed out." : "";
  if (!window.confirm(`Revoke token ${row.dataset.tokenId}?${warning}`)) return;
  button.disabled = true;
  try {
    await api("DELETE", `/api/v1/auth/tokens/${row.dataset.tokenId}`);
    if (current) {
      window.location.assign("/login");
      return;
    }
    await refreshList();
    flash("Token revoked.", { ok: true });
  } catch (err) {
    flash(err.message);
    button.disabled = false;
  }
});
