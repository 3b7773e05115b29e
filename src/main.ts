import "./polyfill.ts";
import { getLogger } from "@logtape/logtape";
import { ConfigurationError, loadConfig } from "./config.ts";
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
await configureLogging(config.logLevel);
const logger = getLogger(["bayanihan"]);

const server = await startServer(config);
logger.info("Bayanihan is listening on {address}, public origin {origin}", {
  address: `http://${config.host}:${server.port}`,
  origin: config.origin.href,
});

let stopping = false;
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.on(signal, () => {
    if (stopping) return;
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
