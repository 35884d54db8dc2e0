// Many nodes: share rate-limit buckets and sessions through Redis, so a caller's limit holds
// across all of them (and across WebSocket and HTTP), and any node accepts any session.
import { createClient } from "redis";
import { RedisRateLimitStore, RedisSessionStore, createApp } from "../../src/server/index.js";

export async function createProductionApp(redisUrl: string) {
  const redis = createClient({ url: redisUrl });
  await redis.connect();
  const app = createApp({
    secretKey: process.env.DJUST_SECRET_KEY ?? "docs-example-secret",
    rateLimitStore: new RedisRateLimitStore(redis, { prefix: "myapp:rl:" }), // one Lua script per call
    sessionStore: new RedisSessionStore(redis, { prefix: "myapp:session:" }),
    trustedProxyCount: 1, // behind one load balancer: X-Forwarded-For's last entry is the client
  });
  return { app, close: () => redis.close() };
}
