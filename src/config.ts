/**
 * Instance configuration, read once at startup from an environment record.
 *
 * `loadConfig` is pure: it takes the environment as an argument (never reads
 * `process.env` itself), collects every problem, and throws one
 * `ConfigurationError` that names each bad variable, so an operator fixes
 * them all in one go.
 */

import { normaliseEmailAddress } from "./domain/email-notifications.ts";
import { canonicalTimeZone } from "./domain/time-zone.ts";

export type LogLevel = "debug" | "info" | "warning" | "error";
/**
 * What this process does: `web` serves HTTP (and queues work), `worker` runs
 * the delivery queue and periodic jobs, `all` does both. Several web and
 * worker processes can share one PostgreSQL; its queue coordinates them.
 */
export type Role = "web" | "worker" | "all";

export interface Config {
  port: number;
  host: string;
  /** Public base URL, without a trailing slash; every ActivityPub id is built on it. */
  origin: URL;
  /** PostgreSQL URL, or null for the embedded database in `dataDir`. */
  databaseUrl: string | null;
  dataDir: string;
  adminToken: string | null;
  /** Let federation fetch from and deliver to loopback/private addresses (local testing only). */
  allowPrivateAddress: boolean;
  logLevel: LogLevel;
  /** `text` for a person reading the console, `json` for one object per line (log collectors). */
  logFormat: LogFormat;
  role: Role;
  /**
   * Behind a reverse proxy: take the client's address from the last
   * `X-Forwarded-For` entry (for rate limits). Only when a proxy always sets it.
   */
  trustProxy: boolean;
  /** Where board maps take their background tiles from; null: markers on a plain background. */
  mapTiles: MapTiles | null;
  /** IANA zone pages show times in when a collective has no zone of its own. */
  timeZone: string;
  /** Help requests accepted per client address and hour (partner links are not counted). */
  intakeLimitPerHour: number;
  /** Days a person's contact is kept after their request was closed, declined or withdrawn. */
  contactRetentionDays: number;
  /** Bearer token of `GET /metrics`; null: the endpoint answers 404. */
  metricsToken: string | null;
  /** The mail server emails go through (`smtp://` or `smtps://`); null: emails wait, unsent. */
  smtpUrl: URL | null;
  /** The sender of those emails: an address, or `Name <address>`. */
  mailFrom: string;
}

/**
 * A slippy-map tile server: `template` has `{z}`, `{x}` and `{y}` (for example
 * `https://tile.example/{z}/{x}/{y}.png`); `attribution` is shown under every
 * map, as tile providers' terms ask.
 */
export interface MapTiles {
  template: string;
  attribution: string;
}

export class ConfigurationError extends Error {
  readonly problems: readonly string[];

  constructor(problems: readonly string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
    this.name = "ConfigurationError";
    this.problems = problems;
  }
}

const LOG_LEVELS: readonly LogLevel[] = ["debug", "info", "warning", "error"];
export type LogFormat = "text" | "json";
/** Shortest admin token we accept: a guessable token is an open door to the instance. */
const MIN_ADMIN_TOKEN_LENGTH = 16;

export function loadConfig(env: Readonly<Record<string, string | undefined>>): Config {
  const problems: string[] = [];
  const value = (name: string): string | undefined => {
    const raw = env[name];
    return raw === undefined || raw.trim() === "" ? undefined : raw.trim();
  };

  let port = 3000;
  const rawPort = value("PORT");
  if (rawPort !== undefined) {
    const parsed = /^\d+$/.test(rawPort) ? Number(rawPort) : Number.NaN;
    if (!Number.isInteger(parsed) || parsed < 1 || parsed > 65535) {
      problems.push(`PORT must be an integer between 1 and 65535, got ${JSON.stringify(rawPort)}`);
    } else {
      port = parsed;
    }
  }

  const host = value("HOST") ?? "127.0.0.1";

  let origin = new URL(`http://localhost:${port}`);
  const rawOrigin = value("ORIGIN");
  if (rawOrigin !== undefined) {
    const parsed = URL.canParse(rawOrigin) ? new URL(rawOrigin) : null;
    if (parsed === null || (parsed.protocol !== "http:" && parsed.protocol !== "https:")) {
      problems.push(
        `ORIGIN must be an http(s) URL such as https://aid.example, got ${JSON.stringify(rawOrigin)}`,
      );
    } else if (parsed.pathname !== "/" || parsed.search !== "" || parsed.hash !== "") {
      problems.push(
        `ORIGIN must be a bare origin without path, query or fragment, got ${JSON.stringify(rawOrigin)}`,
      );
    } else if (parsed.username !== "" || parsed.password !== "") {
      problems.push("ORIGIN must not contain credentials");
    } else {
      origin = new URL(parsed.origin);
    }
  }

  let databaseUrl: string | null = null;
  const rawDatabaseUrl = value("DATABASE_URL");
  if (rawDatabaseUrl !== undefined) {
    const parsed = URL.canParse(rawDatabaseUrl) ? new URL(rawDatabaseUrl) : null;
    if (parsed === null || (parsed.protocol !== "postgres:" && parsed.protocol !== "postgresql:")) {
      problems.push("DATABASE_URL must be a postgres:// or postgresql:// URL");
    } else {
      databaseUrl = rawDatabaseUrl;
    }
  }

  const dataDir = value("DATA_DIR") ?? "./data";

  let adminToken: string | null = null;
  const rawAdminToken = value("ADMIN_TOKEN");
  if (rawAdminToken !== undefined) {
    if (rawAdminToken.length < MIN_ADMIN_TOKEN_LENGTH) {
      problems.push(`ADMIN_TOKEN must be at least ${MIN_ADMIN_TOKEN_LENGTH} characters long`);
    } else {
      adminToken = rawAdminToken;
    }
  }

  let metricsToken: string | null = null;
  const rawMetricsToken = value("METRICS_TOKEN");
  if (rawMetricsToken !== undefined) {
    if (rawMetricsToken.length < MIN_ADMIN_TOKEN_LENGTH) {
      problems.push(`METRICS_TOKEN must be at least ${MIN_ADMIN_TOKEN_LENGTH} characters long`);
    } else if (/\s/.test(rawMetricsToken)) {
      problems.push("METRICS_TOKEN must not contain spaces (it is sent as a bearer token)");
    } else {
      metricsToken = rawMetricsToken;
    }
  }

  let allowPrivateAddress = false;
  const rawAllowPrivate = value("ALLOW_PRIVATE_ADDRESS");
  if (rawAllowPrivate !== undefined) {
    if (rawAllowPrivate === "true") allowPrivateAddress = true;
    else if (rawAllowPrivate !== "false") {
      problems.push(
        `ALLOW_PRIVATE_ADDRESS must be "true" or "false", got ${JSON.stringify(rawAllowPrivate)}`,
      );
    }
  }

  let logLevel: LogLevel = "info";
  const rawLogLevel = value("LOG_LEVEL");
  if (rawLogLevel !== undefined) {
    if ((LOG_LEVELS as readonly string[]).includes(rawLogLevel)) logLevel = rawLogLevel as LogLevel;
    else {
      problems.push(
        `LOG_LEVEL must be one of ${LOG_LEVELS.join(", ")}, got ${JSON.stringify(rawLogLevel)}`,
      );
    }
  }

  let logFormat: LogFormat = "text";
  const rawLogFormat = value("LOG_FORMAT");
  if (rawLogFormat !== undefined) {
    if (rawLogFormat === "text" || rawLogFormat === "json") logFormat = rawLogFormat;
    else {
      problems.push(`LOG_FORMAT must be "text" or "json", got ${JSON.stringify(rawLogFormat)}`);
    }
  }

  let role: Role = "all";
  const rawRole = value("ROLE");
  if (rawRole !== undefined) {
    if (rawRole === "web" || rawRole === "worker" || rawRole === "all") role = rawRole;
    else problems.push(`ROLE must be one of web, worker, all, got ${JSON.stringify(rawRole)}`);
  }
  if (role !== "all" && databaseUrl === null) {
    problems.push(
      "ROLE=web or ROLE=worker needs DATABASE_URL: the embedded database serves one process",
    );
  }

  let trustProxy = false;
  const rawTrustProxy = value("TRUST_PROXY");
  if (rawTrustProxy !== undefined) {
    if (rawTrustProxy === "true") trustProxy = true;
    else if (rawTrustProxy !== "false") {
      problems.push(`TRUST_PROXY must be "true" or "false", got ${JSON.stringify(rawTrustProxy)}`);
    }
  }

  let mapTiles: MapTiles | null = null;
  const rawTileUrl = value("MAP_TILE_URL");
  const attribution = value("MAP_TILE_ATTRIBUTION");
  if (rawTileUrl !== undefined) {
    const problem = tileTemplateProblem(rawTileUrl);
    if (problem !== null)
      problems.push(`MAP_TILE_URL ${problem}, got ${JSON.stringify(rawTileUrl)}`);
    else {
      mapTiles = {
        template: rawTileUrl,
        attribution: attribution ?? `Map tiles: ${new URL(fillTemplate(rawTileUrl)).host}`,
      };
    }
  } else if (attribution !== undefined) {
    problems.push("MAP_TILE_ATTRIBUTION is set but MAP_TILE_URL is not");
  }

  let timeZone = "UTC";
  const rawTimeZone = value("TIME_ZONE");
  if (rawTimeZone !== undefined) {
    const zone = canonicalTimeZone(rawTimeZone);
    if (zone === null) {
      problems.push(
        `TIME_ZONE must be an IANA time zone such as Asia/Manila or UTC, got ${JSON.stringify(rawTimeZone)}`,
      );
    } else {
      timeZone = zone;
    }
  }

  const positiveInteger = (name: string, fallback: number, max: number): number => {
    const raw = value(name);
    if (raw === undefined) return fallback;
    const parsed = /^\d+$/.test(raw) ? Number(raw) : Number.NaN;
    if (!Number.isInteger(parsed) || parsed < 1 || parsed > max) {
      problems.push(`${name} must be a whole number from 1 to ${max}, got ${JSON.stringify(raw)}`);
      return fallback;
    }
    return parsed;
  };
  const intakeLimitPerHour = positiveInteger("INTAKE_LIMIT_PER_HOUR", 20, 100_000);
  const contactRetentionDays = positiveInteger("INTAKE_CONTACT_RETENTION_DAYS", 30, 3650);

  let smtpUrl: URL | null = null;
  const rawSmtpUrl = value("SMTP_URL");
  if (rawSmtpUrl !== undefined) {
    const parsed = URL.canParse(rawSmtpUrl) ? new URL(rawSmtpUrl) : null;
    if (parsed === null || (parsed.protocol !== "smtp:" && parsed.protocol !== "smtps:")) {
      // Never echoed: it may hold the mail server's password.
      problems.push(
        "SMTP_URL must be an smtp:// or smtps:// URL such as smtp://user:pass@mail.example:587",
      );
    } else if (parsed.hostname === "") {
      problems.push("SMTP_URL must name the mail server's host");
    } else {
      smtpUrl = parsed;
    }
  }

  let mailFrom = `bayanihan@${origin.hostname}`;
  const rawMailFrom = value("MAIL_FROM");
  if (rawMailFrom !== undefined) {
    const named = /^([^<>"\r\n]*)<([^<>]+)>$/.exec(rawMailFrom);
    const address = normaliseEmailAddress(named === null ? rawMailFrom : named[2]!);
    if (address === null) {
      problems.push(
        `MAIL_FROM must be an email address such as aid@example.org (or "Name <aid@example.org>"), got ${JSON.stringify(rawMailFrom)}`,
      );
    } else {
      const name = named?.[1]?.trim() ?? "";
      mailFrom = name === "" ? address : `${name} <${address}>`;
    }
  }

  if (problems.length > 0) throw new ConfigurationError(problems);
  return {
    port,
    host,
    origin,
    databaseUrl,
    dataDir,
    adminToken,
    allowPrivateAddress,
    logLevel,
    logFormat,
    role,
    trustProxy,
    mapTiles,
    timeZone,
    intakeLimitPerHour,
    contactRetentionDays,
    metricsToken,
    smtpUrl,
    mailFrom,
  };
}

function fillTemplate(template: string): string {
  return template.replaceAll("{z}", "0").replaceAll("{x}", "0").replaceAll("{y}", "0");
}

/** What is wrong with a tile URL template, or null. */
function tileTemplateProblem(template: string): string | null {
  for (const placeholder of ["{z}", "{x}", "{y}"]) {
    if (!template.includes(placeholder)) return `must contain ${placeholder}`;
  }
  const filled = fillTemplate(template);
  if (/[{}]/.test(filled)) return "may contain only the placeholders {z}, {x} and {y}";
  const parsed = URL.canParse(filled) ? new URL(filled) : null;
  if (parsed === null || (parsed.protocol !== "https:" && parsed.protocol !== "http:")) {
    return "must be an http(s) URL template such as https://tile.example/{z}/{x}/{y}.png";
  }
  if (parsed.username !== "" || parsed.password !== "") return "must not contain credentials";
  return null;
}
