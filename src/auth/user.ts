/**
 * Users and permission checks, identical on every transport.
 * @module
 */
import { PermissionDenied, Unauthenticated } from "../errors.js";

/** A user as djust sees it. Apps return their own user objects from `loadUser`. */
export interface User {
  /** `null` for an anonymous user. */
  readonly id: string | number | null;
  readonly isAnonymous?: boolean;
  /** Permission names the user holds, e.g. `"orders.change_order"`. */
  readonly permissions?: Iterable<string>;
  /** Custom permission logic; wins over `permissions` when present. */
  hasPerm?(permission: string): boolean | Promise<boolean>;
}

/** Whether `user` is a real, logged-in user. */
export function isAuthenticated(user: User | null | undefined): user is User {
  return !!user && user.id !== null && user.isAnonymous !== true;
}

/** Whether `user` holds `permission`. */
export async function hasPermission(user: User, permission: string): Promise<boolean> {
  if (user.hasPerm) return await user.hasPerm(permission);
  if (!user.permissions) return false;
  if (user.permissions instanceof Set) return user.permissions.has(permission);
  for (const held of user.permissions) if (held === permission) return true;
  return false;
}

const NO_PERMISSIONS: readonly string[] = Object.freeze([]);

/** A view's `static permissionRequired` as a list (empty when unset). */
export function viewPermissions(view: {
  readonly permissionRequired?: string | readonly string[] | undefined;
}): readonly string[] {
  const required = view.permissionRequired;
  if (required === undefined) return NO_PERMISSIONS;
  return typeof required === "string" ? [required] : required;
}

/**
 * Requires every permission in `required`. An anonymous caller gets {@link Unauthenticated}
 * (401: logging in may help), a real user lacking one gets {@link PermissionDenied} (403).
 */
export async function requirePermissions(
  user: User | null | undefined,
  required: readonly string[],
): Promise<void> {
  if (required.length === 0) return;
  if (!isAuthenticated(user)) throw new Unauthenticated();
  for (const permission of required) {
    if (!(await hasPermission(user, permission))) {
      throw new PermissionDenied(`Permission "${permission}" is required.`);
    }
  }
}
