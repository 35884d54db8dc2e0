// Request bodies: content types, size limits while streaming, JSON shape, hostile input.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  bodyReadError,
  isJsonContentType,
  parseJsonObject,
  readJsonText,
} from "../../src/api/body.js";
import { DjustError } from "../../src/errors.js";
import { call, makeApp } from "./fixtures.js";

function streamOf(chunks: Uint8Array[], onPull?: () => void): ReadableStream<Uint8Array> {
  let i = 0;
  return new ReadableStream({
    pull(controller) {
      onPull?.();
      if (i < chunks.length) controller.enqueue(chunks[i++] as Uint8Array);
      else controller.close();
    },
  });
}

function streamed(body: ReadableStream<Uint8Array>, type = "application/json"): Request {
  return new Request("http://localhost/djust/api/public/ping/", {
    method: "POST",
    headers: { "content-type": type },
    body,
    duplex: "half",
  } as RequestInit);
}

async function kindOf(read: () => unknown): Promise<string> {
  try {
    await read();
    return "ok";
  } catch (error) {
    assert.ok(error instanceof DjustError, String(error));
    return `${error.status} ${error.kind}`;
  }
}

describe("readJsonText / parseJsonObject", () => {
  it("recognises JSON media types", () => {
    for (const t of [
      "application/json",
      "application/json; charset=utf-8",
      "Application/JSON",
      "application/vnd.api+json",
      "application/problem+json",
    ]) {
      assert.equal(isJsonContentType(t), true, t);
    }
    for (const t of [
      null,
      "",
      "text/plain",
      "application/x-www-form-urlencoded",
      "text/json",
      "application/jsonp",
      "+json",
    ]) {
      assert.equal(isJsonContentType(t), false, String(t));
    }
  });

  it("stops reading a streamed body as soon as it passes the limit", async () => {
    let pulls = 0;
    const chunk = new Uint8Array(1024).fill(0x20);
    const chunks = Array.from({ length: 1000 }, () => chunk);
    const result = await kindOf(() =>
      readJsonText(streamed(streamOf(chunks, () => pulls++)), 4096),
    );
    assert.equal(result, "413 payload_too_large");
    assert.ok(pulls < 10, `read ${pulls} chunks of 1000`);
  });

  it("refuses a declared Content-Length above the limit without reading", async () => {
    const request = new Request("http://x/", {
      method: "POST",
      headers: { "content-type": "application/json", "content-length": "999999" },
      body: "{}",
    });
    assert.equal(await kindOf(() => readJsonText(request, 100)), "413 payload_too_large");
  });

  it("a Content-Length that lies low does not let the body be read past the limit", async () => {
    let pulls = 0;
    const chunk = new Uint8Array(1024).fill(0x20);
    const chunks = Array.from({ length: 1000 }, () => chunk);
    const lying = (headers: Record<string, string>) =>
      new Request("http://localhost/djust/api/public/echo/", {
        method: "POST",
        headers: { "content-type": "application/json", ...headers },
        body: streamOf(chunks, () => pulls++),
        duplex: "half",
      } as RequestInit);
    const direct = await kindOf(() => readJsonText(lying({ "content-length": "2" }), 4096));
    assert.equal(direct, "413 payload_too_large");
    assert.ok(pulls < 10, `read ${pulls} chunks of 1000`);
    // Through app.fetch, where no HTTP parser holds the body to its header.
    pulls = 0;
    const app = makeApp({ limits: { bodyBytes: 4096 } });
    const res = await app.fetch(lying({ "content-length": "2" }));
    assert.equal(res.status, 413);
    assert.deepEqual(await res.json(), {
      error: "payload_too_large",
      message: "The request body exceeds 4096 bytes.",
      details: { limit: 4096 },
    });
    assert.ok(pulls < 10, `app.fetch read ${pulls} chunks of 1000`);
  });

  it("accepts a streamed body exactly at the limit, in several chunks", async () => {
    const text = JSON.stringify({ a: "x".repeat(90) });
    const bytes = new TextEncoder().encode(text);
    const parts = [bytes.slice(0, 10), bytes.slice(10, 50), bytes.slice(50)];
    const read = await readJsonText(streamed(streamOf(parts)), bytes.byteLength);
    assert.deepEqual(parseJsonObject(read, bytes.byteLength), { a: "x".repeat(90) });
  });

  it("a non-JSON streamed body is 415 after its first byte", async () => {
    let pulls = 0;
    const chunks = Array.from({ length: 100 }, () => new Uint8Array([0x61]));
    const result = await kindOf(() =>
      readJsonText(
        streamed(
          streamOf(chunks, () => pulls++),
          "text/plain",
        ),
        1000,
      ),
    );
    assert.equal(result, "415 unsupported_media_type");
    assert.ok(pulls <= 3);
  });

  it("a body stream that breaks mid-read is 400 'Could not read the request body.'", async () => {
    const broken = () =>
      new ReadableStream<Uint8Array>({
        start(controller) {
          controller.enqueue(new TextEncoder().encode('{"a":'));
          controller.error(new Error("connection reset"));
        },
      });
    await assert.rejects(
      async () => readJsonText(streamed(broken()), 100),
      (error: unknown) => {
        const mapped = bodyReadError(error);
        return (
          mapped.status === 400 &&
          mapped.kind === "invalid_json" &&
          mapped.message === "Could not read the request body."
        );
      },
    );
    const refusal = new DjustError("payload_too_large", "too big");
    assert.equal(bodyReadError(refusal), refusal, "a size or type refusal stays what it is");
    // The same through the API, streamed and with a declared length.
    const app = makeApp();
    for (const headers of [{}, { "content-length": "20" }]) {
      const request = new Request("http://localhost/djust/api/public/ping/", {
        method: "POST",
        headers: { "content-type": "application/json", ...headers },
        body: broken(),
        duplex: "half",
      } as RequestInit);
      const response = await app.fetch(request);
      assert.equal(response.status, 400);
      assert.deepEqual(await response.json(), {
        error: "invalid_json",
        message: "Could not read the request body.",
      });
    }
  });

  it("invalid UTF-8 is invalid_json", async () => {
    const request = streamed(streamOf([new Uint8Array([0x22, 0xff, 0x22])]));
    assert.equal(await kindOf(() => readJsonText(request, 100)), "400 invalid_json");
  });

  it("parseJsonObject: {} when empty, 400 for malformed JSON and non-objects, 413 past the limit", async () => {
    assert.deepEqual(parseJsonObject("", 10), {});
    assert.deepEqual(parseJsonObject('{"a":1}', 10), { a: 1 });
    assert.equal(await kindOf(() => parseJsonObject('{"a":', 10)), "400 invalid_json");
    for (const text of ["[1]", "null", "3", '"s"']) {
      assert.throws(
        () => parseJsonObject(text, 10),
        (error: unknown) =>
          error instanceof DjustError && error.message === "The body must be a JSON object.",
      );
    }
    assert.equal(await kindOf(() => parseJsonObject('{"a":"long"}', 5)), "413 payload_too_large");
  });
});

describe("HTTP API bodies", () => {
  it("an empty body is {} (no Content-Type needed)", async () => {
    const app = makeApp();
    assert.equal((await call(app, "public/ping/")).status, 200);
    assert.equal((await call(app, "public/ping/", { body: "" })).status, 200);
    assert.equal(
      (await call(app, "public/ping/", { body: "", headers: { "content-type": "text/plain" } }))
        .status,
      200,
    );
  });

  it("415 unsupported_media_type for a non-empty non-JSON body", async () => {
    const app = makeApp();
    for (const type of ["text/plain", "application/x-www-form-urlencoded", ""]) {
      const res = await call(app, "public/ping/", {
        body: "a=1",
        headers: type ? { "content-type": type } : {},
      });
      assert.equal(res.status, 415, type);
      assert.equal(res.body.error, "unsupported_media_type");
    }
    const vendor = await call(app, "public/ping/", {
      body: "{}",
      headers: { "content-type": "application/vnd.api+json" },
    });
    assert.equal(vendor.status, 200);
  });

  it("413 payload_too_large over limits.bodyBytes (partial limits merge with defaults)", async () => {
    const app = makeApp({ limits: { bodyBytes: 64 } });
    const res = await call(app, "public/ping/", { json: { pad: "x".repeat(100) } });
    assert.equal(res.status, 413);
    assert.equal(res.body.error, "payload_too_large");
    assert.equal((await call(app, "public/ping/", { json: { pad: "x" } })).status, 200);
    assert.equal(app.context.options.limits.frameBytes, 64 * 1024);
  });

  it("400 invalid_json for malformed JSON and for non-object JSON", async () => {
    const app = makeApp();
    for (const body of ["{", "{'a':1}", "[1,2]", "null", "42", '"str"', "true", " "]) {
      const res = await call(app, "public/ping/", {
        body,
        headers: { "content-type": "application/json" },
      });
      assert.equal(res.status, 400, body);
      assert.equal(res.body.error, "invalid_json", body);
    }
  });

  it("prototype pollution keys are refused (400) and never reach a prototype", async () => {
    const app = makeApp();
    const payloads = [
      '{"__proto__": {"polluted": true}}',
      '{"constructor": {"prototype": {"polluted": true}}}',
      '{"a": {"__proto__": {"polluted": true}}}',
      '{"a": [{"constructor": 1}]}',
      '{"prototype": 1}',
    ];
    for (const path of ["public/echo/", "public/ping/"]) {
      for (const body of payloads) {
        const res = await call(app, path, {
          body,
          headers: { "content-type": "application/json" },
        });
        assert.equal(res.status, 400, body);
        assert.equal(res.body.error, "validation_error");
        const messages = Object.values(res.body.details as Record<string, string[]>).flat();
        assert.ok(
          messages.some((m) => /not allowed/.test(m)),
          body,
        );
      }
    }
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
    assert.equal(Object.prototype.hasOwnProperty.call(Object.prototype, "polluted"), false);
    const fine = await call(app, "public/echo/", { json: { a: 1, b: { c: [1] } } });
    assert.deepEqual(fine.body.result, { keys: ["a", "b"], plain: true });
  });

  it("deeply nested bodies are refused without crashing", async () => {
    const app = makeApp();
    for (const depth of [40, 5000, 200_000]) {
      const body = `{"a":${"[".repeat(depth)}${"]".repeat(depth)}}`;
      const res = await call(app, "public/echo/", {
        body,
        headers: { "content-type": "application/json" },
      });
      assert.equal(res.status, 400, String(depth));
      assert.equal(res.body.error, "validation_error", String(depth));
      assert.match(String(res.body.message), /nested too deeply/);
    }
    const objects = `${'{"a":'.repeat(10_000)}1${"}".repeat(10_000)}`;
    const res = await call(app, "public/echo/", {
      body: objects,
      headers: { "content-type": "application/json" },
    });
    assert.equal(res.status, 400);
  });
});
