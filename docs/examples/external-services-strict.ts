// What happens when a service lands in public state: a warning and a string fallback by
// default; a TypeError with the fix in strict mode (createApp({ strictSerialization: true }) or
// DJUST_STRICT_SERIALIZATION=1).
import { LiveView } from "../../src/index.js";

export class RedisLikeClient {
  get(key: string): string {
    return key;
  }
}

export class LeaderboardView extends LiveView {
  static override templateName = "dashboard.html";
  metrics: never[] = [];

  // WRONG: a client in public state. `npx djust check` reports it (V006), and at runtime…
  redisClient = new RedisLikeClient();
}

export class FixedLeaderboardView extends LiveView {
  static override templateName = "dashboard.html";
  metrics: { name: string; value: number }[] = [];

  // RIGHT: a private helper; only the results are state.
  _redis(): RedisLikeClient {
    return new RedisLikeClient();
  }

  override mount() {
    this.metrics = [{ name: this._redis().get("top"), value: 1 }];
  }
}
