import { Server } from "node:net";

/**
 * The `unit` project's promise: no port and no database. A test file that
 * listens (directly or through a helper test/projects.ts did not see) fails
 * here, saying where it belongs, instead of quietly making the fast run slow.
 * The database needs the global setup, which this project does not run:
 * `inject("pgliteSnapshotPath")` is undefined here, so opening one fails too.
 */
Server.prototype.listen = function refuseToListen(): never {
  throw new Error(
    "A unit test opened a port: it belongs to the e2e project (see test/projects.ts for the calls that decide)",
  );
};
