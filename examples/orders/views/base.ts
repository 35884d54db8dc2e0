/**
 * The example's base view: what the shared layout (`_layout.html`) reads.
 * @module
 */
import { LiveView } from "../../../src/index.js";

/** Adds the user and the current page name to every render. */
export abstract class AppView extends LiveView {
  /** Highlights the page in the navigation. */
  static page = "";

  override getContextData(): Record<string, unknown> {
    return { user: this.user, page: (this.constructor as typeof AppView).page };
  }
}
