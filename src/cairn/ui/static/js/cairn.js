// Helpers shared by every page: calls to the JSON API with the session's CSRF header, and a
// flash message for errors. Pages import them: `import { api, flash } from "cairn";`.

const csrf = document.querySelector('meta[name="cairn-csrf"]')?.content || "";

/** Show a message in the corner; errors stay until clicked, others fade. */
export function flash(message, { ok = false } = {}) {
  const box = document.getElementById("flash");
  if (!box) return;
  box.textContent = message;
  box.classList.toggle("ok", ok);
  box.hidden = false;
  clearTimeout(box._timer);
  if (ok) box._timer = setTimeout(() => { box.hidden = true; }, 3500);
}

/** Call the JSON API; resolves to the answer's JSON, rejects with its error message. */
export async function api(method, url, body) {
  const headers = { Accept: "application/json" };
  if (csrf) headers["X-Cairn-CSRF"] = csrf;
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const answer = await fetch(url, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
    credentials: "same-origin",
  });
  let payload = null;
  try {
    payload = await answer.json();
  } catch {
    payload = null;
  }
  if (!answer.ok) {
    const message = payload?.message || `${method} ${url} failed with HTTP ${answer.status}`;
    throw new Error(message);
  }
  return payload;
}

/** Run `work` for each item, at most `limit` at a time; resolves to the errors met. */
export async function eachLimited(items, limit, work) {
  const errors = [];
  let next = 0;
  async function lane() {
    while (next < items.length) {
      const item = items[next++];
      try {
        await work(item);
      } catch (err) {
        errors.push(err);
      }
    }
  }
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, lane));
  return errors;
}

document.addEventListener("click", (event) => {
  if (event.target.closest("#flash")) document.getElementById("flash").hidden = true;
});

// htmx: send the CSRF header on changes, and show what a failed request answered.
document.addEventListener("htmx:configRequest", (event) => {
  if (csrf) event.detail.headers["X-Cairn-CSRF"] = csrf;
});
document.addEventListener("htmx:responseError", (event) => {
  const xhr = event.detail.xhr;
  let message = xhr.responseText || `HTTP ${xhr.status}`;
  try {
    message = JSON.parse(message).message || message;
  } catch {
    // an HTML fragment or plain text: shown as it is
  }
  flash(message);
});
document.addEventListener("htmx:sendError", () => {
  flash("The server cannot be reached; check that it is running, then try again.");
});
