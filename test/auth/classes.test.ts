import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  ANONYMOUS_USER,
  AllowAny,
  SessionAuth,
  authClassesOf,
  authInstance,
  authenticate,
  isCsrfExemptAuth,
  type AuthContext,
} from "../../src/auth/classes.js";

const ctx = (
  userId: string | number | null,
  users: Record<string, { id: number }> = {},
): AuthContext => ({
  session:
    userId === undefined ? null : { id: "sid", record: { data: {}, userId, csrfToken: "t" } },
  clientIp: null,
  loadUser: async (id) => users[String(id)] ?? null,
});

describe("auth classes", () => {
  it("classes are instantiated once; instances are used as is", () => {
    let made = 0;
    class Counting {
      constructor() {
        made += 1;
      }
      authenticate() {
        return null;
      }
    }
    assert.equal(authInstance(Counting), authInstance(Counting));
    assert.equal(made, 1);
    const instance = { authenticate: () => null };
    assert.equal(authInstance(instance), instance);
  });

  it("entries without authenticate() are refused", () => {
    class Nope {}
    assert.throws(() => authInstance(Nope), /has no authenticate/);
    assert.throws(() => authInstance({}), /must be a class or an object/);
  });

  it("default is [SessionAuth]", () => {
    const classes = authClassesOf({});
    assert.equal(classes.length, 1);
    assert.ok(classes[0] instanceof SessionAuth);
  });

  it("SessionAuth: the session's user via loadUser, null otherwise", async () => {
    const auth = new SessionAuth();
    assert.deepEqual(await auth.authenticate(new Request("http://x/"), ctx(3, { 3: { id: 3 } })), {
      id: 3,
    });
    assert.equal(await auth.authenticate(new Request("http://x/"), ctx(null)), null);
    assert.equal(await auth.authenticate(new Request("http://x/"), ctx(4)), null, "unknown user");
    assert.equal(
      await auth.authenticate(new Request("http://x/"), { ...ctx(null), session: null }),
      null,
    );
    assert.equal(isCsrfExemptAuth(auth), false);
  });

  it("AllowAny: anonymous, CSRF-exempt, documented as {}", () => {
    const auth = new AllowAny();
    assert.equal(auth.authenticate(), ANONYMOUS_USER);
    assert.equal(ANONYMOUS_USER.id, null);
    assert.equal(isCsrfExemptAuth(auth), true);
    assert.deepEqual(auth.securityScheme, {});
  });

  it("a static csrfExempt on a custom class counts too", () => {
    class Static {
      static csrfExempt = true;
      authenticate() {
        return null;
      }
    }
    assert.equal(isCsrfExemptAuth(authInstance(Static)), true);
  });

  it("authenticate() tries classes in order; first user wins", async () => {
    const a = { authenticate: () => null };
    const b = { authenticate: async () => ({ id: 2 }) };
    const c = { authenticate: () => ({ id: 3 }) };
    const winner = await authenticate([a, b, c], new Request("http://x/"), ctx(null));
    assert.equal(winner?.auth, b);
    assert.deepEqual(winner?.user, { id: 2 });
    assert.equal(await authenticate([a], new Request("http://x/"), ctx(null)), null);
  });
});

describe("MemorySessionStore", () => {
  it("returns copies, expires records and sweeps expired ones", async () => {
    const { MemorySessionStore } = await import("../../src/auth/session.js");
    const store = new MemorySessionStore();
    store.set("a", { data: { n: 1 }, userId: 1, csrfToken: "t" }, 60);
    const got = store.get("a")!;
    (got.data as { n: number }).n = 2;
    assert.deepEqual(store.get("a")!.data, { n: 1 });
    store.set("old", { data: {}, userId: null, csrfToken: "t" }, -1);
    assert.equal(store.get("old"), undefined);
    for (let i = 0; i < 1100; i++)
      store.set(`x${i}`, { data: {}, userId: null, csrfToken: "t" }, -1);
    assert.ok(store.size < 200, String(store.size));
  });
});
