/**
 * What the docs point a reader to is there: a file of the repository named in code
 * (`bench/soak.ts`, `test/e2e/cloud-*.test.ts`), a link's file and heading, and a section named
 * by its title after its document (`docs/DEPLOYMENT.md, "Clocks"`): a heading, or a paragraph's
 * bold lead (`**Clocks.**`), of that document. A file renamed or a section retitled fails here.
 */
import { expect, test } from "bun:test";
import { existsSync, readFileSync } from "node:fs";
import { dirname, join, normalize } from "node:path";
import { codeSpans, ROOT, USER_DOCS } from "./doc-blocks.ts";

/** Files the docs name as history, gone on purpose (each says what replaced it). */
const GONE: Readonly<Record<string, string>> = {
  // "`src/core/linked-signal.ts` — since replaced by one controller per request"
  "src/core/linked-signal.ts": "docs/RELIABILITY.md",
};

const read = (file: string) => readFileSync(join(ROOT, file), "utf8");
/** A document's text without its fenced blocks, whose `#` lines are comments, not headings. */
const prose = (file: string) => read(file).replace(/^( *)```[\s\S]*?^\1```/gm, "");

test("every repository path the docs name in code is a file there (a glob: one that matches)", () => {
  const missing: string[] = [];
  const top = /(?<![\w./-])((?:src|test|bench|scripts|deploy|docs|examples|bin)\/[\w./*@-]*\w)/g;
  for (const span of codeSpans())
    for (const match of span.text.matchAll(top)) {
      const path = match[1] ?? "";
      const found = path.includes("*")
        ? new Bun.Glob(path).scanSync({ cwd: ROOT }).next().done === false
        : existsSync(join(ROOT, path));
      if (!found && GONE[path] !== span.file) missing.push(`${span.file}:${span.line} ${path}`);
    }
  expect(missing).toEqual([]);
});

/** GitHub's anchor of a heading: lower case, punctuation dropped, spaces as hyphens. */
const anchorOf = (heading: string) =>
  heading
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, "")
    .replace(/\s/g, "-");

/** A document's headings, as written (code marks taken off). */
const headings = (file: string) =>
  [...prose(file).matchAll(/^#{1,6} (.+)$/gm)].map((match) => (match[1] ?? "").replaceAll("`", "").trim());

test("every relative link leads to a file, and to a heading of it", () => {
  const broken: string[] = [];
  for (const file of USER_DOCS)
    for (const match of prose(file).matchAll(/\]\(([^)\s]+)\)/g)) {
      const target = match[1] ?? "";
      if (/^[a-z]+:/.test(target)) continue;
      const [path = "", anchor] = target.split("#");
      const to = path === "" ? file : normalize(join(dirname(file), path));
      const there =
        existsSync(join(ROOT, to)) &&
        (anchor === undefined || !to.endsWith(".md") || headings(to).map(anchorOf).includes(anchor));
      if (!there) broken.push(`${file}: ${target}`);
    }
  expect(broken).toEqual([]);
});

test('every section named after its document ("docs/X.md, "Title"") is a heading or bold lead of it', () => {
  const unfound: string[] = [];
  let named = 0;
  for (const file of USER_DOCS)
    for (const match of read(file).matchAll(
      /((?:docs\/)?[\w-]+\.md)\)?,? ((?:"[^"\n]+"(?:,? (?:and|or) |, )?)+)/g,
    )) {
      const name = match[1] ?? "";
      const doc = name.startsWith("docs/") || name === "README.md" ? name : `docs/${name}`;
      const text = existsSync(join(ROOT, doc)) ? prose(doc).replaceAll("`", "").toLowerCase() : "";
      for (const quoted of (match[2] ?? "").matchAll(/"([^"]+)"/g)) {
        named++;
        const title = (quoted[1] ?? "").replaceAll("`", "").toLowerCase();
        const heading = new RegExp(`^#{1,6} [^\\n]*${RegExp.escape(title)}`, "m");
        if (!heading.test(text) && !text.includes(`**${title}`))
          unfound.push(`${file}: ${doc} "${quoted[1]}"`);
      }
    }
  expect(named).toBeGreaterThan(20);
  expect(unfound).toEqual([]);
});
