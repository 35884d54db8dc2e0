/**
 * The pub/sub topics of a live view: the hooks `LiveView.subscribe`/`broadcast` reach, the
 * topics in subscription order (kept in snapshots, so a restored view listens again), and their
 * subscriptions, made only once the view is connected and dropped when it closes.
 *
 * A view listens to a topic or two: the topics are a short, exactly sized array of small
 * records, not a `Set` plus a `Map`, whose hash tables would cost several times the entries.
 * @module
 */
import type { Logger } from "../logger.js";
import type { PubSub, Unsubscribe } from "../pubsub/types.js";
import { publish } from "../pipeline/pubsub.js";
import type { PubSubHooks } from "../view/runtime.js";

/** A topic of a view and, once the view is connected, its subscription. */
export interface TopicEntry {
  readonly topic: string;
  unsubscribe: Unsubscribe | Promise<Unsubscribe> | undefined;
}

/** The view instance the topics belong to. */
export interface TopicOwner {
  readonly env: { readonly pubsub: PubSub; readonly logger: Logger };
  readonly route: { readonly view: { readonly name: string } };
  /** Whether subscriptions are wanted: the view is connected and not closed. */
  readonly listening: boolean;
  /** Records `topic` and subscribes when listening (`LiveView.subscribe`). */
  subscribe(topic: string): Promise<void>;
  /** Handles a message published on one of its topics. */
  receive(message: unknown): void;
}

/**
 * The pub/sub hooks of a view. A class rather than two arrow functions: closures made while
 * the view starts would keep that whole scope (the options with the request, a restored
 * snapshot) alive for the life of the view.
 */
export class ViewPubSub implements PubSubHooks {
  constructor(readonly owner: TopicOwner) {}

  subscribe(topic: string): Promise<void> {
    return this.owner.subscribe(topic);
  }

  broadcast(topic: string, message: unknown): Promise<void> {
    const { env, route } = this.owner;
    return publish(env.pubsub, env.logger, route.view.name, topic, message);
  }
}

/** Entries for `topics`, each once, in order, none subscribed yet. */
export function topicEntries(topics: readonly string[]): TopicEntry[] {
  return [...new Set(topics)].map((topic) => ({ topic, unsubscribe: undefined }));
}

/** The entry of `topic`, if recorded. */
export function findTopic(
  entries: readonly TopicEntry[] | undefined,
  topic: string,
): TopicEntry | undefined {
  return entries?.find((known) => known.topic === topic);
}

/** `entries` with `entry` added; `concat` sizes the array exactly (push would reserve 17). */
export function withTopic(
  entries: readonly TopicEntry[] | undefined,
  entry: TopicEntry,
): TopicEntry[] {
  return (entries ?? []).concat(entry);
}

/** The topic names of `entries`. */
export function topicNames(entries: readonly TopicEntry[]): Set<string> {
  return new Set(entries.map((entry) => entry.topic));
}

/** Subscribes `entry` for `owner`, unless it already is or the owner is not listening. */
export async function activateTopic(entry: TopicEntry, owner: TopicOwner): Promise<void> {
  if (!owner.listening || entry.unsubscribe) return;
  const unsubscribe = owner.env.pubsub.subscribe(entry.topic, (message) => {
    if (owner.listening) owner.receive(message);
  });
  entry.unsubscribe = unsubscribe;
  await unsubscribe;
}

/**
 * Ends every subscription of `entries`; the topics stay recorded (a snapshot lists them for
 * the rejoin). Failures are ignored: the pub/sub may already be closed during shutdown.
 */
export async function unsubscribeAll(entries: readonly TopicEntry[] | undefined): Promise<void> {
  // Most views (every dead render) subscribed to nothing.
  if (entries === undefined || entries.length === 0) return;
  const subscriptions: (Unsubscribe | Promise<Unsubscribe>)[] = [];
  for (const entry of entries) {
    if (entry.unsubscribe) subscriptions.push(entry.unsubscribe);
    entry.unsubscribe = undefined;
  }
  await Promise.all(
    subscriptions.map(async (pending) => {
      try {
        await (
          await pending
        )();
      } catch {
        // The pub/sub may already be closed during shutdown.
      }
    }),
  );
}
