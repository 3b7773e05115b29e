/**
 * The backup file: gzip'd JSON lines, readable by any engine and any later
 * version of this code.
 *
 *   {"format":"bayanihan-backup","version":1,"migrations":[...],...}   header
 *   {"table":"groups","columns":["id","handle",...]}                   a table starts
 *   ["1","food",null,...]                                               one row per line
 *   {"end":"groups","rows":2}                                           the table ends
 *   ...                                                                 every table, parents first
 *   {"sequences":[{"name":"...","lastValue":"42","isCalled":true}]}
 *   {"complete":true,"tables":31,"rows":1234}                          trailer
 *
 * Every value is PostgreSQL's own text form of it (`value::text`, null for
 * NULL), read back with the column type's input function: exact for bytea,
 * numeric, timestamps, arrays and json alike, which JSON's numbers and
 * JavaScript's types are not. The trailer tells a complete file from a
 * truncated one.
 */

export const BACKUP_FORMAT = "bayanihan-backup";
/** The newest layout this code writes and reads; a file with a higher one is refused. */
export const BACKUP_VERSION = 1;

export interface BackupHeader {
  readonly format: typeof BACKUP_FORMAT;
  readonly version: number;
  /** The migrations applied when the backup was taken, oldest first: its schema level. */
  readonly migrations: readonly string[];
  /** ISO 8601 instant. */
  readonly createdAt: string;
  /** The instance's ORIGIN: every actor and object id in the file is built on it. */
  readonly origin: string;
  /** Which engine it was taken from (for the operator's information only). */
  readonly engine: "postgres" | "pglite";
}

export interface TableStart {
  readonly table: string;
  readonly columns: readonly string[];
}

export interface TableEnd {
  readonly end: string;
  readonly rows: number;
}

export interface SequenceValue {
  readonly name: string;
  /** bigint as text. */
  readonly lastValue: string;
  readonly isCalled: boolean;
}

export interface SequencesLine {
  readonly sequences: readonly SequenceValue[];
}

export interface Trailer {
  readonly complete: true;
  readonly tables: number;
  readonly rows: number;
}

export type Row = readonly (string | null)[];

export class BackupFormatError extends Error {
  override name = "BackupFormatError";
}

/** The header's problems, or null when this code can read the file. */
export function headerProblem(value: unknown): string | null {
  if (typeof value !== "object" || value === null) return "it does not start with a backup header";
  const header = value as Partial<BackupHeader>;
  if (header.format !== BACKUP_FORMAT) return "it is not a Bayanihan backup";
  if (typeof header.version !== "number" || !Number.isInteger(header.version)) {
    return "its header has no format version";
  }
  if (header.version > BACKUP_VERSION) {
    return `it was written in format version ${header.version} by a newer Bayanihan; this one reads up to version ${BACKUP_VERSION}`;
  }
  if (
    !Array.isArray(header.migrations) ||
    header.migrations.length === 0 ||
    !header.migrations.every((m) => typeof m === "string")
  ) {
    return "its header does not say which migrations it was taken at";
  }
  if (typeof header.origin !== "string" || !URL.canParse(header.origin)) {
    return "its header has no origin";
  }
  return null;
}
