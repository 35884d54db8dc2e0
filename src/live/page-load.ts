/**
 * What a dead render's view may not do: the calls only a connected view makes (timers,
 * background tasks, presence). They do nothing during the page load, and the join restores
 * the view without running `mount` again, so a call made there never takes effect at all: the
 * first of each kind per view class is logged with the fix (make it in `joined()`).
 * @module
 */
import type { Logger } from "../logger.js";
import type { PresenceList, ViewPresenceHooks } from "../presence/types.js";
import type { ViewTasks } from "../view/runtime.js";

/** `view:call` pairs already logged: one line each per process, however many page loads. */
const told = new Set<string>();

function notice(logger: Logger, viewName: string, call: string): void {
  const key = `${viewName}:${call}`;
  if (told.has(key)) return;
  told.add(key);
  logger.warn(
    `${viewName} called ${call} during the page load (dead render), which has no connection; ` +
      "the join restores the view without running mount again, so this does nothing. " +
      "Call it in joined(), which runs on every join.",
    { view: viewName },
  );
}

const noop = (): void => {};

/**
 * The timers and tasks of a dead render's view: none. An `assignAsync` needs no word: a
 * restore whose field is still loading runs `mount` again, which starts its loader.
 */
export class PageLoadTasks implements ViewTasks {
  constructor(
    readonly viewName: string,
    readonly logger: Logger,
  ) {}

  sendAfter(): () => void {
    notice(this.logger, this.viewName, "sendAfter");
    return noop;
  }

  startAsync(): void {
    notice(this.logger, this.viewName, "startAsync");
  }

  assignAsync(): void {}

  cancelAsync(): boolean {
    return false;
  }
}

/** The presence of a dead render's view: it lists who is there, and tracks nothing. */
export class PageLoadPresence implements ViewPresenceHooks {
  constructor(
    readonly viewName: string,
    readonly logger: Logger,
    readonly lister: Pick<ViewPresenceHooks, "list">,
  ) {}

  track(): boolean {
    notice(this.logger, this.viewName, "track");
    return false;
  }

  untrack(): void {}

  list(topic: string): PresenceList {
    return this.lister.list(topic);
  }
}
