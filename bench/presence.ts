/**
 * Presence update latency with 1,000 users tracked on one topic: node A tracks (or untracks)
 * one more entry, and the time until node B's subscriber of the topic has the `presence_diff`
 * is measured — on one node over the in-process pub/sub (the diff to its own subscriber), and over a real redis-server when one is
 * installed (two nodes, each its own Redis connections, as two processes would have). Also the
 * cost of `presenceList` on that topic.
 *
 *   npx tsx bench/presence.ts
 */
import { performance } from "node:perf_hooks";
import { Presence } from "../src/presence/tracker.js";
import { MemoryPubSub } from "../src/pubsub/memory.js";
import { RedisPubSub } from "../src/pubsub/redis.js";
import type { PubSub } from "../src/pubsub/types.js";
import { startRedis } from "../test/support/redis.js";

const USERS = 1000;
const ROUNDS = 400;
const silent = { info() {}, warn() {}, error: (m: string) => console.error(m) };
const options = { timeoutMs: 30_000, maxPerTopic: 10_000, logger: silent };

const quantile = (sorted: number[], q: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN;

async function run(name: string, pubsubA: PubSub, pubsubB: PubSub): Promise<void> {
  const a = new Presence(pubsubA, options);
  // One pub/sub in one process is one node: the diff goes to its own subscriber.
  const b = pubsubA === pubsubB ? a : new Presence(pubsubB, options);
  await Promise.all([a.start(), b.start()]);
  let notify: (() => void) | undefined;
  await pubsubB.subscribe("room", (message) => {
    if ((message as { event?: string }).event === "presence_diff") notify?.();
  });
  const arrived = () => new Promise<void>((resolve) => (notify = resolve));
  // 1,000 users on the topic, known on both nodes.
  for (let i = 0; i < USERS; i++) a.track("room", `user-${i}`, { name: `User ${i}` });
  for (let i = 0; i < 200 && b.count("room") < USERS; i++)
    await new Promise((r) => setTimeout(r, 10));
  if (b.count("room") !== USERS) throw new Error(`node B knows ${b.count("room")} entries`);
  const times: number[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    const got = arrived();
    const start = performance.now();
    const ref = a.track("room", `visitor-${i}`, { name: "Visitor" });
    await got;
    times.push(performance.now() - start);
    const left = arrived();
    const leaveStart = performance.now();
    if (ref) a.untrack(ref);
    await left;
    times.push(performance.now() - leaveStart);
  }
  times.sort((x, y) => x - y);
  const listStart = performance.now();
  const LISTS = 200;
  for (let i = 0; i < LISTS; i++) b.list("room");
  const listMs = (performance.now() - listStart) / LISTS;
  console.log(
    `${name}: ${USERS} users on one topic, ${times.length} joins/leaves — latency to the subscriber ` +
      `(on the other node when two) median ${quantile(times, 0.5).toFixed(3)} ms, p99 ${quantile(times, 0.99).toFixed(3)} ms; ` +
      `presenceList of ${USERS} entries ${listMs.toFixed(3)} ms`,
  );
  await Promise.all([a.close(), b.close()]);
}

const memory = new MemoryPubSub();
await run("one node, memory pub/sub", memory, memory);
const redis = await startRedis();
if ("skip" in redis) {
  console.log(`redis: skipped (${redis.skip})`);
} else {
  const nodeA = new RedisPubSub({ url: redis.url });
  const nodeB = new RedisPubSub({ url: redis.url });
  try {
    await run("two nodes, redis-server", nodeA, nodeB);
  } finally {
    await Promise.all([nodeA.close(), nodeB.close()]);
    await redis.stop();
  }
}
