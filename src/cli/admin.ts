import "../polyfill.ts";
import { ConfigurationError, loadConfig } from "../config.ts";
import { DataDirInUseError } from "../db/data-dir-lock.ts";
import { migrateToLatest } from "../db/migrate.ts";
import { openDatabase } from "../db/open-database.ts";
import { configureLogging } from "../logging.ts";
import { keyPairGenerator } from "../server.ts";
import {
  COMMANDS,
  type CommandContext,
  CommandFailed,
  EXIT,
  overview,
  UsageError,
} from "./admin-commands.ts";
import { readPassword } from "./password-input.ts";

// `npm run admin -- <command>`: the operator's tasks without curl and a token.
const [name, ...args] = process.argv.slice(2);
if (name === undefined || name === "help" || name === "--help" || name === "-h") {
  console.log(overview());
  process.exit(name === undefined ? EXIT.usage : EXIT.ok);
}
const command = COMMANDS.find((c) => c.name === name);
if (command === undefined) {
  console.error(`Unknown command ${JSON.stringify(name)}.\n\n${overview()}`);
  process.exit(EXIT.usage);
}
if (args.includes("--help") || args.includes("-h")) {
  console.log(command.usage);
  process.exit(EXIT.ok);
}

let config: ReturnType<typeof loadConfig>;
try {
  // This process serves nothing: the role is the server's business.
  config = loadConfig({ ...process.env, ROLE: "all" });
} catch (error) {
  if (!(error instanceof ConfigurationError)) throw error;
  console.error(error.message);
  process.exit(EXIT.failed);
}
// The command's own output goes to stdout; only problems are logged (stderr).
await configureLogging("warning", config.logFormat);

let exitCode: number = EXIT.ok;
let handle: Awaited<ReturnType<typeof openDatabase>> | undefined;
try {
  handle = await openDatabase(config);
  // Before the server first started, the schema may not be there yet.
  await migrateToLatest(handle.db, handle.schema);
  const context: CommandContext = {
    db: handle.db,
    config,
    clock: () => Temporal.Now.instant(),
    keys: keyPairGenerator,
    readPassword,
    out: (line) => console.log(line),
  };
  await command.run(args, context);
} catch (error) {
  if (error instanceof UsageError) {
    console.error(`${error.message}\n\nUsage: ${command.usage}`);
    exitCode = EXIT.usage;
  } else if (error instanceof CommandFailed || error instanceof DataDirInUseError) {
    console.error(error.message);
    exitCode = EXIT.failed;
  } else {
    console.error(error);
    exitCode = EXIT.failed;
  }
} finally {
  await handle?.close();
}
process.exit(exitCode);
