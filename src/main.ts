import "./polyfill.ts";
import { createServer } from "node:net";
import { getLogger } from "@logtape/logtape";
import { ConfigurationError, loadConfig } from "./config.ts";
import { DataDirInUseError } from "./db/data-dir-lock.ts";
import { configureLogging } from "./logging.ts";
import { startServer } from "./server.ts";

// The entry point: the only module that reads process.env.
let config: ReturnType<typeof loadConfig>;
try {
  config = loadConfig(process.env);
} catch (error) {
  if (error instanceof ConfigurationError) {
    console.error(error.message);
    process.exit(1);
  }
  throw error;
}
await configureLogging(config.logLevel, config.logFormat);
const logger = getLogger(["bayanihan"]);

/** A reason to stop, said in one line: plain for a person, a record for a log collector. */
function fail(problem: string): never {
  if (config.logFormat === "json") logger.fatal(problem);
  else console.error(problem);
  process.exit(1);
}

logger.info("Starting Bayanihan ({role}), public origin {origin}", {
  role: config.role,
  origin: config.origin.href,
});
if (config.adminToken === null) {
  logger.warn(
    "ADMIN_TOKEN is not set: nothing can use the API as instance admin (create collectives, invite " +
      "the first coordinators and admins); only admin accounts invited before can, at /workspace. " +
      "Set ADMIN_TOKEN to a secret of at least 16 characters and restart to get that access.",
  );
}

/** Why the port cannot be listened on, said in one line with what to do; null when it can. */
function listenProblem(code: string | undefined): string | null {
  if (code === "EADDRINUSE") {
    return (
      `Port ${config.port} on ${config.host} is already in use (another Bayanihan, or another program). ` +
      `Stop it, or start on another port: PORT=${config.port + 1} npm start`
    );
  }
  if (code === "EACCES") {
    return `Not allowed to listen on port ${config.port} on ${config.host}. Choose a port above 1023: PORT=3000 npm start`;
  }
  return null;
}

/** Tries the port before the database is opened (and perhaps created) for nothing. */
function tryPort(): Promise<string | undefined> {
  if (config.port === 0) return Promise.resolve(undefined);
  return new Promise((resolve) => {
    const probe = createServer();
    probe.once("error", (error: NodeJS.ErrnoException) => resolve(error.code));
    probe.listen(config.port, config.host, () => probe.close(() => resolve(undefined)));
  });
}

const early = listenProblem(await tryPort());
if (early !== null) fail(early);
let server: Awaited<ReturnType<typeof startServer>>;
try {
  server = await startServer(config);
} catch (error) {
  if (error instanceof DataDirInUseError) fail(error.message);
  // Taken meanwhile: said the same way.
  const problem = listenProblem((error as NodeJS.ErrnoException | null)?.code);
  if (problem === null) throw error;
  fail(problem);
}
logger.info("Bayanihan is listening on {address}: open {origin} in a browser", {
  address: `http://${config.host}:${server.port}`,
  origin: config.origin.href,
});

let stopping = false;
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.on(signal, () => {
    if (stopping) {
      // A second Ctrl-C: the person wants out now. Leased messages return
      // to the queue when their leases expire (15 s).
      logger.warn("Stopping at once ({signal} again)", { signal });
      process.exit(1);
    }
    stopping = true;
    logger.info("Shutting down ({signal})", { signal });
    server.stop().then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error("Shutdown failed: {error}", { error });
        process.exit(1);
      },
    );
  });
}
