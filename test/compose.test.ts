import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";

const root = path.resolve(import.meta.dirname, "..");

interface Service {
  image?: string;
  build?: string;
  environment?: Record<string, string>;
  stop_grace_period?: string;
  volumes?: string[];
  ports?: string[];
}

/**
 * What README.md "Production with PostgreSQL" promises of docker-compose.yml
 * (CI also validates it with docker-compose config): PostgreSQL, a TLS proxy
 * in front of two web processes, a worker, and time to stop gracefully.
 */
describe("docker-compose.yml", () => {
  // Merge keys (`<<: *app-environment`) as Compose reads them.
  const compose = parse(readFileSync(path.join(root, "docker-compose.yml"), "utf8"), {
    merge: true,
  }) as {
    services: Record<string, Service>;
  };
  const services = Object.entries(compose.services);
  const role = (name: string) => compose.services[name]?.environment?.ROLE;

  it("runs two web processes and a worker on one PostgreSQL", () => {
    expect(services.filter(([name]) => role(name) === "web")).toHaveLength(2);
    expect(services.filter(([name]) => role(name) === "worker")).toHaveLength(1);
    expect(compose.services.db?.image).toMatch(/^postgres:/);
    for (const [name, service] of services.filter(([n]) => role(n) !== undefined)) {
      expect(service.environment?.DATABASE_URL, name).toMatch(/^postgres:\/\/.*@db:5432\//);
      // A minute: 10 s for requests and 30 s for deliveries under way, with room.
      expect(service.stop_grace_period, name).toBe("1m");
      // Only the proxy is reachable from outside.
      expect(service.ports, name).toBeUndefined();
    }
  });

  it("puts Caddy in front of both web processes, and they trust its X-Forwarded-For", () => {
    const proxy = compose.services.proxy;
    expect(proxy?.image).toMatch(/^caddy:/);
    expect(proxy?.ports).toEqual(["80:80", "443:443"]);
    expect(proxy?.volumes).toContain("./Caddyfile:/etc/caddy/Caddyfile:ro");
    const caddyfile = readFileSync(path.join(root, "Caddyfile"), "utf8");
    const webs = services.filter(([name]) => role(name) === "web").map(([name]) => name);
    expect(caddyfile).toContain(`reverse_proxy ${webs.map((w) => `${w}:3000`).join(" ")}`);
    expect(caddyfile).toContain("health_uri /healthz");
    for (const web of webs) expect(compose.services[web]?.environment?.TRUST_PROXY).toBe("true");
  });
});
