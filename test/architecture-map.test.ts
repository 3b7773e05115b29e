import { existsSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";

/**
 * ARCHITECTURE.md is the map a newcomer reads first: a map naming folders or
 * files that no longer exist, or missing a folder, misleads. These checks
 * keep it true as code moves.
 */
const ROOT = path.resolve(import.meta.dirname, "..");
const MAP = readFileSync(path.join(ROOT, "ARCHITECTURE.md"), "utf8");

function filesUnder(dir: string): string[] {
  return readdirSync(path.join(ROOT, dir), { withFileTypes: true }).flatMap((entry) => {
    if (entry.name === "node_modules" || entry.name.startsWith(".")) return [];
    const relative = dir === "" ? entry.name : `${dir}/${entry.name}`;
    return entry.isDirectory() ? filesUnder(relative) : [relative];
  });
}

const REPOSITORY_FILES = filesUnder("");
const BASENAMES = new Set(REPOSITORY_FILES.map((file) => path.basename(file)));

/** The folders in the "At a glance" table, in order. */
function tabledFolders(): string[] {
  const section = MAP.slice(MAP.indexOf("## At a glance"), MAP.indexOf("## Layout"));
  return [...section.matchAll(/^\| `([^`]+\/)` \|/gm)].map((match) => match[1] as string);
}

function subfolders(dir: string): string[] {
  return readdirSync(path.join(ROOT, dir), { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => `${dir}/${entry.name}/`);
}

describe("ARCHITECTURE.md", () => {
  it("lists folders that exist", () => {
    const folders = tabledFolders();
    expect(folders.length).toBeGreaterThan(10);
    const missing = folders.filter((folder) => !existsSync(path.join(ROOT, folder)));
    expect(missing).toEqual([]);
  });

  it("lists every folder of src/ and federation/", () => {
    const listed = new Set(tabledFolders());
    const unlisted = [...subfolders("src"), ...subfolders("federation")].filter(
      (folder) => !listed.has(folder),
    );
    expect(unlisted).toEqual([]);
  });

  it("names only files that exist", () => {
    const named = new Set(
      [...MAP.matchAll(/[A-Za-z0-9_./-]+\.(?:ts|md|yml|json|css)\b/g)].map((match) => match[0]),
    );
    expect(named.size).toBeGreaterThan(50);
    const missing = [...named].filter((name) => {
      const clean = name.replace(/^\.\//, "");
      // "*.repo.ts" and the like name a family of files, matched by its suffix.
      if (clean.startsWith(".")) return !REPOSITORY_FILES.some((file) => file.endsWith(clean));
      if (!clean.includes("/")) return !BASENAMES.has(clean);
      return !REPOSITORY_FILES.some((file) => file === clean || file.endsWith(`/${clean}`));
    });
    expect(missing).toEqual([]);
  });
});
