import { describe, expect, it } from "vitest";
import { statementKind } from "./usage.ts";

describe("statementKind", () => {
  it("names a built query by its root node", () => {
    expect(statementKind("SelectQueryNode", "select 1")).toBe("select");
    expect(statementKind("InsertQueryNode", "insert into x")).toBe("insert");
    expect(statementKind("UpdateQueryNode", "update x")).toBe("update");
    expect(statementKind("DeleteQueryNode", "delete from x")).toBe("delete");
  });

  it("names raw SQL by its first keyword, whatever its case and leading space", () => {
    expect(statementKind("RawNode", "\n  SELECT count(*) FROM needs")).toBe("select");
    expect(statementKind("RawNode", "Insert INTO fedify_queue VALUES (1)")).toBe("insert");
    expect(statementKind("RawNode", "UPDATE x SET y = 1")).toBe("update");
    expect(statementKind("RawNode", "delete from x")).toBe("delete");
  });

  it("puts everything else under other, never the statement's text", () => {
    for (const sql of [
      "WITH a AS (SELECT 1) SELECT * FROM a",
      "BEGIN",
      "CREATE TABLE t (x int)",
      "",
      "-- a comment",
    ]) {
      expect(statementKind("RawNode", sql)).toBe("other");
    }
    expect(statementKind("CreateTableNode", "create table t (x int)")).toBe("other");
  });
});
