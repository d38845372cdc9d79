import { codeSpans } from "./doc-blocks.ts";

/**
 * The SDK a client set-up written inline names (`new OpenAI({ baseURL, apiKey })` in README.md's
 * and CLIENTS.md's tables), and how an app imports it: what the docs leave to the reader.
 */
const IMPORTS: Readonly<Record<string, string>> = {
  OpenAI: 'import OpenAI from "openai";',
  Anthropic: 'import Anthropic from "@anthropic-ai/sdk";',
  createOpenAI: 'import { createOpenAI } from "@ai-sdk/openai";',
  createAnthropic: 'import { createAnthropic } from "@ai-sdk/anthropic";',
  ChatOpenAI: 'import { ChatOpenAI } from "@langchain/openai";',
  ChatAnthropic: 'import { ChatAnthropic } from "@langchain/anthropic";',
};

/**
 * A module of every inline client set-up of the user docs, each an expression as written, with
 * its SDK imported and the names the docs leave open (`apiKey`, `model`) declared; and how many.
 */
export function clientSetUps(): { source: string; count: number } {
  const spans = codeSpans().flatMap((span) => {
    const name = /^(?:new )?(\w+)\(\{/.exec(span.text)?.[1];
    return name !== undefined && Object.hasOwn(IMPORTS, name) ? [{ ...span, name }] : [];
  });
  const imports = [...new Set(spans.map((span) => IMPORTS[span.name]))];
  const setUps = spans.map((span) => `  // ${span.file}:${span.line}\n  ${span.text},`);
  return {
    source: `${imports.join("\n")}\ndeclare const apiKey: string, model: string;\nexport const setUps = [\n${setUps.join("\n")}\n];\n`,
    count: spans.length,
  };
}
