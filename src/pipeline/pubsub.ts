/**
 * `subscribe`/`broadcast` on every transport. A broadcast is fire-and-forget for the view
 * (`void this.broadcast(...)` is a common call), so a failing pub/sub is logged with its cause
 * and never surfaces as an unhandled rejection that would end the process.
 * @module
 */
import { errorText, type Logger } from "../logger.js";
import type { PubSub } from "../pubsub/types.js";
import type { PubSubHooks } from "../view/runtime.js";

/** Publishes `message` on `topic`; failures go to `logger`, the promise always fulfils. */
export function publish(
  pubsub: PubSub,
  logger: Logger,
  view: string,
  topic: string,
  message: unknown,
): Promise<void> {
  const failed = (error: unknown) =>
    logger.error(`${view}: broadcast on "${topic}" failed`, {
      view,
      topic,
      error: errorText(error),
    });
  try {
    return Promise.resolve(pubsub.publish(topic, message)).catch(failed);
  } catch (error) {
    failed(error);
    return Promise.resolve();
  }
}

/**
 * The pub/sub of a view that lives for one HTTP API call: `broadcast` reaches live views on
 * every node; `subscribe` (typically in `mount`) is accepted and does nothing, since the view
 * ends with the call and would never receive a message.
 */
export class CallPubSub implements PubSubHooks {
  constructor(
    readonly pubsub: PubSub,
    readonly logger: Logger,
    readonly view: string,
  ) {}

  subscribe(): void {}

  broadcast(topic: string, message: unknown): Promise<void> {
    return publish(this.pubsub, this.logger, this.view, topic, message);
  }
}
