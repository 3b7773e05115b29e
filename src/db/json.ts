import { type RawBuilder, sql } from "kysely";

/**
 * A jsonb parameter that both drivers store identically. postgres.js stores a
 * bare JSON string parameter as a JSON *string* value, PGlite as the parsed
 * document; going through text makes both parse it server-side.
 */
export function jsonb(value: unknown): RawBuilder<unknown> {
  return sql`${JSON.stringify(value)}::text::jsonb`;
}
