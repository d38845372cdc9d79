import type { DocumentedFront } from "./served-surface.ts";

/**
 * A client operation's `operationId` under `front`: its name at the root, `<app>.<name>` under an
 * app. OpenAPI wants each id once in the document, and the same operation under two apps is two.
 */
export const operationIdOf = (front: Pick<DocumentedFront, "app">, name: string): string =>
  front.app ? `${front.app.name}.${name}` : name;
