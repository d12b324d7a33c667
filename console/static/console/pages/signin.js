// Sign-in: POST /api/v1/auth/session/ with the CSRF token; shows the 401/429 problem.
import { api } from "../api.js";
import { clear, h, problemBox, showFieldErrors } from "../ui.js";

export async function signinPage(ctx) {
  const message = h("div", { id: "signin-message" });
  const form = h(
    "form",
    { class: "card narrow", novalidate: true, "aria-labelledby": "signin-title" },
    h("div", { class: "field" }, h("label", { for: "username" }, "Username"), h("input", { id: "username", name: "username", autocomplete: "username", required: true, "data-pointer": "/username" })),
    h("div", { class: "field" }, h("label", { for: "password" }, "Password"), h("input", { id: "password", name: "password", type: "password", autocomplete: "current-password", required: true, "data-pointer": "/password" })),
    message,
    h("button", { type: "submit", class: "primary" }, "Sign in"),
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    clear(message);
    try {
      const user = await api("auth/session/", { method: "POST", body: { username: form.username.value, password: form.password.value } });
      await ctx.signedIn(user);
      const next = ctx.query.get("next");
      ctx.navigate(next && next.startsWith("/") && !next.startsWith("/signin") ? next : "/jobs");
    } catch (error) {
      const shown = showFieldErrors(form, error);
      clear(message, problemBox(error, shown));
    }
  });
  clear(ctx.main, h("h1", { id: "signin-title" }, "Sign in to Conveyor"), form);
  form.username.focus();
}
