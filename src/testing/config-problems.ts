import { ConfigError } from "../config/config-error.ts";
import { parseConfig } from "../config/load-config.ts";

/** The problems `document` is refused with (its `${VAR}`s read from `env`); throws if it is taken. */
export function configProblems(document: unknown, env: Record<string, string> = {}): readonly string[] {
  try {
    parseConfig(document, env);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  throw new Error("expected the config to be refused");
}

/** Two OpenAI-dialect providers a config's routes and shadows can name: a vendor and a lab box. */
export const TWO_PROVIDERS = [
  { name: "openai", type: "openai", base_url: "https://api.openai.com/v1" },
  { name: "lab", type: "openai", base_url: "http://10.0.0.5:8000/v1" },
];
