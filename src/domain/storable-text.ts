/**
 * Text the database can hold. PostgreSQL refuses U+0000 in `text` and the
 * `\u0000` escape in `jsonb`, and refuses lone surrogates in `jsonb` (in
 * `text` the drivers would turn them into U+FFFD behind our back). Neither
 * has a meaning in a need, a name or an activity, so input holding one is
 * refused where it is parsed, with a 400, instead of failing (a 500) at the
 * first INSERT.
 */

/** Whether `value` holds U+0000 or a UTF-16 surrogate without its pair. */
export function isUnstorable(value: string): boolean {
  return value.includes("\u0000") || !value.isWellFormed();
}

/**
 * Where the first unstorable string in a parsed JSON value (or a form's
 * fields) is: a dotted path (`""` for the value itself; keys count too), or
 * null if there is none.
 */
export function findUnstorableText(value: unknown): string | null {
  return walk(value, "");
}

function walk(value: unknown, path: string): string | null {
  if (typeof value === "string") return isUnstorable(value) ? path : null;
  if (typeof value !== "object" || value === null) return null;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const found = walk(value[i], path === "" ? String(i) : `${path}.${i}`);
      if (found !== null) return found;
    }
    return null;
  }
  for (const [key, item] of Object.entries(value)) {
    const at = path === "" ? key : `${path}.${key}`;
    if (isUnstorable(key)) return at;
    const found = walk(item, at);
    if (found !== null) return found;
  }
  return null;
}

/**
 * Whether JSON text could decode to an unstorable string: only the escapes
 * `\u0000` and `\uD800`–`\uDFFF` can make one (a raw U+0000 is not valid
 * JSON, and strictly decoded UTF-8 holds no surrogates). Lets a caller skip
 * the walk for nearly every body.
 */
export function mayHoldUnstorableEscape(jsonText: string): boolean {
  return /\\u(?:0000|[dD][89a-fA-F])/.test(jsonText);
}
