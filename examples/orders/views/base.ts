/**
 * The example's base view: what the shared layout (`_layout.html`) reads.
 * @module
 */
import { isAuthenticated, LiveView, type User } from "../../../src/index.js";

/** A user's permissions as templates test them: `perms.<app>.<codename>` is `true` when held. */
export type Perms = Record<string, Record<string, true>>;

/**
 * Django's `perms` for `user`, from the permissions `loadUser` gave it: a template shows an action
 * only to those who may use it (`{% if perms.orders.refund_order %}`). Anonymous users hold none.
 * The server still checks every event (`@permissionRequired`): hiding a button is not security.
 */
export function permsOf(user: User | null): Perms {
  const perms: Perms = Object.create(null) as Perms;
  if (!user || !isAuthenticated(user)) return perms;
  for (const permission of user.permissions ?? []) {
    const dot = permission.indexOf(".");
    if (dot <= 0) continue;
    const app = permission.slice(0, dot);
    (perms[app] ??= Object.create(null) as Record<string, true>)[permission.slice(dot + 1)] = true;
  }
  return perms;
}

/** Adds the user, their permissions and the current page name to every render. */
export abstract class AppView extends LiveView {
  /** Highlights the page in the navigation. */
  static page = "";

  override getContextData(): Record<string, unknown> {
    return {
      user: this.user,
      perms: permsOf(this.user),
      page: (this.constructor as typeof AppView).page,
    };
  }
}
