import { readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";

/**
 * Enforces ARCHITECTURE.md's "who may import whom": the domain stays free of
 * frameworks, services reach federation only through their ports, and only
 * the composition root joins src/ and federation/.
 */
const ROOT = path.resolve(import.meta.dirname, "..");

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = path.join(dir, name);
    if (statSync(full).isDirectory()) return sourceFiles(full);
    return full.endsWith(".ts") && !full.endsWith(".test.ts") ? [full] : [];
  });
}

function importsOf(file: string): string[] {
  const text = readFileSync(file, "utf8");
  const specifiers = [
    ...text.matchAll(/(?:^|\n)\s*(?:import|export)[^"']*?from\s+["']([^"']+)["']/g),
  ];
  return specifiers
    .map((m) => m[1]!)
    .map((s) => (s.startsWith(".") ? path.relative(ROOT, path.resolve(path.dirname(file), s)) : s));
}

interface Rule {
  readonly files: string;
  readonly forbidden: (target: string) => boolean;
  readonly why: string;
}

const isFramework = (t: string) =>
  /^(hono|@hono\/|@fedify\/|kysely|postgres$|@electric-sql\/)/.test(t);

const RULES: Rule[] = [
  {
    files: "src/domain",
    forbidden: (t) =>
      isFramework(t) ||
      (t.startsWith("src/") && !t.startsWith("src/domain/")) ||
      t.startsWith("federation/"),
    why: "the domain imports nothing but itself",
  },
  {
    files: "src/db",
    forbidden: (t) =>
      /^(hono|@hono\/)/.test(t) ||
      (t.startsWith("src/") && !/^src\/(db|domain)\//.test(t)) ||
      t.startsWith("federation/"),
    why: "repositories know the domain and the database only",
  },
  {
    files: "src/services",
    forbidden: (t) =>
      /^(hono|@hono\/|@fedify\/)/.test(t) ||
      t.startsWith("src/http/") ||
      t.startsWith("federation/"),
    why: "services reach federation through ports.ts",
  },
  {
    files: "src/http",
    forbidden: (t) => t.startsWith("@fedify/") || t.startsWith("federation/"),
    why: "the HTTP layer never talks Fedify",
  },
  {
    files: "src/web",
    forbidden: (t) =>
      t.startsWith("@fedify/") ||
      t.startsWith("federation/") ||
      t.startsWith("src/http/") ||
      t === "src/server.ts",
    why: "the pages use the domain, repositories and services, never Fedify",
  },
  {
    files: "federation",
    forbidden: (t) =>
      t.startsWith("src/http/") ||
      t.startsWith("src/web/") ||
      t === "src/server.ts" ||
      (t.startsWith("src/services/") && t !== "src/services/ports.ts"),
    why: "federation sees services only through their ports",
  },
  {
    files: "migrations",
    forbidden: (t) => t.startsWith("src/") || t.startsWith("federation/"),
    why: "a migration must never change when application code does",
  },
];

describe("module boundaries", () => {
  for (const rule of RULES) {
    it(`${rule.files}: ${rule.why}`, () => {
      const files = sourceFiles(path.join(ROOT, rule.files));
      expect(files.length).toBeGreaterThan(0);
      const violations = files.flatMap((file) =>
        importsOf(file)
          .filter(rule.forbidden)
          .map((target) => `${path.relative(ROOT, file)} → ${target}`),
      );
      expect(violations).toEqual([]);
    });
  }

  it("only the composition root joins src/ and federation/", () => {
    const joined = sourceFiles(path.join(ROOT, "src")).filter((file) =>
      importsOf(file).some((t) => t.startsWith("federation/")),
    );
    expect(joined.map((f) => path.relative(ROOT, f))).toEqual(["src/server.ts"]);
  });
});
