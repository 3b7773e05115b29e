import { createRoute, type OpenAPIHono, z } from "@hono/zod-openapi";
import type { DomainPolicyEntry } from "../../domain/federation-policy.ts";
import { identifyCaller, requireAdmin } from "../auth.ts";
import { ApiError, notFound } from "../errors.ts";
import type { ApiDeps } from "./deps.ts";
import { ErrorSchema } from "./schemas.ts";

const errors = {
  400: { description: "Invalid input", content: { "application/json": { schema: ErrorSchema } } },
  401: {
    description: "No or invalid token",
    content: { "application/json": { schema: ErrorSchema } },
  },
  403: {
    description: "Not an admin token",
    content: { "application/json": { schema: ErrorSchema } },
  },
} as const;

const Mode = z.enum(["open", "allowlist"]).openapi({
  description:
    "`open`: federate with every domain that is not blocked; `allowlist`: only with allowed domains.",
});

const FederationSettingsSchema = z.object({ mode: Mode }).openapi("FederationSettings");
const FederationSettingsInputSchema = z
  .strictObject({ mode: Mode })
  .openapi("FederationSettingsInput");

const DomainPolicySchema = z
  .object({
    domain: z.string().openapi({ example: "spam.example" }),
    policy: z.enum(["allow", "block"]),
    reason: z.string().nullable(),
    createdAt: z.string(),
  })
  .openapi("DomainPolicy");

const DomainPolicyInputSchema = z
  .strictObject({
    domain: z.string().min(1).max(300).openapi({
      description:
        "A host name (Unicode or punycode) or an IP address; a port is ignored. A block covers the host and every subdomain; an allow entry matches exactly that host; IP literals match exactly.",
      example: "spam.example",
    }),
    policy: z.enum(["allow", "block"]),
    reason: z.string().max(1000).nullable().optional(),
  })
  .openapi("DomainPolicyInput");

const DomainParam = z.object({
  domain: z
    .string()
    .min(1)
    .max(300)
    .openapi({ param: { name: "domain", in: "path" }, example: "spam.example" }),
});

function entryView(entry: DomainPolicyEntry) {
  return {
    domain: entry.domain,
    policy: entry.policy,
    reason: entry.reason,
    createdAt: entry.createdAt.toString(),
  };
}

/** The instance's federation policy (contract: "Peer federation"); admin token only. */
export function registerAdminFederationRoutes(app: OpenAPIHono, deps: ApiDeps): void {
  const policy = deps.federationPolicy;
  // Authorization before validation: an anonymous caller learns nothing about the input rules.
  for (const path of ["/api/v1/admin/federation", "/api/v1/admin/federation/*"]) {
    app.use(path, async (c, next) => {
      requireAdmin(await identifyCaller(c, deps));
      await next();
    });
  }

  app.openapi(
    createRoute({
      method: "get",
      path: "/api/v1/admin/federation",
      summary: "The instance's federation mode (instance admin)",
      security: [{ bearer: [] }],
      responses: {
        200: {
          description: "The mode",
          content: { "application/json": { schema: FederationSettingsSchema } },
        },
        ...errors,
      },
    }),
    async (c) => c.json({ mode: await policy.mode() }, 200),
  );

  app.openapi(
    createRoute({
      method: "put",
      path: "/api/v1/admin/federation",
      summary: "Set the federation mode (instance admin); takes effect at once",
      description:
        "Switching to `allowlist` keeps the followers on other domains but sends them nothing and refuses their requests.",
      security: [{ bearer: [] }],
      request: {
        body: {
          required: true,
          content: { "application/json": { schema: FederationSettingsInputSchema } },
        },
      },
      responses: {
        200: {
          description: "The new mode",
          content: { "application/json": { schema: FederationSettingsSchema } },
        },
        ...errors,
      },
    }),
    async (c) => {
      const { mode } = c.req.valid("json");
      await policy.setMode(mode);
      return c.json({ mode }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/api/v1/admin/federation/domains",
      summary: "List the allowed and blocked domains (instance admin)",
      security: [{ bearer: [] }],
      responses: {
        200: {
          description: "The entries, by domain",
          content: {
            "application/json": { schema: z.object({ items: z.array(DomainPolicySchema) }) },
          },
        },
        ...errors,
      },
    }),
    async (c) => c.json({ items: (await policy.domains()).map(entryView) }, 200),
  );

  app.openapi(
    createRoute({
      method: "post",
      path: "/api/v1/admin/federation/domains",
      summary: "Allow or block a domain (instance admin); takes effect at once",
      description:
        "A block also deletes, in the same transaction, the followers and follows whose actor is on that host. " +
        "A domain that has an entry already gets 409 and is left unchanged: delete the entry first to change it " +
        "(so a block is never turned into an allow by accident).",
      security: [{ bearer: [] }],
      request: {
        body: {
          required: true,
          content: { "application/json": { schema: DomainPolicyInputSchema } },
        },
      },
      responses: {
        201: {
          description:
            "Created; `removed` counts what was deleted with a block: followers and follows on that host, needs, offers and posts received from it, shares by its actors, its groups' incident participations and the copies of incidents they opened",
          content: {
            "application/json": {
              schema: DomainPolicySchema.extend({
                removed: z.object({
                  followers: z.number().int(),
                  following: z.number().int(),
                  remoteProposals: z.number().int(),
                  remoteShares: z.number().int(),
                  incidentParticipants: z.number().int(),
                  incidentCopies: z.number().int(),
                }),
              }),
            },
          },
        },
        409: {
          description: "The domain has an entry already",
          content: { "application/json": { schema: ErrorSchema } },
        },
        ...errors,
      },
    }),
    async (c) => {
      const input = c.req.valid("json");
      const result = await policy.addDomain(input);
      if (!result.ok && result.error === "invalid") {
        throw new ApiError(400, "invalid_request", `domain: ${result.reason}`, {
          issues: [{ path: "domain", message: result.reason }],
        });
      }
      if (!result.ok) {
        const { domain } = result;
        throw ApiError.said(409, "conflict", (t) => t.apiErrors.domainHasEntry(domain));
      }
      return c.json({ ...entryView(result.entry), removed: result.removed }, 201);
    },
  );

  app.openapi(
    createRoute({
      method: "delete",
      path: "/api/v1/admin/federation/domains/{domain}",
      summary: "Remove a domain's entry (instance admin); takes effect at once",
      description:
        "Relationships deleted by a block are not restored. The domain is read like the POST's (case, port and IDNA do not matter).",
      security: [{ bearer: [] }],
      request: { params: DomainParam },
      responses: {
        204: { description: "Removed" },
        404: {
          description: "The domain has no entry",
          content: { "application/json": { schema: ErrorSchema } },
        },
        ...errors,
      },
    }),
    async (c) => {
      const result = await policy.removeDomain(c.req.valid("param").domain);
      if (typeof result === "object") {
        throw new ApiError(400, "invalid_request", `domain: ${result.invalid}`, {
          issues: [{ path: "domain", message: result.invalid }],
        });
      }
      if (result === "not_found") throw notFound("domainEntry");
      return c.body(null, 204);
    },
  );
}
