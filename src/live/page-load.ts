/**
 * What a dead render's view may not do: the calls only a connected view makes (timers,
 * background tasks, presence). They do nothing during the page load, and the join restores
 * the view, running `mount` again only in some cases (streams, uploads, temporary assigns…),
 * so a call made in `mount` may never take effect: the first of each call per view class is
 * logged with the fix (make it in `joined()`, which runs on every join).
 * @module
 */
import type { Logger } from "../logger.js";
import type { PresenceList, ViewPresenceHooks } from "../presence/types.js";
import type { ViewTasks } from "../view/runtime.js";

/** `view:call` pairs already logged, by app logger: one line each, however many page loads. */
const told = new WeakMap<Logger, Set<string>>();

function notice(logger: Logger, viewName: string, call: string): void {
  let logged = told.get(logger);
  if (!logged) told.set(logger, (logged = new Set()));
  const key = `${viewName}:${call}`;
  if (logged.has(key)) return;
  logged.add(key);
  logger.warn(
    `${viewName} called ${call} during the page load (dead render), which has no connection, ` +
      "so it did nothing; the join restores the view and runs mount again only in some cases, " +
      "so it may never happen. Call it in joined(), which runs on every join.",
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
