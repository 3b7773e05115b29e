import { parseArgs } from "node:util";
import type { Kysely } from "kysely";
import type { Config } from "../config.ts";
import type { Database } from "../db/database.ts";
import { findGroupByHandle } from "../db/groups.repo.ts";
import type { AccountProblem } from "../domain/account.ts";
import type { Group } from "../domain/group.ts";
import { checkGroupInput, type GroupProblem } from "../domain/group-input.ts";
import { createAdminAccount, createInvitation } from "../services/accounts.ts";
import { deliveryStatus } from "../services/delivery-status.ts";
import { createGroup } from "../services/groups.ts";
import type { Clock, KeyPairGenerator } from "../services/ports.ts";
import {
  issueCoordinatorToken,
  listCoordinatorTokens,
  revokeCoordinatorToken,
} from "../services/tokens.ts";
import { instanceUrls } from "../urls.ts";

/**
 * The commands of `npm run admin`: each parses its own arguments and calls
 * the services the API and the pages call, so the rules are the same
 * whichever way an operator goes.
 */

/** Exit codes: 0 done, 1 refused or failed, 2 the command line is wrong. */
export const EXIT = { ok: 0, failed: 1, usage: 2 } as const;

/** A command line that cannot be run: said with the command's usage. */
export class UsageError extends Error {}
/** A command that ran and was refused (a taken handle, an unknown collective…). */
export class CommandFailed extends Error {}

export interface CommandContext {
  readonly db: Kysely<Database>;
  readonly config: Config;
  readonly clock: Clock;
  readonly keys: KeyPairGenerator;
  /** The password for a new account: piped on stdin, or typed twice at a prompt. */
  readPassword(): Promise<{ password: string; passwordAgain: string }>;
  out(line: string): void;
}

export interface Command {
  readonly name: string;
  readonly summary: string;
  readonly usage: string;
  run(args: readonly string[], context: CommandContext): Promise<void>;
}

type Options = NonNullable<NonNullable<Parameters<typeof parseArgs>[0]>["options"]>;

function parse(
  args: readonly string[],
  options: Options,
): { values: Record<string, string | boolean | undefined>; positionals: string[] } {
  try {
    const parsed = parseArgs({ args: [...args], options, allowPositionals: true, strict: true });
    return {
      values: parsed.values as Record<string, string | boolean | undefined>,
      positionals: parsed.positionals,
    };
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}

function positionals(command: Command, given: readonly string[], names: readonly string[]) {
  if (given.length < names.length) {
    throw new UsageError(`${command.name}: missing ${names.slice(given.length).join(" and ")}`);
  }
  if (given.length > names.length) {
    throw new UsageError(
      `${command.name}: unexpected argument ${JSON.stringify(given[names.length])}`,
    );
  }
  return given;
}

async function groupNamed(context: CommandContext, handle: string): Promise<Group> {
  const group = await findGroupByHandle(context.db, handle);
  if (group === null)
    throw new CommandFailed(`There is no collective with the handle "${handle}".`);
  return group;
}

const ACCOUNT_PROBLEMS: Record<AccountProblem | "username-taken", string> = {
  "username-format":
    "The username must be 3 to 40 characters: lower-case letters, digits, '.', '_' or '-'.",
  "password-short": "The password is too short: at least 10 characters.",
  "password-long": "The password is too long: at most 200 characters.",
  "password-mismatch": "The two passwords are not the same.",
  "username-taken": "That username is taken.",
};

const GROUP_PROBLEMS: Record<GroupProblem, string> = {
  "handle-invalid": "The handle must be 1 to 30 characters: a-z, 0-9 and _.",
  "handle-taken": "That handle is taken.",
  "name-missing": "--name is required.",
  "name-too-long": "The name is too long.",
  "summary-too-long": "The summary is too long.",
};

const iso = (instant: Temporal.Instant) => instant.toString({ smallestUnit: "second" });

const createAdmin: Command = {
  name: "create-admin",
  summary: "create an instance admin account (the first one, or another)",
  usage: `npm run admin -- create-admin <username>

Creates an instance admin account, who signs in at /workspace. The password
is never taken from the command line (it would stay in the shell's history and
in the process list): it is read from standard input when that is piped
(printf '%s\\n' "$PASSWORD" | npm run admin -- create-admin ana), or asked for
twice when run at a terminal.`,
  async run(args, context) {
    const { positionals: given } = parse(args, {});
    const [username] = positionals(this, given, ["<username>"]);
    const { password, passwordAgain } = await context.readPassword();
    const result = await createAdminAccount(context, {
      username: username!,
      password,
      passwordAgain,
    });
    if (!result.ok) {
      throw new CommandFailed(
        Object.values(result.problems)
          .map((p) => ACCOUNT_PROBLEMS[p])
          .join("\n"),
      );
    }
    context.out(`Created the admin account "${result.account.username}".`);
    context.out(`Sign in at ${new URL("/workspace", context.config.origin).href}`);
  },
};

const createGroupCommand: Command = {
  name: "create-group",
  summary: "create a collective",
  usage: `npm run admin -- create-group <handle> --name <name> [--summary <text>] [--follow-policy open|approval]

Creates a collective (its ActivityPub actor is <ORIGIN>/groups/<handle>).
<handle>: 1 to 30 characters, a-z, 0-9 and _. --follow-policy approval asks
a coordinator to accept each follower; the default is open.`,
  async run(args, context) {
    const { values, positionals: given } = parse(args, {
      name: { type: "string" },
      summary: { type: "string", default: "" },
      "follow-policy": { type: "string", default: "open" },
    });
    const [handle] = positionals(this, given, ["<handle>"]);
    const policy = values["follow-policy"] as string;
    if (policy !== "open" && policy !== "approval") {
      throw new UsageError(
        `--follow-policy must be open or approval, got ${JSON.stringify(policy)}`,
      );
    }
    const checked = checkGroupInput({
      handle: handle!,
      name: (values.name as string | undefined) ?? "",
      summary: values.summary as string,
      followPolicy: policy,
    });
    if (!checked.ok) {
      throw new CommandFailed(
        Object.values(checked.problems)
          .map((p) => GROUP_PROBLEMS[p])
          .join("\n"),
      );
    }
    const result = await createGroup(context, checked.input);
    if (!result.ok) throw new CommandFailed(GROUP_PROBLEMS["handle-taken"]);
    const urls = instanceUrls(context.config.origin);
    context.out(`Created the collective "${result.group.handle}" (${result.group.name}).`);
    context.out(`Actor: ${urls.group(result.group.handle).href}`);
  },
};

const invite: Command = {
  name: "invite",
  summary: "make an invitation link for a coordinator (--group) or an admin (--admin)",
  usage: `npm run admin -- invite --group <handle>
npm run admin -- invite --admin

Prints a one-time link with which the invited person creates their account:
a coordinator of the collective, or an instance admin. Send it privately; it
works for 72 hours.`,
  async run(args, context) {
    const { values, positionals: given } = parse(args, {
      group: { type: "string" },
      admin: { type: "boolean", default: false },
    });
    positionals(this, given, []);
    const handle = values.group as string | undefined;
    if ((handle === undefined) === (values.admin !== true)) {
      throw new UsageError("invite: give either --group <handle> or --admin");
    }
    const group = handle === undefined ? null : await groupNamed(context, handle);
    const invitation = await createInvitation(context, group);
    const urls = instanceUrls(context.config.origin);
    context.out(
      group === null
        ? "Invitation for an instance admin:"
        : `Invitation for a coordinator of "${group.handle}":`,
    );
    context.out(urls.invitationPage(invitation.token).href);
    context.out(`It works until ${iso(invitation.expiresAt)}.`);
  },
};

const tokens: Command = {
  name: "tokens",
  summary: "list, create or revoke a collective's API tokens",
  usage: `npm run admin -- tokens list <handle>
npm run admin -- tokens create <handle> [--label <text>]
npm run admin -- tokens revoke <handle> <id>

A collective's coordinator tokens (bearer tokens of the API). list shows each
token's id, label, creation and last use, never the token; create prints the
new token once; revoke refuses the token from the next request on.`,
  async run(args, context) {
    const { values, positionals: given } = parse(args, { label: { type: "string" } });
    const [action, ...rest] = given;
    if (action === "list") {
      const [handle] = positionals(this, rest, ["<handle>"]);
      const group = await groupNamed(context, handle!);
      const records = await listCoordinatorTokens(context, group);
      if (records.length === 0) context.out(`"${group.handle}" has no tokens.`);
      for (const record of records) {
        context.out(
          [
            record.id,
            `created ${iso(record.createdAt)}`,
            record.lastUsedAt === null ? "never used" : `last used ${iso(record.lastUsedAt)}`,
            record.label ?? "",
          ]
            .join("  ")
            .trimEnd(),
        );
      }
      return;
    }
    if (action === "create") {
      const [handle] = positionals(this, rest, ["<handle>"]);
      const group = await groupNamed(context, handle!);
      const result = await issueCoordinatorToken(
        context,
        group,
        (values.label as string | undefined) ?? null,
      );
      if (!result.ok) throw new CommandFailed(`The label is not usable (${result.problem}).`);
      context.out(`Token ${result.record.id} for "${group.handle}" (shown this once):`);
      context.out(result.token);
      return;
    }
    if (action === "revoke") {
      const [handle, id] = positionals(this, rest, ["<handle>", "<id>"]);
      const group = await groupNamed(context, handle!);
      if (!(await revokeCoordinatorToken(context, group, id!))) {
        throw new CommandFailed(`"${group.handle}" has no token with the id ${id}.`);
      }
      context.out(`Revoked token ${id} of "${group.handle}".`);
      return;
    }
    throw new UsageError(
      action === undefined
        ? "tokens: say list, create or revoke"
        : `tokens: unknown action ${JSON.stringify(action)}`,
    );
  },
};

const queue: Command = {
  name: "queue",
  summary: "show the delivery queue, parked hosts and recent delivery failures",
  usage: `npm run admin -- queue [--failures <n>]

The queue's messages by kind (delivery: activities to other servers; inbox:
received activities waiting to be handled) with the age of the oldest, the
hosts deliveries are parked for (they kept failing), and the last <n>
deliveries given up on (default 20).`,
  async run(args, context) {
    const { values, positionals: given } = parse(args, {
      failures: { type: "string", default: "20" },
    });
    positionals(this, given, []);
    const raw = values.failures as string;
    const limit = /^\d{1,4}$/.test(raw) ? Number(raw) : Number.NaN;
    if (!(limit >= 0))
      throw new UsageError(`--failures must be a number from 0 to 9999, got ${raw}`);
    const status = await deliveryStatus(context, { failures: limit, parked: 100 });
    context.out("Queue:");
    if (status.queue.lanes.length === 0) context.out("  empty");
    for (const lane of status.queue.lanes) {
      const age = Temporal.Duration.from({ seconds: Math.round(lane.oldestAgeSeconds) }).round({
        largestUnit: "day",
      });
      context.out(`  ${lane.lane}: ${lane.messages} message(s), oldest ${age.toString()}`);
    }
    context.out(`Parked hosts: ${status.parked.length === 0 ? "none" : ""}`.trimEnd());
    for (const host of status.parked) {
      context.out(
        `  ${host.destination}  ${host.failures} failure(s) in a row, until ${iso(host.parkedUntil)}`,
      );
    }
    context.out(
      `Recent delivery failures: ${status.failures.length === 0 ? "none" : ""}`.trimEnd(),
    );
    for (const failure of status.failures) {
      context.out(
        `  ${iso(failure.failedAt)}  ${failure.reason}  ${failure.inboxUrl}  ` +
          `${failure.activityType ?? "?"} ${failure.activityId ?? ""}  after ${failure.attempts} attempt(s): ` +
          failure.lastError.slice(0, 200),
      );
    }
  },
};

export const COMMANDS: readonly Command[] = [
  createAdmin,
  createGroupCommand,
  invite,
  tokens,
  queue,
];

export function overview(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  return [
    "Usage: npm run admin -- <command> [options]",
    "",
    "Commands:",
    ...COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    "",
    "npm run admin -- <command> --help shows a command's options.",
    "It works on the configured database: DATABASE_URL, or the embedded one in DATA_DIR",
    "(stop the server first: the embedded database serves one process).",
  ].join("\n");
}
