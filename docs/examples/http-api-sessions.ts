// Logging in on your own routes (app.hono), CSRF on unsafe methods, and exempt webhooks.
import { createApp, csrfExempt, login, logout } from "../../src/server/index.js";

const passwords = new Map([["alice", { id: 1, password: "correct horse" }]]);

export const app = createApp({
  secretKey: "docs-example-secret",
  loadUser: (id) => ({ id: Number(id) }),
});

// The login form posts before a session exists, so it is exempt; login() rotates the session
// id and CSRF token and sets both cookies.
app.hono.post(
  "/login/",
  csrfExempt(async (c) => {
    const form = await c.req.parseBody();
    const account = passwords.get(String(form.username));
    if (!account || account.password !== form.password) return c.text("Invalid login", 401);
    const { csrfToken } = await login(c, { id: account.id });
    return c.json({ csrfToken });
  }),
);

// CSRF-checked like every POST: X-CSRFToken header or csrfmiddlewaretoken form field.
app.hono.post("/logout/", async (c) => {
  await logout(c);
  return c.redirect("/");
});

// Called by a payment provider, authenticated by its own signature instead.
app.hono.post(
  "/webhooks/payments/",
  csrfExempt(async (c) => c.json({ received: true })),
);
