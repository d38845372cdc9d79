// biome-ignore-all lint/suspicious/noTemplateCurlyInString: these strings are config text with ${VAR} placeholders, not templates
import { describe, expect, test } from "bun:test";
import { join } from "node:path";
import { parse as parseYaml } from "yaml";
import { EnvReferenceError, interpolateEnv } from "./interpolate-env.ts";
import { parseConfig } from "./load-config.ts";

describe("interpolateEnv", () => {
  const env = { KEY: "sk-1", HOST: "10.0.0.5", EMPTY: "" };

  test("replaces ${VAR} anywhere in a string, several times", () => {
    expect(interpolateEnv("http://${HOST}:8000/v1?k=${KEY}&h=${HOST}", env)).toBe(
      "http://10.0.0.5:8000/v1?k=sk-1&h=10.0.0.5",
    );
  });

  test("${VAR:-default} falls back when the variable is unset or empty", () => {
    expect(interpolateEnv("${MISSING:-fallback}", env)).toBe("fallback");
    expect(interpolateEnv("${EMPTY:-fallback}", env)).toBe("fallback");
    expect(interpolateEnv("${KEY:-fallback}", env)).toBe("sk-1");
    expect(interpolateEnv("${MISSING:-}", env)).toBe("");
  });

  test("walks nested objects and arrays, leaving non-strings alone", () => {
    const input = { providers: [{ api_key: "${KEY}", port: 8080, on: true, none: null }] };
    expect(interpolateEnv(input, env)).toEqual({
      providers: [{ api_key: "sk-1", port: 8080, on: true, none: null }],
    });
  });

  test("an unset variable without a default names the path", () => {
    expect(() => interpolateEnv({ providers: [{ api_key: "${NOPE}" }] }, env)).toThrow(EnvReferenceError);
    expect(() => interpolateEnv({ providers: [{ api_key: "${NOPE}" }] }, env)).toThrow(
      "providers[0].api_key: environment variable NOPE is not set",
    );
  });

  test("an empty variable is refused as an unset one, saying it is empty and how to allow it", () => {
    expect(() => interpolateEnv({ providers: [{ api_key: "${BLANK}" }] }, { BLANK: "" })).toThrow(
      "providers[0].api_key: environment variable BLANK is empty (write ${BLANK:-} where empty is meant)",
    );
    expect(interpolateEnv({ api_key: "${BLANK:-}" }, { BLANK: "" })).toEqual({ api_key: "" });
  });

  test("a value cannot inject structure: it stays one string", () => {
    const out = interpolateEnv({ a: "${EVIL}" }, { EVIL: "x\nmodels: [{name: pwned}]" });
    expect(out).toEqual({ a: "x\nmodels: [{name: pwned}]" });
  });

  test("text that only looks like a variable is left as is", () => {
    expect(interpolateEnv("$HOME ${1BAD} ${}", env)).toBe("$HOME ${1BAD} ${}");
  });

  test("a reference without its closing brace is refused naming the path and the place, never kept as the literal text", () => {
    // `${OPENAI_API_KEY` was sent upstream as the key itself.
    expect(() => interpolateEnv({ providers: [{ api_key: "${OPENAI_API_KEY" }] }, env)).toThrow(
      'providers[0].api_key: the "${" at character 1 has no closing "}" (write ${NAME}, ${NAME:-default}, ${NAME-default}, ${NAME:?message} or ${NAME?message}; $${ for a literal "${")',
    );
    // The default is never quoted back: it may be a secret.
    expect(() => interpolateEnv({ a: "${KEY:-sk-live-default" }, env)).toThrow(
      /^a: the "\$\{" at character 1 has no closing/,
    );
    expect(() => interpolateEnv({ a: "${KEY:-sk-live-default" }, env)).not.toThrow(/sk-live/);
  });

  test("an inline secret holding ${ is refused saying where, never quoting what follows it", () => {
    // It said 'storage.url: ${Zq9secretPart has no closing "}"': part of the password, into the
    // log, the config.rejected event and /admin/api/status.
    const refusal = (() => {
      try {
        interpolateEnv({ storage: { url: "postgres://u:ab${Zq9secretPart@h/db" } }, env);
      } catch (error) {
        return (error as Error).message;
      }
    })();
    expect(refusal).toStartWith('storage.url: the "${" at character 16 has no closing "}"');
    expect(refusal).not.toContain("Zq9");
    // Written with compose's escape, it is the password as meant.
    expect(interpolateEnv("postgres://u:ab$${Zq9secretPart@h/db", env)).toBe(
      "postgres://u:ab${Zq9secretPart@h/db",
    );
  });

  test("$${ is a literal ${, with what it leads left as written", () => {
    expect(interpolateEnv("$${KEY} ${KEY} $${KEY:-x} $$ $x", env)).toBe("${KEY} sk-1 ${KEY:-x} $$ $x");
    // The only escape: any other `$$` is as written (compose's `$$` is one `$`).
    expect(interpolateEnv("pa$$word $$${KEY}", env)).toBe("pa$$word $${KEY}");
  });

  test("$${ is those three characters alone: a reference after it on the line is still replaced", () => {
    // The escape read on to the next "}", and took the reference with it as literal text.
    expect(interpolateEnv("$${ ${KEY}", env)).toBe("${ sk-1");
    expect(interpolateEnv("a$${b c=${HOST}}", env)).toBe("a${b c=10.0.0.5}");
    expect(interpolateEnv("$${A:-${KEY}}", env)).toBe("${A:-sk-1}");
  });

  test("a default may hold an escaped $${…}: the literal ${…} when the variable is unset, as compose reads it", () => {
    // It was refused as a nested reference.
    expect(interpolateEnv("${MISSING:-$${B}}|${KEY:-$${B}}|${MISSING-x$${B:-c}y}", env)).toBe(
      "${B}|sk-1|x${B:-c}y",
    );
    expect(() => interpolateEnv({ a: "${MISSING:?set $${B}}" }, env)).toThrow(
      "a: environment variable MISSING is not set: set ${B}",
    );
  });

  test("compose's and the shell's forms: ${VAR-default} for unset only, ${VAR:?message} and ${VAR?message} refused with the message", () => {
    expect(interpolateEnv("${MISSING-fallback}|${EMPTY-fallback}|${KEY-fallback}", env)).toBe(
      "fallback||sk-1",
    );
    expect(interpolateEnv("${KEY:?set KEY}|${EMPTY?set EMPTY}", env)).toBe("sk-1|");
    expect(() => interpolateEnv({ a: "${MISSING:?set it to the API key}" }, env)).toThrow(
      "a: environment variable MISSING is not set: set it to the API key",
    );
    expect(() => interpolateEnv({ a: "${EMPTY:?set it}" }, env)).toThrow(
      "a: environment variable EMPTY is empty: set it",
    );
    expect(() => interpolateEnv({ a: "${MISSING?}" }, env)).toThrow(
      "a: environment variable MISSING is not set",
    );
  });

  test("forms this gateway does not read are refused saying where, not kept as literal text", () => {
    for (const form of ["${KEY:=x}", "${KEY:+x}", "${KEY x}", "x ${KEY=x}"])
      expect(() => interpolateEnv({ a: form }, env)).toThrow(
        `a: the "\${" at character ${form.indexOf("$") + 1} is no reference this gateway reads (write`,
      );
  });

  test("a default's escape taking the only closing brace is refused as a reference without one, not as nested", () => {
    // `$${B}` is whole, with its `}`: the `${A` is left open. It was said to hold a nested reference.
    expect(() => interpolateEnv({ a: "${A:-$${B}" }, env)).toThrow(
      'a: the "${" at character 1 has no closing "}" (write ${NAME}',
    );
    expect(() => interpolateEnv({ a: "x ${A:-$${B} $${C}" }, env)).toThrow(
      'a: the "${" at character 3 has no closing "}" (write ${NAME}',
    );
  });

  test("a reference nested in a default is refused: not supported, where it became the literal inner text", () => {
    for (const [nested, at] of [
      ["${A:-${B:-c}}", 1],
      ["x-${A:-${KEY}}-y", 3],
      ["${A:-${B}", 1],
      // compose reads `$$` then a reference here; an escape holding a reference is no literal.
      ["${A:-$$${B}}", 1],
      ["${A:-$${B}${C}}", 1],
      ["${A:-$${B:-${C}}}", 1],
      // Closed (compose counts an escape's braces), but an escape holding another is no plain literal.
      ["${A:-$${B:-$${C}}}", 1],
    ] as const)
      expect(() => interpolateEnv({ a: nested }, env)).toThrow(
        `a: the "\${" at character ${at} holds another reference in its default: nested references are not supported; write the default plainly`,
      );
  });
});

describe("a ${VAR} in place of any number, boolean or duration", () => {
  /** Every number and boolean of `value` as the text `${VAR:-value}` gives: what interpolation yields. */
  const asVariables = (value: unknown): unknown => {
    if (typeof value === "number" || typeof value === "boolean") return `\${UNSET_IN_THIS_TEST:-${value}}`;
    if (Array.isArray(value)) return value.map(asVariables);
    if (value && typeof value === "object")
      return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, asVariables(item)]));
    return value;
  };

  test("reads as the plain YAML value does, in every section (config.example.yaml's header: no quotes needed)", async () => {
    const example = parseYaml(await Bun.file(join(import.meta.dir, "../../config.example.yaml")).text());
    // The sections the example leaves commented out, with a number in each field that takes one.
    const document = {
      ...example,
      auth: {
        jwt: {
          secret: "0123456789abcdef0123456789abcdef",
          issuer: "https://idp.example.com/",
          audience: "mindgw",
          algorithms: ["HS256"],
          clock_tolerance: 0,
          jwks_cooldown: "10s",
          limits: { rpm: 600, tpm: 200_000, budget_usd: 50 },
        },
        bootstrap_admin: false,
      },
      tenants: [
        {
          name: "t1",
          rpm: 60,
          tpm: 1000,
          budget: { usd: 5 },
          shadow: { provider: "demo", model: "m", sample: 0.5 },
        },
      ],
      prices: {
        mock: {
          input_per_mtok: 0.5,
          output_per_mtok: 1.5,
          cached_input_per_mtok: 0.1,
          cache_write_per_mtok: 0,
        },
      },
      events: {
        webhooks: [
          {
            url: "https://hooks.example.com/x",
            secret: "0123456789abcdef",
            batch_size: 10,
            max_queue: 100,
            max_attempts: 3,
            flush: 0,
          },
        ],
      },
      models: [
        ...example.models,
        { name: "w", routes: [{ provider: "demo", model: "m", weight: 2, context_window: 8192 }] },
      ],
    };
    const plain = parseConfig(document, {});
    expect(plain.auth.jwt?.limits).toEqual({ rpm: 600, tpm: 200_000, budget_usd: 50 });
    expect(plain.auth.jwt?.clock_tolerance).toBe(0);
    expect(parseConfig(asVariables(document), {})).toEqual(plain);
  });
});
