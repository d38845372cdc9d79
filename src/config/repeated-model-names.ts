import type { Config } from "./config-schema.ts";

/**
 * Every name and alias of `models:` written twice, a glob as written included: a request for it
 * reaches one entry only (models/model-index.ts keeps the first), so the other is dead, or, when the
 * first is a tenant's, everyone else's name answers 404 to everyone outside that tenant. Names are
 * one space over all tenants, as the route table is one: two tenants' own entries need two names.
 * Each repeat is named where it is written the second time, with where it was first.
 */
export function repeatedModelNames(config: Config): string[] {
  const problems: string[] = [];
  const first = new Map<string, string>();
  config.models.forEach((model, i) => {
    const written = [
      { where: `models[${i}].name`, name: model.name },
      ...model.aliases.map((alias, j) => ({ where: `models[${i}].aliases[${j}]`, name: alias })),
    ];
    const own = new Set<string>();
    for (const { where, name } of written) {
      const earlier = first.get(name);
      if (earlier !== undefined && !own.has(name))
        problems.push(
          `${where}: duplicate model name "${name}", already ${earlier}; a name reaches one entry only`,
        );
      if (earlier === undefined) first.set(name, where);
      own.add(name);
    }
  });
  return problems;
}
