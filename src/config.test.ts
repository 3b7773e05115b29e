import { describe, expect, it } from "vitest";
import { ConfigurationError, loadConfig } from "./config.ts";

describe("loadConfig", () => {
  it("gives the contract's defaults for an empty environment", () => {
    const config = loadConfig({});
    expect(config).toEqual({
      port: 3000,
      host: "127.0.0.1",
      origin: new URL("http://localhost:3000"),
      databaseUrl: null,
      dataDir: "./data",
      adminToken: null,
      allowPrivateAddress: false,
      logLevel: "info",
      logFormat: "text",
      role: "all",
      trustProxy: false,
      mapTiles: null,
      timeZone: "UTC",
      intakeLimitPerHour: 20,
      contactRetentionDays: 30,
      metricsToken: null,
      smtpUrl: null,
      mailFrom: "bayanihan@localhost",
    });
  });

  it("reads SMTP_URL and MAIL_FROM, the sender defaulting to the origin's host", () => {
    const config = loadConfig({
      ORIGIN: "https://aid.example",
      SMTP_URL: "smtps://mailer:s3cret@mail.example:465",
    });
    expect(config.smtpUrl?.href).toBe("smtps://mailer:s3cret@mail.example:465");
    expect(config.mailFrom).toBe("bayanihan@aid.example");
    expect(loadConfig({ MAIL_FROM: "Ayuda Mutua <Ayuda@Aid.Example>" }).mailFrom).toBe(
      "Ayuda Mutua <Ayuda@aid.example>",
    );
    let error: unknown;
    try {
      loadConfig({ SMTP_URL: "http://user:hunter2@mail.example", MAIL_FROM: "not an address" });
    } catch (e) {
      error = e;
    }
    const problems = (error as ConfigurationError).problems.join("\n");
    expect(problems).toContain("SMTP_URL");
    expect(problems).toContain("MAIL_FROM");
    // The mail server's password is never repeated in a log.
    expect(problems).not.toContain("hunter2");
    expect(() => loadConfig({ MAIL_FROM: "aid@example.org\r\nBcc: x@y.z" })).toThrow(/MAIL_FROM/);
  });

  it("reads METRICS_TOKEN and refuses a short one or one with spaces", () => {
    expect(loadConfig({ METRICS_TOKEN: " scrape-token-0123456789 " }).metricsToken).toBe(
      "scrape-token-0123456789",
    );
    expect(loadConfig({ METRICS_TOKEN: "  " }).metricsToken).toBeNull();
    expect(() => loadConfig({ METRICS_TOKEN: "short" })).toThrow(
      /METRICS_TOKEN must be at least 16 characters long/,
    );
    expect(() => loadConfig({ METRICS_TOKEN: "scrape token 0123456789" })).toThrow(
      /METRICS_TOKEN must not contain spaces/,
    );
  });

  it("reads the help form's per-address limit and how long contacts are kept", () => {
    const config = loadConfig({ INTAKE_LIMIT_PER_HOUR: "200", INTAKE_CONTACT_RETENTION_DAYS: "7" });
    expect(config.intakeLimitPerHour).toBe(200);
    expect(config.contactRetentionDays).toBe(7);
    for (const bad of ["0", "-1", "2.5", "lots", "100001"]) {
      expect(() => loadConfig({ INTAKE_LIMIT_PER_HOUR: bad })).toThrow(
        /INTAKE_LIMIT_PER_HOUR must be a whole number from 1 to 100000/,
      );
    }
    expect(() => loadConfig({ INTAKE_CONTACT_RETENTION_DAYS: "0" })).toThrow(
      /INTAKE_CONTACT_RETENTION_DAYS must be a whole number from 1 to 3650/,
    );
  });

  it("reads TIME_ZONE as a canonical IANA zone and refuses one that does not exist", () => {
    expect(loadConfig({ TIME_ZONE: "asia/manila" }).timeZone).toBe("Asia/Manila");
    expect(loadConfig({ TIME_ZONE: "Pacific/Kiritimati" }).timeZone).toBe("Pacific/Kiritimati");
    for (const bad of ["Mars/Olympus_Mons", "+08:00", "GMT+8 Manila"]) {
      expect(() => loadConfig({ TIME_ZONE: bad })).toThrow(/TIME_ZONE must be an IANA time zone/);
    }
  });

  it("reads a map tile server, with a default attribution naming its host", () => {
    expect(
      loadConfig({ MAP_TILE_URL: "https://tiles.example/osm/{z}/{x}/{y}.png" }).mapTiles,
    ).toEqual({
      template: "https://tiles.example/osm/{z}/{x}/{y}.png",
      attribution: "Map tiles: tiles.example",
    });
    expect(
      loadConfig({
        MAP_TILE_URL: "https://tiles.example/{z}/{x}/{y}.png",
        MAP_TILE_ATTRIBUTION: "© OpenStreetMap contributors",
      }).mapTiles?.attribution,
    ).toBe("© OpenStreetMap contributors");
  });

  it("refuses tile URLs that cannot be filled in, and an attribution without a URL", () => {
    expect(() => loadConfig({ MAP_TILE_URL: "https://tiles.example/{z}/{x}.png" })).toThrow(
      /MAP_TILE_URL must contain \{y\}/,
    );
    expect(() => loadConfig({ MAP_TILE_URL: "https://tiles.example/{z}/{x}/{y}/{s}.png" })).toThrow(
      /only the placeholders/,
    );
    expect(() => loadConfig({ MAP_TILE_URL: "javascript:{z}{x}{y}" })).toThrow(/http\(s\) URL/);
    expect(() => loadConfig({ MAP_TILE_URL: "https://u:p@tiles.example/{z}/{x}/{y}" })).toThrow(
      /credentials/,
    );
    expect(() => loadConfig({ MAP_TILE_ATTRIBUTION: "OSM" })).toThrow(/MAP_TILE_URL is not/);
  });

  it("splits web and worker roles only on PostgreSQL", () => {
    expect(loadConfig({ ROLE: "worker", DATABASE_URL: "postgres://db/x" }).role).toBe("worker");
    expect(() => loadConfig({ ROLE: "web" })).toThrow(/ROLE=web or ROLE=worker needs DATABASE_URL/);
    expect(() => loadConfig({ ROLE: "both" })).toThrow(/ROLE must be one of/);
  });

  it("derives the default origin from PORT", () => {
    expect(loadConfig({ PORT: "8080" }).origin.href).toBe("http://localhost:8080/");
  });

  it("reads every variable", () => {
    const config = loadConfig({
      PORT: "4000",
      HOST: "0.0.0.0",
      ORIGIN: "https://aid.example/",
      DATABASE_URL: "postgres://app@db:5432/bayanihan",
      DATA_DIR: "/var/lib/bayanihan",
      ADMIN_TOKEN: "a-long-enough-admin-token",
      ALLOW_PRIVATE_ADDRESS: "true",
      LOG_LEVEL: "debug",
      TRUST_PROXY: "true",
    });
    expect(config).toMatchObject({
      port: 4000,
      host: "0.0.0.0",
      databaseUrl: "postgres://app@db:5432/bayanihan",
      dataDir: "/var/lib/bayanihan",
      adminToken: "a-long-enough-admin-token",
      allowPrivateAddress: true,
      logLevel: "debug",
      trustProxy: true,
    });
    expect(config.origin.href).toBe("https://aid.example/");
  });

  it("names every bad variable at once", () => {
    let error: unknown;
    try {
      loadConfig({
        PORT: "70000",
        ORIGIN: "ftp://aid.example",
        DATABASE_URL: "mysql://x",
        ADMIN_TOKEN: "short",
        ALLOW_PRIVATE_ADDRESS: "yes",
        LOG_LEVEL: "verbose",
        LOG_FORMAT: "xml",
        TRUST_PROXY: "1",
      });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigurationError);
    const problems = (error as ConfigurationError).problems.join("\n");
    for (const name of [
      "PORT",
      "ORIGIN",
      "DATABASE_URL",
      "ADMIN_TOKEN",
      "ALLOW_PRIVATE_ADDRESS",
      "LOG_LEVEL",
      "LOG_FORMAT",
      "TRUST_PROXY",
    ]) {
      expect(problems).toContain(name);
    }
  });

  it("takes LOG_FORMAT json or text, and nothing else", () => {
    expect(loadConfig({ LOG_FORMAT: "json" }).logFormat).toBe("json");
    expect(loadConfig({ LOG_FORMAT: "text" }).logFormat).toBe("text");
    expect(() => loadConfig({ LOG_FORMAT: "JSON" })).toThrow(/LOG_FORMAT must be "text" or "json"/);
  });

  it("refuses an origin with a path, and a port that is not a number", () => {
    expect(() => loadConfig({ ORIGIN: "https://aid.example/app" })).toThrow(/ORIGIN/);
    expect(() => loadConfig({ PORT: "3000abc" })).toThrow(/PORT/);
  });
});
