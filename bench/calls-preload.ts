/**
 * Preloaded into a gateway run from source by bench/calls-per-request.ts (`bun --preload`): counts
 * the calls into Bun's and JavaScriptCore's builtins that a request makes (clock reads, header
 * reads, promises with resolvers, JSON, the upstream socket's writes and callbacks, `new
 * Response`, timers, byte copies and Buffer's text writers), zod's top-level parses (`zod
 * safeParse`, `zod parse`: one a schema checked, however deep), and where each is called from. Each builtin is wrapped in place before the
 * gateway loads, so the gateway's own code calls the wrapper; getters Bun makes unconfigurable
 * (`request.url`, `request.headers`, `request.signal`) are not counted. On SIGUSR2 it writes
 * what it counted since the last signal to `$CALLS_OUT` (JSON) and starts again.
 */
import { writeFileSync } from "node:fs";

const out = process.env.CALLS_OUT;
if (!out) throw new Error("CALLS_OUT is not set");

const counts = new Map<string, number>();
/** Call sites, sampled one call in `SITE_EVERY` (a stack trace is dear), by name and two frames. */
const sites = new Map<string, number>();
const SITE_EVERY = 7;
let calls = 0;
const ROOT = `${import.meta.dir.replace(/bench$/, "")}src/`;

/** True while `count` itself runs: the builtins it calls (`replace`, `toString`) are not the gateway's. */
let counting = false;

function count(name: string): void {
  if (counting) return;
  counts.set(name, (counts.get(name) ?? 0) + 1);
  if (++calls % SITE_EVERY !== 0) return;
  counting = true;
  try {
    const frames = (new Error().stack ?? "").split("\n").slice(3, 5);
    const where = frames.map((frame) => frame.trim().replace(/^at /, "").replace(ROOT, "")).join(" < ");
    const key = `${name} @ ${where}`;
    sites.set(key, (sites.get(key) ?? 0) + SITE_EVERY);
  } finally {
    counting = false;
  }
}

type AnyFunction = (this: unknown, ...args: unknown[]) => unknown;

/** Replaces `holder[key]` with a wrapper that counts each call as `name`. */
function countCalls(holder: object, key: string, name: string): void {
  const slots = holder as Record<string, unknown>;
  const original = slots[key];
  if (typeof original !== "function") return;
  const call = original as AnyFunction;
  slots[key] = function (this: unknown, ...args: unknown[]) {
    count(name);
    return call.apply(this, args);
  };
}

countCalls(Headers.prototype, "get", "Headers.get");
countCalls(Headers.prototype, "has", "Headers.has");
countCalls(Headers.prototype, "set", "Headers.set");
for (const method of ["text", "bytes", "json", "arrayBuffer"])
  countCalls(Request.prototype, method, `request.${method}()`);
countCalls(Promise, "withResolvers", "Promise.withResolvers");
for (const timer of ["setImmediate", "setTimeout", "clearTimeout", "setInterval", "queueMicrotask"])
  countCalls(globalThis, timer, timer);
countCalls(performance, "now", "performance.now");
countCalls(Date, "now", "Date.now");
countCalls(JSON, "parse", "JSON.parse");
countCalls(JSON, "stringify", "JSON.stringify");
countCalls(TextEncoder.prototype, "encode", "TextEncoder.encode");
countCalls(TextEncoder.prototype, "encodeInto", "TextEncoder.encodeInto");
countCalls(TextDecoder.prototype, "decode", "TextDecoder.decode");
countCalls(AbortSignal.prototype, "addEventListener", "AbortSignal.addEventListener");
countCalls(AbortSignal.prototype, "removeEventListener", "AbortSignal.removeEventListener");
countCalls(crypto, "getRandomValues", "crypto.getRandomValues");
// The trace batch ring's wake-up of the export thread (span-batch-ring.ts).
countCalls(Atomics, "notify", "Atomics.notify");
// Byte copies and Buffer's text writers and readers (the lean client's request encoding, the id).
countCalls(Object.getPrototypeOf(Uint8Array.prototype) as object, "set", "TypedArray.set");
for (const method of ["latin1Write", "utf8Write", "toString"])
  countCalls(Buffer.prototype, method, `Buffer.${method}`);
countCalls(String.prototype, "replace", "String.replace");
/**
 * zod 4 installs each schema class's `parse` and `safeParse` on its prototype when its first schema
 * is built, as a getter that binds the method to the schema on first read: the methods are counted
 * by catching that install (`Object.defineProperty` with such a getter) and installing a counting
 * method the same way. One count a schema checked from outside, however deep it walks.
 */
const ZOD_PARSES: Record<string, string> = { safeParse: "zod safeParse", parse: "zod parse" };
const defineProperty = Object.defineProperty;
Object.defineProperty = <T>(
  target: T,
  key: PropertyKey,
  descriptor: PropertyDescriptor & ThisType<unknown>,
): T => {
  const name = typeof key === "string" ? ZOD_PARSES[key] : undefined;
  // zod's getter answers the raw method for a nullish receiver.
  const raw: unknown = name && descriptor.get && descriptor.set ? descriptor.get.call(null) : undefined;
  if (!name || typeof raw !== "function") return defineProperty(target, key, descriptor);
  const method = raw as AnyFunction;
  const counted = function (this: unknown, ...args: unknown[]) {
    count(name);
    return method.apply(this, args);
  };
  const own = (holder: object, value: unknown) =>
    defineProperty(holder, key, { configurable: true, writable: true, enumerable: true, value });
  return defineProperty(target, key, {
    configurable: true,
    get(this: object | null) {
      if (this == null) return counted;
      const bound = counted.bind(this);
      own(this, bound);
      return bound;
    },
    set(this: object, value: unknown) {
      own(this, value);
    },
  });
};

globalThis.Response = new Proxy(Response, {
  construct(target, args, newTarget) {
    count("new Response");
    return Reflect.construct(target, args, newTarget);
  },
});

/** The server's `requestIP` (one a request), counted on the server's prototype once it exists. */
const serve = Bun.serve;
Object.assign(Bun, {
  serve(options: Parameters<typeof Bun.serve>[0]) {
    const server = serve.call(Bun, options);
    const prototype = Object.getPrototypeOf(server) as object;
    if (!counted.has(prototype)) {
      counted.add(prototype);
      countCalls(prototype, "requestIP", "server.requestIP");
    }
    return server;
  },
});

/** The upstream sockets' methods and their handlers' callbacks (each a crossing into JS). */
const counted = new WeakSet<object>();
const connect = Bun.connect;
Object.assign(Bun, {
  async connect(options: Parameters<typeof Bun.connect>[0]) {
    const handlers = options.socket as unknown as Record<string, unknown>;
    if (!counted.has(handlers)) {
      counted.add(handlers);
      for (const event of ["open", "data", "drain", "end", "close"])
        countCalls(handlers, event, `socket on ${event}`);
    }
    const socket = await connect.call(Bun, options);
    const prototype = Object.getPrototypeOf(socket) as object;
    if (!counted.has(prototype)) {
      counted.add(prototype);
      for (const method of ["write", "end", "flush", "ref", "unref", "timeout", "setNoDelay"])
        countCalls(prototype, method, `socket.${method}`);
    }
    return socket;
  },
});

process.on("SIGUSR2", () => {
  writeFileSync(
    out,
    JSON.stringify({ counts: Object.fromEntries(counts), sites: Object.fromEntries(sites) }),
  );
  counts.clear();
  sites.clear();
});
