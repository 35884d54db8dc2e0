/**
 * Fuzz targets (fast-check): the WebSocket / long-poll frame decoder, the event-payload
 * decoders and the template parser. Each property asserts that an input either decodes or
 * fails with the decoder's documented error (never another exception, a hang, or a change to
 * `Object.prototype`). Run small inside `npm test` (test/fuzz/decoders.test.ts) and big on
 * demand (`npx tsx bench/fuzz.ts`).
 */
import fc from "fast-check";
import { ValidationError } from "../../src/errors.js";
import { decodeFrame, ProtocolError } from "../../src/live/frame.js";
import { decodeClientEvent, readClientEvent } from "../../src/live/params.js";
import { DEFAULT_LIMITS } from "../../src/server/context.js";
import { TemplateSyntaxError } from "../../src/template/errors.js";
import { parseTemplate } from "../../src/template/parser.js";

/** What one target run found. */
export interface FuzzReport {
  readonly name: string;
  readonly runs: number;
  readonly documentedErrors: number;
  readonly slowestMs: number;
  readonly ms: number;
}

const PROTO_KEYS = Object.getOwnPropertyNames(Object.prototype).join(",");

function prototypeIntact(): boolean {
  const probe = {} as Record<string, unknown>;
  return (
    Object.getOwnPropertyNames(Object.prototype).join(",") === PROTO_KEYS &&
    probe.isAdmin === undefined &&
    probe.x === undefined &&
    Object.getPrototypeOf(probe) === Object.prototype
  );
}

// JSON-ish values with the keys an attacker tries, nested deep now and then.
const key = fc.oneof(
  fc.constantFrom("__proto__", "constructor", "prototype", "isAdmin", "_target", "_unused_a", "x"),
  fc.string({ maxLength: 8 }),
);
const { value: jsonValue } = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: "small" },
    fc.constant(null),
    fc.boolean(),
    fc.double(),
    fc.string({ maxLength: 16 }),
    fc.array(tie("value"), { maxLength: 4 }),
    fc.dictionary(key, tie("value"), { maxKeys: 4 }),
  ),
}));
const deepValue = fc
  .tuple(fc.integer({ min: 1, max: 5000 }), fc.constantFrom("[", '{"a":'))
  .map(([depth, open]) => {
    const close = open === "[" ? "]" : "}";
    return `${open.repeat(depth)}1${close.repeat(depth)}`;
  });
// Form names with Plug-style brackets, the forbidden keys among the segments.
const formName = fc
  .array(fc.oneof(key, fc.constant("")), { minLength: 1, maxLength: 40 })
  .map(([head, ...rest]) => `${head || "a"}${rest.map((k) => `[${k}]`).join("")}`);
const formBody = fc
  .array(fc.tuple(formName, fc.string({ maxLength: 8 })), { maxLength: 6 })
  .map((pairs) =>
    pairs.map(([n, v]) => `${encodeURIComponent(n)}=${encodeURIComponent(v)}`).join("&"),
  );
const deepForm = fc.integer({ min: 33, max: 20_000 }).map((n) => `a${"[b]".repeat(n)}=1`);

/** Frame texts: valid frames, mutated frames, deep JSON, random text. */
const frameText = fc.oneof(
  fc
    .tuple(
      fc.oneof(fc.constant(null), fc.string({ maxLength: 4 }), fc.integer()),
      fc.oneof(fc.constant(null), fc.string({ maxLength: 4 }), fc.double()),
      fc.oneof(fc.constant("lv:phx-1"), fc.constant("phoenix"), fc.string({ maxLength: 12 })),
      fc.constantFrom("phx_join", "event", "live_patch", "heartbeat", "allow_upload", ""),
      jsonValue,
    )
    .map((frame) => JSON.stringify(frame)),
  jsonValue.map((v) => JSON.stringify(v)),
  deepValue.map((deep) => `["1","1","lv:x","event",{"value":${deep}}]`),
  fc.string({ maxLength: 200 }),
  fc.string({ maxLength: 200 }).map((s) => `["1","1","lv:x","event",${s}]`),
);

/** Event payloads as a client could send them. */
const eventPayload = fc.oneof(
  fc.record({
    type: fc.constantFrom("click", "form", "hook", "keyup"),
    event: fc.string({ minLength: 1, maxLength: 8 }),
    value: fc.oneof(jsonValue, formBody, deepForm),
    meta: fc.option(jsonValue, { nil: undefined }),
  }),
  deepValue.map((deep) => ({ type: "click", event: "e", value: JSON.parse(deep) as unknown })),
  jsonValue,
);

/** Template sources: fragments of the Django syntax glued together, and random text. */
const templatePiece = fc.oneof(
  fc.constantFrom(
    "{{ x }}",
    "{{ x|upper }}",
    '{{ x|default:"a" }}',
    "{% if x %}",
    "{% elif y %}",
    "{% else %}",
    "{% endif %}",
    "{% for a in b %}",
    "{% empty %}",
    "{% endfor %}",
    "{% with a=b %}",
    "{% endwith %}",
    "{# c #}",
    "{% comment %}",
    "{% endcomment %}",
    "{% block a %}",
    "{% endblock %}",
    "{%",
    "%}",
    "{{",
    "}}",
    "{% csrf_token %}",
    '{% url "x" %}',
    "{% verbatim %}",
    "{% endverbatim %}",
    '<div class="{{ c }}">',
    "</div>",
  ),
  fc.string({ maxLength: 12 }),
);
const templateSource = fc.oneof(
  fc.array(templatePiece, { maxLength: 30 }).map((parts) => parts.join("")),
  fc.integer({ min: 1, max: 3000 }).map((n) => "{% if x %}".repeat(n) + "{% endif %}".repeat(n)),
);

/** Runs `check` on `runs` inputs of `arb`; throws on the first undocumented outcome. */
function runTarget<T>(
  name: string,
  arb: fc.Arbitrary<T>,
  check: (input: T) => void,
  documented: (error: unknown) => boolean,
  runs: number,
  seed?: number,
): FuzzReport {
  let documentedErrors = 0;
  let slowestMs = 0;
  const started = performance.now();
  fc.assert(
    fc.property(arb, (input) => {
      const t0 = performance.now();
      try {
        check(input);
      } catch (error) {
        if (!documented(error)) throw error;
        documentedErrors++;
      }
      const took = performance.now() - t0;
      if (took > slowestMs) slowestMs = took;
      if (took > 1000) throw new Error(`${name}: one input took ${took.toFixed(0)} ms`);
      if (!prototypeIntact()) throw new Error(`${name}: Object.prototype changed`);
    }),
    { numRuns: runs, ...(seed !== undefined && { seed }) },
  );
  return { name, runs, documentedErrors, slowestMs, ms: performance.now() - started };
}

/** Every target, `runs` inputs each. */
export function fuzzAll(runs: number, seed?: number): FuzzReport[] {
  return [
    runTarget(
      "frame decoder (WebSocket and long-poll lines)",
      frameText,
      (text) => void decodeFrame(text),
      (e) => e instanceof ProtocolError,
      runs,
      seed,
    ),
    runTarget(
      "event payload decoders (readClientEvent + decodeClientEvent)",
      eventPayload,
      (payload) => {
        const event = readClientEvent(payload);
        if (event) decodeClientEvent(event, DEFAULT_LIMITS.inputDepth);
      },
      (e) => e instanceof ValidationError,
      runs,
      seed,
    ),
    runTarget(
      "template parser (parseTemplate)",
      templateSource,
      (source) => void parseTemplate(source, "fuzz.html"),
      (e) => e instanceof TemplateSyntaxError,
      runs,
      seed,
    ),
  ];
}
