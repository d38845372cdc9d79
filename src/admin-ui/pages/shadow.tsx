/** @jsxImportSource preact */
import { getJson } from "../api.ts";
import { useLoad } from "../hooks.ts";

type Json = string | number | boolean | null | Json[] | { [key: string]: Json };

const cell = (value: Json): string =>
  value === null
    ? "–"
    : typeof value === "object"
      ? JSON.stringify(value)
      : typeof value === "number" && !Number.isInteger(value)
        ? value.toFixed(3)
        : String(value);

/** Any array of flat objects as a table: the comparison report's shape is the API's to evolve. */
function JsonTable({ rows }: { rows: { [key: string]: Json }[] }) {
  const columns = [...new Set(rows.flatMap((row) => Object.keys(row)))];
  return (
    <div class="scroll">
      <table>
        <thead>
          <tr>
            {columns.map((c) => (
              <th key={c}>{c}</th>
            ))}
          </tr>
        </thead>
        <tbody>
          {rows.map((row, i) => (
            // biome-ignore lint/suspicious/noArrayIndexKey: report rows have no identity; the list is replaced whole
            <tr key={i}>
              {columns.map((c) => (
                <td key={c} class="break">
                  {cell(row[c] ?? null)}
                </td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

const isRowList = (value: Json): value is { [key: string]: Json }[] =>
  Array.isArray(value) &&
  value.every((item) => item !== null && typeof item === "object" && !Array.isArray(item));

/** Shadow comparisons from `/admin/api/shadow`: per model, then examples, as the API gives them. */
export function ShadowPage() {
  const report = useLoad(() => getJson<{ [key: string]: Json }>("/admin/api/shadow"), [], 15_000);
  return (
    <section aria-labelledby="shadow-title">
      <div class="page-head">
        <h1 id="shadow-title">Shadow</h1>
      </div>
      {report.status === 404 ? (
        <p class="card muted" data-shadow="unavailable">
          This gateway does not report shadow comparisons yet. Set <code>shadow:</code> on a model in the
          config; results appear here once the shadow report is available.
        </p>
      ) : report.error ? (
        <p class="error" role="alert">
          {report.error}
        </p>
      ) : report.data ? (
        Object.entries(report.data).map(([name, value]) =>
          isRowList(value) ? (
            <div class="card" key={name}>
              <h2>{name}</h2>
              {value.length ? <JsonTable rows={value} /> : <p class="muted">None yet.</p>}
            </div>
          ) : null,
        )
      ) : (
        <p class="muted">Loading…</p>
      )}
    </section>
  );
}
