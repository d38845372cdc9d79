// biome-ignore-all lint/suspicious/noTemplateCurlyInString: these strings are config text with ${VAR} placeholders, not templates
import { describe, expect, test } from "bun:test";
import { interpolateEnv, MissingEnvError } from "./interpolate-env.ts";

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
    expect(() => interpolateEnv({ providers: [{ api_key: "${NOPE}" }] }, env)).toThrow(MissingEnvError);
    expect(() => interpolateEnv({ providers: [{ api_key: "${NOPE}" }] }, env)).toThrow(
      "providers[0].api_key: environment variable NOPE is not set",
    );
  });

  test("a value cannot inject structure: it stays one string", () => {
    const out = interpolateEnv({ a: "${EVIL}" }, { EVIL: "x\nmodels: [{name: pwned}]" });
    expect(out).toEqual({ a: "x\nmodels: [{name: pwned}]" });
  });

  test("text that only looks like a variable is left as is", () => {
    expect(interpolateEnv("$HOME ${1BAD} ${}", env)).toBe("$HOME ${1BAD} ${}");
  });
});
