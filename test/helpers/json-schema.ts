/**
 * A small JSON Schema checker for the subset our shipped schemas use — type,
 * required, enum, properties, items, minItems, uniqueItems,
 * minLength/maxLength, minimum/maximum, pattern — since no validator
 * package is installed. Keywords it does not know make it throw rather than
 * pass silently, so a schema cannot grow beyond what is really checked.
 */
export interface SchemaError {
  readonly path: string;
  readonly message: string;
}

type Schema = Record<string, unknown>;

const ANNOTATIONS = new Set(["$schema", "$id", "title", "description", "metadata", "default"]);
const KNOWN = new Set([
  "type",
  "required",
  "enum",
  "properties",
  "items",
  "minItems",
  "uniqueItems",
  "minLength",
  "maxLength",
  "minimum",
  "maximum",
  "pattern",
]);

function typeOf(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "array";
  if (typeof value === "number") return Number.isInteger(value) ? "integer" : "number";
  return typeof value;
}

function matchesType(value: unknown, type: string): boolean {
  const actual = typeOf(value);
  if (type === "number") return actual === "number" || actual === "integer";
  return actual === type;
}

export function validateSchema(schema: Schema, value: unknown, path = "$"): SchemaError[] {
  for (const key of Object.keys(schema)) {
    if (!KNOWN.has(key) && !ANNOTATIONS.has(key)) {
      throw new Error(`The schema checker does not implement "${key}" (at ${path})`);
    }
  }
  const errors: SchemaError[] = [];
  const err = (message: string) => errors.push({ path, message });
  if (typeof schema.type === "string" && !matchesType(value, schema.type)) {
    err(`expected ${schema.type}, got ${typeOf(value)}`);
    return errors;
  }
  if (Array.isArray(schema.enum) && !schema.enum.some((e) => e === value)) {
    err(`${JSON.stringify(value)} is not one of ${JSON.stringify(schema.enum)}`);
  }
  if (typeof value === "string") {
    if (typeof schema.minLength === "number" && [...value].length < schema.minLength) {
      err(`shorter than ${schema.minLength}`);
    }
    if (typeof schema.maxLength === "number" && [...value].length > schema.maxLength) {
      err(`longer than ${schema.maxLength}`);
    }
    if (typeof schema.pattern === "string" && !new RegExp(schema.pattern, "u").test(value)) {
      err(`does not match ${schema.pattern}`);
    }
  }
  if (typeof value === "number") {
    if (typeof schema.minimum === "number" && value < schema.minimum) {
      err(`below ${schema.minimum}`);
    }
    if (typeof schema.maximum === "number" && value > schema.maximum) {
      err(`above ${schema.maximum}`);
    }
  }
  if (Array.isArray(value)) {
    if (typeof schema.minItems === "number" && value.length < schema.minItems) {
      err(`fewer than ${schema.minItems} items`);
    }
    if (schema.uniqueItems === true) {
      const seen = new Set(value.map((v) => JSON.stringify(v)));
      if (seen.size !== value.length) err("items are not unique");
    }
    if (typeof schema.items === "object" && schema.items !== null) {
      value.forEach((item, i) => {
        errors.push(...validateSchema(schema.items as Schema, item, `${path}[${i}]`));
      });
    }
  }
  if (typeOf(value) === "object") {
    const object = value as Record<string, unknown>;
    if (Array.isArray(schema.required)) {
      for (const name of schema.required as string[]) {
        if (!(name in object)) err(`missing required "${name}"`);
      }
    }
    if (typeof schema.properties === "object" && schema.properties !== null) {
      for (const [name, sub] of Object.entries(schema.properties as Record<string, Schema>)) {
        if (name in object) errors.push(...validateSchema(sub, object[name], `${path}.${name}`));
      }
    }
  }
  return errors;
}
