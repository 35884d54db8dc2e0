/**
 * Building blocks of the live layer: frames, tokens, payload decoding, forms, memory adapters,
 * route patterns, the transports' `Origin` check.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { z } from "zod";
import { emptyForm, form } from "../../src/live/forms.js";
import {
  decodeClientEvent,
  decodeForm,
  stripFormMeta,
  unusedFields,
} from "../../src/live/params.js";
import { decodeFrame, encodeFrame, ProtocolError, replyFrame } from "../../src/live/frame.js";
import { fillPattern, pathMatcher } from "../../src/live/routes.js";
import { sameOrigin, viaHttps } from "../../src/auth/origin.js";
import { Signer } from "../../src/auth/signing.js";
import { TokenSigner } from "../../src/live/token.js";
import { DEFAULT_LIMITS } from "../../src/server/context.js";
import { MemoryPubSub } from "../../src/pubsub/memory.js";
import { MemoryStateBackend } from "../../src/state/backends/memory.js";
import type { StoredView } from "../../src/state/backends/types.js";
import { storedView } from "../support/stored-view.js";
import { restorable } from "../../src/live/snapshot.js";

describe("channel frames", () => {
  it("round-trips V2 frames and builds replies", () => {
    const frame = decodeFrame('["1","2","lv:x","event",{"a":1}]');
    assert.deepEqual(frame, {
      joinRef: "1",
      ref: "2",
      topic: "lv:x",
      event: "event",
      payload: { a: 1 },
    });
    assert.equal(encodeFrame(frame), '["1","2","lv:x","event",{"a":1}]');
    assert.deepEqual(replyFrame(frame, "ok", { diff: {} }).payload, {
      status: "ok",
      response: { diff: {} },
    });
    assert.equal(decodeFrame('[null,"3","phoenix","heartbeat",{}]').joinRef, null);
  });

  it("rejects what is not a V2 frame", () => {
    for (const text of ["nope", "{}", "[1,2,3]", '[null,null,"","x",{}]', '[null,null,"t",5,{}]']) {
      assert.throws(() => decodeFrame(text), ProtocolError, text);
    }
  });
});

describe("tokens", () => {
  it("verifies its own tokens and refuses tampered, foreign-purpose and expired ones", () => {
    const signer = new TokenSigner(new Signer("k"), "view");
    const token = signer.sign({ id: "phx-1" });
    assert.equal(signer.verify(token, 60_000)?.id, "phx-1");
    assert.equal(signer.verify(`${token}x`, 60_000), null);
    assert.equal(signer.verify(`a${token}`, 60_000), null);
    assert.equal(new TokenSigner(new Signer("k"), "longpoll").verify(token, 60_000), null);
    assert.equal(new TokenSigner(new Signer("other"), "view").verify(token, 60_000), null);
    assert.equal(signer.verify(token, -1), null);
    assert.equal(signer.verify(42, 60_000), null);
  });
});

const DEPTH = DEFAULT_LIMITS.inputDepth;

describe("client payload decoding", () => {
  it("decodes nested, list and repeated form names", () => {
    assert.deepEqual(decodeForm("a=1&b[c]=2&b[d][]=x&b[d][]=y&a=3&e[]=&__proto__[x]=1", DEPTH), {
      a: "3",
      b: { c: "2", d: ["x", "y"] },
      e: [""],
    });
  });

  it("keeps form metadata for the forms helper and strips it for schemas", () => {
    const { params, coerceStrings } = decodeClientEvent(
      {
        type: "form",
        event: "validate",
        value: "name=x&_unused_qty=&qty=",
        meta: { _target: "name", extra: "1" },
      },
      DEPTH,
    );
    assert.equal(coerceStrings, true);
    assert.deepEqual(params, { name: "x", _unused_qty: "", qty: "", _target: "name", extra: "1" });
    assert.deepEqual([...unusedFields(params)], ["qty"]);
    assert.deepEqual(stripFormMeta(params), { name: "x", qty: "", extra: "1" });
  });

  it("passes hook payloads as JSON without coercion", () => {
    const hook = decodeClientEvent({ type: "hook", event: "moved", value: { x: 1 } }, DEPTH);
    assert.deepEqual(hook, { params: { x: 1 }, coerceStrings: false });
    const click = decodeClientEvent(
      { type: "click", event: "inc", value: { id: "3", value: "" } },
      DEPTH,
    );
    assert.deepEqual(click, { params: { id: "3", value: "" }, coerceStrings: true });
  });
});

describe("forms helper", () => {
  const Schema = z.object({ name: z.string().min(2, "too short"), qty: z.number().int().min(1) });

  it("shows errors only for touched fields while typing", async () => {
    const state = await form(Schema, { name: "a", _unused_qty: "", qty: "", _target: "name" });
    assert.equal(state.valid, false);
    assert.deepEqual(state.errors, { name: ["too short"] });
    assert.deepEqual(state.touched, ["name"]);
    assert.deepEqual(state.values, { name: "a", qty: "" });
  });

  it("remembers touched fields and shows everything on submit", async () => {
    const first = await form(Schema, { name: "a", qty: "x", _unused_qty: "" });
    const second = await form(Schema, { name: "abc", qty: "x" }, { previous: first });
    assert.ok(second.touched.includes("qty"));
    assert.ok(second.errors.qty);
    const submitted = await form(
      Schema,
      { name: "", qty: "", _unused_name: "", _unused_qty: "" },
      {
        submitted: true,
      },
    );
    assert.deepEqual(Object.keys(submitted.errors).sort(), ["name", "qty"]);
  });

  it("coerces browser strings and returns parsed data when valid", async () => {
    const state = await form(Schema, { name: "Tea", qty: "3" }, { submitted: true });
    assert.equal(state.valid, true);
    assert.deepEqual(state.data, { name: "Tea", qty: 3 });
    assert.deepEqual(emptyForm({ name: "" }).errors, {});
  });
});

describe("memory adapters", () => {
  it("pub/sub delivers JSON copies asynchronously to every subscriber until unsubscribed", async () => {
    const pubsub = new MemoryPubSub();
    const got: unknown[] = [];
    const stop = pubsub.subscribe("t", (m) => got.push(m));
    pubsub.subscribe("t", (m) => got.push(m));
    const message = { n: 1 };
    pubsub.publish("t", message);
    assert.equal(got.length, 0, "asynchronous");
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(got, [{ n: 1 }, { n: 1 }]);
    assert.notEqual(got[0], message);
    await stop();
    pubsub.publish("t", { n: 2 });
    await new Promise((r) => setImmediate(r));
    assert.equal(got.length, 3);
  });

  it("state backend expires records and evicts the oldest when full", async () => {
    let now = 1000;
    const backend = new MemoryStateBackend({ now: () => now, maxEntries: 2 });
    const record = storedView({ a: 1 });
    await backend.set("a", record, 10);
    assert.deepEqual((await backend.get("a"))?.state, { a: 1 });
    now += 11_000;
    assert.equal(await backend.get("a"), null);
    await backend.set("b", record, 10);
    await backend.set("c", record, 10);
    await backend.set("d", record, 10);
    assert.equal(await backend.get("b"), null);
    assert.ok(await backend.get("d"));
    await backend.delete("d");
    assert.equal(await backend.get("d"), null);
  });

  it("state backend evicts the least recently written record: a patch counts as a write", async () => {
    let now = 1000;
    const backend = new MemoryStateBackend({ now: () => now, maxEntries: 2 });
    const record = (count: number): StoredView => storedView({ count });
    await backend.set("a", record(1), 10);
    await backend.set("b", record(1), 10);
    now += 1000;
    // "a" was written first, then patched: "b" is now the one written longest ago.
    const patched = await backend.patch(
      "a",
      { record: record(2), fields: new Map([["count", "2"]]), deltas: new Map(), removed: [] },
      10,
    );
    assert.equal(patched, true);
    await backend.set("c", record(1), 10);
    assert.equal(await backend.get("b"), null);
    assert.deepEqual((await backend.get("a"))?.state, { count: 2 });
    assert.ok(await backend.get("c"));
    // The patch gave "a" a new lifetime: 10 s after its patch, not after its first write.
    now += 9500;
    assert.deepEqual((await backend.get("a"))?.state, { count: 2 });
    // A write drops the expired records at the front of the map even with room to spare, so
    // their memory goes before the map is full.
    const roomy = new MemoryStateBackend({ now: () => now, maxEntries: 10 });
    await roomy.set("x", record(1), 10);
    await roomy.set("y", record(1), 20);
    now += 15_000;
    await roomy.set("z", record(1), 10);
    assert.equal(roomy.size, 2);
    assert.equal(await roomy.get("x"), null);
    assert.ok(await roomy.get("y"));
  });

  it("state backend counts a touch as a write: the touched record is evicted last", async () => {
    let now = 1000;
    const backend = new MemoryStateBackend({ now: () => now, maxEntries: 2 });
    await backend.set("a", storedView({ n: 1 }), 10);
    await backend.set("b", storedView({ n: 2 }), 10);
    now += 5000;
    assert.equal(await backend.touch("a", 10), true);
    await backend.set("c", storedView({ n: 3 }), 10);
    assert.equal(await backend.get("b"), null);
    // 12 s after it was written, 7 s after its touch.
    now += 7000;
    assert.deepEqual((await backend.get("a"))?.state, { n: 1 });
    now += 3000;
    assert.equal(await backend.get("a"), null);
    assert.equal(await backend.touch("a", 10), false);
  });

  it("state backend gives back each record whole, small or large, empty parts or not", async () => {
    const backend = new MemoryStateBackend();
    const records = [
      storedView({ count: 0 }),
      storedView(
        { n: 1, at: { $type: "Date", value: "2026-01-01T00:00:00.000Z" } },
        { privateFields: ["_db"], topics: ["t"], flash: { info: "hi" }, title: "T", url: "/x" },
      ),
      storedView({ text: "x".repeat(2000), n: 2 }, { streams: ["songs"] }),
      storedView({}),
    ];
    for (const [i, record] of records.entries()) {
      const given = structuredClone(record);
      await backend.set(`r${i}`, given, 60);
      // What was written is a copy: changing the record given changes nothing stored.
      (given.state as Record<string, unknown>).n = 99;
      assert.deepStrictEqual(await backend.get(`r${i}`), record);
    }
    // Each read is the reader's own: changing one changes no later read.
    const read = await backend.get("r0");
    (read?.topics as string[]).push("mine");
    assert.deepStrictEqual((await backend.get("r0"))?.topics, []);
    // A patch of a small (packed) record keeps what it did not change.
    const patched = await backend.patch(
      "r1",
      {
        record: { ...storedView({}), topics: ["t", "u"] },
        fields: new Map([["n", "5"]]),
        deltas: new Map(),
        removed: [],
      },
      60,
    );
    assert.equal(patched, true);
    // A delta for a field the record does not hold is refused, and the record left as it was.
    const before = await backend.get("r0");
    const refused = await backend.patch(
      "r0",
      {
        record: storedView({}),
        fields: new Map(),
        deltas: new Map([["missing", "[]"]]),
        removed: [],
      },
      60,
    );
    assert.equal(refused, false);
    assert.deepStrictEqual(await backend.get("r0"), before);
    assert.deepStrictEqual(await backend.get("r1"), {
      ...storedView({ n: 5, at: { $type: "Date", value: "2026-01-01T00:00:00.000Z" } }),
      topics: ["t", "u"],
    });
  });

  it("state backend keeps the order of writes across deletes and rewrites", async () => {
    const now = 1000;
    const backend = new MemoryStateBackend({ now: () => now, maxEntries: 3 });
    const record = (count: number): StoredView => storedView({ count });
    for (const key of ["a", "b", "c"]) await backend.set(key, record(1), 10);
    // The oldest, the newest and then the only record deleted; "b" written again.
    await backend.delete("a");
    await backend.delete("c");
    await backend.set("b", record(2), 10);
    await backend.delete("b");
    assert.equal(backend.size, 0);
    // Written in the order d, e, f, then d again: e is the least recently written.
    for (const key of ["d", "e", "f"]) await backend.set(key, record(1), 10);
    await backend.set("d", record(2), 10);
    await backend.set("g", record(1), 10);
    assert.equal(await backend.get("e"), null);
    await backend.set("h", record(1), 10);
    assert.equal(await backend.get("f"), null);
    assert.deepEqual((await backend.get("d"))?.state, { count: 2 });
    assert.ok(await backend.get("g"));
    assert.ok(await backend.get("h"));
    assert.equal(backend.size, 3);
  });
});

describe("route patterns", () => {
  it("matches paths and fills patterns for {% url %}", () => {
    const match = pathMatcher("/orders/:id/items/:item?");
    assert.deepEqual(match("/orders/42/items/a%20b"), { id: "42", item: "a b" });
    assert.deepEqual(match("/orders/42/items/"), { id: "42" });
    assert.equal(match("/orders/42"), undefined);
    assert.deepEqual(pathMatcher("/")("/"), {});
    assert.equal(fillPattern("/orders/:id/", [7]), "/orders/7/");
    assert.equal(fillPattern("/q/:name{[a-z]+}/", ["a/b"]), "/q/a%2Fb/");
    // Quoted as Django's reverse() does: sub-delimiters and ~:@ stay, / and the rest are encoded.
    assert.equal(
      fillPattern("/c/:a/", ["!$&'()*+,;=~:@ /é?#"]),
      "/c/!$&'()*+,;=~:@%20%2F%C3%A9%3F%23/",
    );
  });

  it("decodes key events with their key and values", () => {
    const keyup = decodeClientEvent(
      {
        type: "keyup",
        event: "search",
        value: { key: "Enter", value: "tea" },
      },
      DEPTH,
    );
    assert.deepEqual(keyup, { params: { key: "Enter", value: "tea" }, coerceStrings: true });
  });
});

describe("Origin check of the live transports", () => {
  it("takes this server's own origin, over https too, and a client without Origin", () => {
    assert.equal(sameOrigin("http://127.0.0.1:8000", "127.0.0.1:8000", false), true);
    assert.equal(sameOrigin("https://app.example", "app.example", true), true);
    // Behind a TLS proxy the server may see plain HTTP while the page was https.
    assert.equal(sameOrigin("https://app.example", "app.example", false), true);
    assert.equal(sameOrigin(undefined, "app.example", true), true);
  });

  it("compares a differently written origin by its parsed host", () => {
    assert.equal(sameOrigin("http://APP.example", "app.example", false), true);
    assert.equal(sameOrigin("http://app.example:80", "app.example", false), true);
    assert.equal(sameOrigin("https://app.example:443", "app.example", true), true);
  });

  it("refuses another site, another port, plain http on https, and no Host", () => {
    assert.equal(sameOrigin("https://evil.example", "app.example", true), false);
    assert.equal(sameOrigin("http://evil.app.example", "app.example", false), false);
    assert.equal(sameOrigin("http://app.example.evil", "app.example", false), false);
    assert.equal(sameOrigin("http://xapp.example", "app.example", false), false);
    assert.equal(sameOrigin("http://app.example:8001", "app.example:8000", false), false);
    assert.equal(sameOrigin("http://app.example", "app.example", true), false);
    assert.equal(sameOrigin("null", "app.example", false), false);
    assert.equal(sameOrigin("http://app.example", undefined, false), false);
    assert.equal(sameOrigin("http://app.example", "", false), false);
  });

  it("believes X-Forwarded-Proto only from trusted proxies, the outermost one's entry", () => {
    const forwarded = (value: string) => new Headers({ "x-forwarded-proto": value });
    assert.equal(viaHttps(true, new Headers(), 0), true);
    assert.equal(viaHttps(false, forwarded("https"), 0), false);
    assert.equal(viaHttps(false, forwarded("https"), 1), true);
    assert.equal(viaHttps(false, forwarded("http, https"), 1), true);
    assert.equal(viaHttps(false, forwarded("https, http"), 1), false);
    assert.equal(viaHttps(false, forwarded("https, http"), 2), true);
    // A plain http page of the host may not reach a site its proxy says is https.
    assert.equal(
      sameOrigin("http://app.example", "app.example", viaHttps(false, forwarded("https"), 1)),
      false,
    );
  });
});

describe("a stored record's components", () => {
  it("come back from the record's fields into components, the next cid past them", () => {
    const counter = (id: string, count: number) => ({
      component: "Counter",
      id,
      state: { id, count },
    });
    const record = storedView(
      { title: "T", "_c:2": counter("b", 2), "_c:7": counter("c", 7) },
      { components: { next: 3, list: [] } },
    );
    const restored = restorable(record);
    assert.deepEqual(restored?.state, { title: "T" });
    assert.deepEqual(restored?.components, {
      next: 8,
      list: [
        { cid: 2, ...counter("b", 2) },
        { cid: 7, ...counter("c", 7) },
      ],
    });
    // The record read from the store is left as it was.
    assert.deepEqual(Object.keys(record.state), ["title", "_c:2", "_c:7"]);
  });

  it("leave out a field that is not a component's encoding, or a cid past the safe ones", () => {
    const good = { component: "C", id: 1, state: {} };
    const restored = restorable(
      storedView(
        {
          n: 1,
          "_c:1": good,
          "_c:x": good,
          "_c:0": good,
          "_c:01": good,
          "_c:1e0": good,
          "_c: 2": good,
          "_c:2.5": good,
          "_c:9007199254740991": good,
          "_c:2147483648": good,
          "_c:3": { component: "C", id: 1, state: [] },
          "_c:4": { component: "C", id: null, state: {} },
          "_c:5": { component: 5, id: 1, state: {} },
          "_c:6": "text",
          "_c:__proto__": good,
        },
        { components: { next: Number.NaN, list: [] } },
      ),
    );
    assert.deepEqual(restored?.state, { n: 1 });
    assert.deepEqual(restored?.components, { next: 2, list: [{ cid: 1, ...good }] });
    const plain = storedView({ n: 1 });
    assert.equal(restorable(plain), plain);
    assert.equal(restorable(null), null);
  });

  it("take components a record lists in its meta part, to be stored again as fields", () => {
    // As records were written before each component was a field of its own.
    const listed = { cid: 4, component: "C", id: 1, state: { n: 1 } };
    // Entries that are not components, or whose cid leaves no room after it, are left out.
    const hostile = [
      { ...listed, cid: 2 ** 31 },
      { ...listed, state: null },
    ] as unknown as (typeof listed)[];
    const restored = restorable(
      storedView(
        { n: 1, "_c:2": { component: "C", id: 2, state: {} } },
        {
          components: { next: 3, list: [listed, ...hostile] },
        },
      ),
    );
    assert.deepEqual(restored?.components, {
      next: 5,
      list: [listed, { cid: 2, component: "C", id: 2, state: {} }],
      listed: true,
    });
  });
});
