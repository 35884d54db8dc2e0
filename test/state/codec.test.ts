import assert from "node:assert/strict";
import { Agent } from "node:http";
import { Socket } from "node:net";
import { createReadStream } from "node:fs";
import { open } from "node:fs/promises";
import { Worker } from "node:worker_threads";
import { describe, it, after } from "node:test";
import Database from "better-sqlite3";
import { Decimal } from "decimal.js";
import { createClient } from "redis";
import {
  fromSnapshot,
  registerType,
  toSnapshot,
  toWire,
  isUUID,
  type SerializationPolicy,
} from "../../src/index.js";
import { adoptSnapshot } from "../../src/state/codec.js";
import type { JsonObject } from "../../src/state/serializable.js";
import { CapturingLogger } from "../support/logger.js";

function policy(strict = false) {
  const logger = new CapturingLogger();
  const p: SerializationPolicy = { strict, logger, view: "ShopView" };
  return { policy: p, logger };
}

/**
 * Encodes through the snapshot and back, as a state backend would (incl. JSON text); decoding
 * a copy and adopting the parsed text (as a restore does) must give the same value.
 */
function roundTrip(value: unknown): unknown {
  const { policy: p, logger } = policy();
  const text = JSON.stringify(toSnapshot(value, "field", p));
  assert.equal(logger.warnings.length, 0, "a serializable value must not warn");
  const copied = fromSnapshot(JSON.parse(text));
  const adopted = adoptSnapshot(JSON.parse(text));
  assert.deepStrictEqual(adopted, copied);
  return adopted;
}

class Product {
  constructor(
    readonly id: number,
    readonly name: string,
    readonly price: Decimal,
  ) {}
  label(): string {
    return `${this.name} (${this.price.toFixed(2)})`;
  }
}
registerType(Product, {
  name: "Product",
  encode: (p) => ({ id: p.id, name: p.name, price: p.price }),
  decode: (v) => {
    const o = v as { id: number; name: string; price: string };
    return new Product(o.id, o.name, new Decimal(o.price));
  },
});

/** The "unmanaged model" pattern: not registered, but it carries toJSON(). */
class ExternalProduct {
  constructor(
    readonly sku: string,
    readonly inStock: boolean,
  ) {}
  toJSON() {
    return { sku: this.sku, in_stock: this.inStock };
  }
}

describe("seed 000: what's serializable — every row round-trips through the snapshot", () => {
  const rows: [string, unknown, unknown][] = [
    // [row, value, expected wire JSON]
    ["primitive str", "héllo <b>", "héllo <b>"],
    ["primitive int", 42, 42],
    ["primitive float", 9.99, 9.99],
    ["primitive bool", false, false],
    ["primitive None", null, null],
    ["list", [1, "a", null], [1, "a", null]],
    ["dict", { a: 1, b: { c: [true] } }, { a: 1, b: { c: [true] } }],
    ["tuple", [1, "x"] as const, [1, "x"]],
    ["set", new Set(["b", "a", "c"]), ["b", "a", "c"]],
    ["map (string keys)", new Map([["k", 1]]), { k: 1 }],
    ["date", new Date("2026-11-21T10:00:00.123Z"), "2026-11-21T10:00:00.123Z"],
    ["uuid", "0b1e2f6a-6a47-4f1e-9d51-3c3f4a6b7c8d", "0b1e2f6a-6a47-4f1e-9d51-3c3f4a6b7c8d"],
    ["decimal", new Decimal("1234.50"), "1234.5"],
    ["bigint", 12345678901234567890n, "12345678901234567890"],
    [
      "nested structures",
      { items: [{ name: "Widget", price: 9.99 }] },
      { items: [{ name: "Widget", price: 9.99 }] },
    ],
    [
      "model (registered class)",
      new Product(1, "Widget", new Decimal("9.99")),
      { id: 1, name: "Widget", price: "9.99" },
    ],
  ];

  for (const [row, value, wire] of rows) {
    it(`${row}: exact snapshot round-trip and defined wire form`, () => {
      const restored = roundTrip(value);
      assert.deepStrictEqual(restored, value);
      assert.deepStrictEqual(toWire(value, "field", policy().policy), wire);
    });
  }

  it("uuid strings validate with the UUID helper", () => {
    assert.equal(isUUID("0b1e2f6a-6a47-4f1e-9d51-3c3f4a6b7c8d"), true);
    assert.equal(isUUID("not-a-uuid"), false);
  });

  it("restores class instances as instances (methods work), Dates as Dates, Decimals as Decimals", () => {
    const restored = roundTrip({
      p: new Product(2, "Gadget", new Decimal("0.10")),
      at: new Date(0),
    }) as {
      p: Product;
      at: Date;
    };
    assert.ok(restored.p instanceof Product);
    assert.equal(restored.p.label(), "Gadget (0.10)");
    assert.ok(restored.p.price instanceof Decimal);
    assert.ok(restored.at instanceof Date);
  });

  it("query sets: rows from a real SQL query are plain objects and round-trip", () => {
    const db = new Database(":memory:");
    db.exec("create table product (id integer primary key, name text, price real, active integer)");
    db.prepare("insert into product (name, price, active) values (?, ?, ?)").run("Widget", 9.99, 1);
    db.prepare("insert into product (name, price, active) values (?, ?, ?)").run("Gadget", 5, 0);
    const rows = db.prepare("select * from product where active = 1").all();
    db.close();
    assert.deepStrictEqual(roundTrip(rows), rows);
    assert.deepStrictEqual(toWire(rows, "products", policy().policy), [
      { id: 1, name: "Widget", price: 9.99, active: 1 },
    ]);
  });

  it("unmanaged model with toJSON(): wire and snapshot hold its JSON form", () => {
    const value = [new ExternalProduct("SKU-1", true)];
    assert.deepStrictEqual(toWire(value, "products", policy().policy), [
      { sku: "SKU-1", in_stock: true },
    ]);
    assert.deepStrictEqual(roundTrip(value), [{ sku: "SKU-1", in_stock: true }]);
  });

  it("registration wins over toJSON and the snapshot tags the type", () => {
    class Money {
      constructor(readonly cents: number) {}
      toJSON() {
        return "ignored";
      }
    }
    registerType(Money, {
      name: "Money",
      encode: (m) => m.cents,
      decode: (v) => new Money(v as number),
    });
    const { policy: p } = policy();
    assert.equal(toWire(new Money(250), "price", p), 250);
    assert.deepStrictEqual(toSnapshot(new Money(250), "price", p), { $type: "Money", value: 250 });
    assert.deepStrictEqual(roundTrip(new Money(7)), new Money(7));
  });

  it("a registered subclass of Map comes back as itself; one with its own toJSON as its JSON", () => {
    class Tally extends Map<string, number> {
      total(): number {
        return [...this.values()].reduce((a, b) => a + b, 0);
      }
    }
    registerType(Tally, {
      name: "Tally",
      encode: (t) => [...t],
      decode: (v) => new Tally(v as [string, number][]),
    });
    const back = roundTrip(new Tally([["a", 2]]));
    assert.ok(back instanceof Tally);
    assert.equal(back.total(), 2);
    class Tags extends Set<string> {
      toJSON() {
        return [...this].sort();
      }
    }
    assert.deepStrictEqual(roundTrip(new Tags(["b", "a"])), ["a", "b"]);
  });

  it("keeps a plain object's own $type key distinct from a type tag", () => {
    const value = { $type: "Date", value: "not a date" };
    assert.deepStrictEqual(roundTrip(value), value);
  });

  it("keeps undefined exact in the snapshot, and as null/omitted on the wire", () => {
    const value = { a: undefined, list: [undefined, 1] };
    assert.deepStrictEqual(roundTrip(value), value);
    assert.deepStrictEqual(toWire(value, "f", policy().policy), { list: [null, 1] });
  });

  it("keeps a __proto__ key as data, never as a prototype", () => {
    const value = JSON.parse('{"__proto__": {"polluted": true}, "ok": 1}') as Record<
      string,
      unknown
    >;
    const restored = roundTrip(value) as Record<string, unknown>;
    assert.equal(Object.getPrototypeOf(restored), Object.prototype);
    assert.deepStrictEqual(Object.keys(restored), ["__proto__", "ok"]);
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
  });

  it("adopting a parsed snapshot keeps its containers and decodes tagged values in place", () => {
    const { policy: p } = policy();
    const value = {
      rows: [{ id: 1, at: new Date("2026-01-02T03:04:05.000Z") }, { id: 2 }],
      tags: new Set([{ n: 1 }]),
    };
    const parsed = JSON.parse(JSON.stringify(toSnapshot(value, "f", p))) as JsonObject;
    const rows = parsed.rows as JsonObject[];
    const second = rows[1];
    const live = adoptSnapshot(parsed) as typeof value;
    assert.equal(live, parsed);
    assert.equal(live.rows, rows);
    assert.equal(live.rows[1], second);
    assert.ok(live.rows[0]?.at instanceof Date);
    assert.deepStrictEqual(live, value);
    // A __proto__ key whose value is decoded stays an own data property.
    const odd = JSON.parse('{"__proto__": {"$type": "BigInt", "value": "5"}}') as JsonObject;
    const adopted = adoptSnapshot(odd) as Record<string, unknown>;
    assert.equal(Object.getPrototypeOf(adopted), Object.prototype);
    assert.equal(Object.getOwnPropertyDescriptor(adopted, "__proto__")?.value, 5n);
  });

  it("Set keeps insertion order on the wire", () => {
    const set = new Set([3, 1, 2]);
    set.delete(1);
    set.add(1);
    assert.deepStrictEqual(toWire(set, "s", policy().policy), [3, 2, 1]);
  });
});

describe("seed 000: what's not serializable — warns by default, throws in strict mode", () => {
  const cleanups: (() => unknown)[] = [];
  after(async () => {
    for (const cleanup of cleanups) await cleanup();
  });

  class S3Client {
    listBuckets() {
      return [];
    }
  }

  const cases: [string, () => unknown | Promise<unknown>, string][] = [
    ["service client", () => new S3Client(), "S3Client"],
    [
      "HTTP session",
      () => {
        const agent = new Agent({ keepAlive: true });
        cleanups.push(() => agent.destroy());
        return agent;
      },
      "Agent",
    ],
    [
      "database connection",
      () => {
        const db = new Database(":memory:");
        cleanups.push(() => db.close());
        return db;
      },
      "Database",
    ],
    ["Redis client", () => createClient({ url: "redis://127.0.0.1:1" }), "RedisClient"],
    [
      "open file handle",
      async () => {
        const handle = await open(new URL(import.meta.url), "r");
        cleanups.push(() => handle.close());
        return handle;
      },
      "FileHandle",
    ],
    [
      "stream",
      () => {
        const stream = createReadStream(new URL(import.meta.url));
        cleanups.push(() => stream.destroy());
        return stream;
      },
      "ReadStream",
    ],
    [
      "thread",
      () => {
        const worker = new Worker("setInterval(() => {}, 1000)", { eval: true });
        cleanups.push(() => worker.terminate());
        return worker;
      },
      "Worker",
    ],
    [
      "timer",
      () => {
        const timer = setTimeout(() => {}, 60_000);
        cleanups.push(() => clearTimeout(timer));
        return timer;
      },
      "Timeout",
    ],
    [
      "socket",
      () => {
        const socket = new Socket();
        cleanups.push(() => socket.destroy());
        return socket;
      },
      "Socket",
    ],
    [
      "generator",
      () =>
        (function* numbers() {
          yield 1;
        })(),
      "Generator",
    ],
    ["function (lambda)", () => (x: number) => x + 1, "function (anonymous)"],
    ["promise", () => [Promise.resolve(1)], "Promise"],
    ["symbol", () => Symbol("s"), "symbol"],
    ["WeakMap", () => new WeakMap(), "WeakMap"],
    ["NaN", () => Number.NaN, "NaN"],
    ["Infinity", () => Number.POSITIVE_INFINITY, "Infinity"],
    ["Map with non-string keys", () => new Map([[1, "a"]]), "Map with non-string keys"],
    // A snapshot rebuilds the built-in, without the subclass's methods, so an unregistered
    // subclass is a class like any other (djust check says so too).
    ...(
      [
        ["Map", "Tally", () => new (class Tally extends Map<string, number> {})([["a", 1]])],
        ["Set", "Tags", () => new (class Tags extends Set<string> {})(["a"])],
        // Boxed, as a promise is (an array is unwrapped below).
        ["Array", "Rows", () => [class Rows extends Array<number> {}.from([1, 2])]],
        ["Date", "Moment", () => new (class Moment extends Date {})(0)],
      ] as const
    ).map(([base, name, make]): [string, () => unknown, string] => [
      `subclass of ${base}`,
      make,
      `${name} (a subclass of ${base}, not registered with registerType())`,
    ]),
    ["AbortController", () => new AbortController(), "AbortController"],
  ];

  // A promise is returned boxed, so `await make()` does not unwrap it.
  const unwrap = (made: unknown) => (Array.isArray(made) ? made[0] : made);

  for (const [row, make, typeName] of cases) {
    it(`${row}: warning names view, field and type; falls back to String(value)`, async () => {
      const value = unwrap(await make());
      const { policy: p, logger } = policy();
      const wire = toWire({ inner: value }, "client", p);
      assert.equal(logger.warnings.length, 1);
      const [warning] = logger.warnings;
      assert.ok(warning);
      assert.match(warning.message, /^LiveView state contains non-serializable value: /);
      assert.ok(
        warning.message.includes(`${typeName} in ShopView.client (at inner)`),
        warning.message,
      );
      assert.ok(warning.message.includes("`_client` or `#client`"), "the message names the fix");
      assert.deepStrictEqual(warning.meta, { view: "ShopView", field: "client", type: typeName });
      assert.deepStrictEqual(wire, { inner: String(value) });
    });

    it(`${row}: strict mode throws a TypeError with the same text`, async () => {
      const value = unwrap(await make());
      const { policy: p, logger } = policy(true);
      assert.throws(
        () => toSnapshot([value], "client", p),
        (error: unknown) =>
          error instanceof TypeError &&
          error.message.startsWith("LiveView state contains non-serializable value: ") &&
          error.message.includes("ShopView.client (at [0])"),
      );
      assert.equal(logger.lines.length, 0);
    });
  }

  it("a top-level service client is named with its field and no path", () => {
    const { policy: p, logger } = policy();
    toWire(new S3Client(), "s3_client", p);
    assert.equal(
      logger.warnings[0]?.message.split(". ")[0],
      "LiveView state contains non-serializable value: S3Client in ShopView.s3_client",
    );
  });

  it("names a nested value with a dotted path, brackets for indexes and odd keys", () => {
    const { policy: p, logger } = policy();
    const value = { rows: [{ meta: { "a b": { socket: new S3Client() } } }] };
    toWire(value, "report", p);
    toSnapshot(new Map([["k", [null, new S3Client()]]]), "cache", p);
    assert.deepStrictEqual(
      logger.warnings.map((w) => /in (ShopView\.\S+ \(at [^)]+\))/.exec(w.message)?.[1]),
      ['ShopView.report (at rows[0].meta["a b"].socket)', "ShopView.cache (at k[1])"],
    );
  });

  it("warns once per field when given a warned set", () => {
    const logger = new CapturingLogger();
    const p: SerializationPolicy = { strict: false, logger, view: "V", warned: new Set() };
    toWire(new S3Client(), "a", p);
    toWire(new S3Client(), "a", p);
    toWire(new S3Client(), "b", p);
    assert.equal(logger.warnings.length, 2);
  });
});

describe("cycle and depth limits", () => {
  it("reports a cycle instead of recursing forever", () => {
    const a: Record<string, unknown> = { name: "a" };
    a.self = a;
    const { policy: p, logger } = policy();
    toWire(a, "tree", p);
    assert.match(
      logger.warnings[0]?.message ?? "",
      /circular reference in ShopView\.tree \(at self\)/,
    );
    assert.throws(() => toSnapshot(a, "tree", policy(true).policy), /circular reference/);
  });

  it("shared (non-cyclic) references are fine", () => {
    const shared = { x: 1 };
    assert.deepStrictEqual(roundTrip([shared, shared]), [{ x: 1 }, { x: 1 }]);
  });

  it("refuses nesting deeper than the limit", () => {
    let deep: unknown = "leaf";
    for (let i = 0; i < 70; i++) deep = [deep];
    assert.throws(() => toWire(deep, "deep", policy(true).policy), /nesting deeper than 64 levels/);
    const p: SerializationPolicy = { ...policy(true).policy, maxDepth: 100 };
    assert.doesNotThrow(() => toWire(deep, "deep", p));
  });
});

describe("snapshot decoding errors", () => {
  it("rejects unknown or malformed tags", () => {
    assert.throws(() => fromSnapshot({ $type: "Nope", value: 1 }), /unknown type "Nope"/);
    assert.throws(() => fromSnapshot({ $type: "Date", value: 5 }), /malformed Date tag/);
    assert.throws(() => fromSnapshot({ $type: "Map", value: "x" }), /malformed Map tag/);
  });

  it("registerType refuses reserved and duplicate names", () => {
    class A {}
    class B {}
    assert.throws(
      () => registerType(A, { name: "Date", encode: () => 1, decode: () => new A() }),
      /reserved/,
    );
    registerType(A, { name: "DupName", encode: () => 1, decode: () => new A() });
    assert.throws(
      () => registerType(B, { name: "DupName", encode: () => 1, decode: () => new B() }),
      /already registered/,
    );
  });
});
