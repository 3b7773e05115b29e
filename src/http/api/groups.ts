import { createRoute, type OpenAPIHono, z } from "@hono/zod-openapi";
import { findGroupByHandle, listGroups } from "../../db/groups.repo.ts";
import { createGroup, editGroupSettings } from "../../services/groups.ts";
import { identifyCaller, requireAdmin, requireCoordinator } from "../auth.ts";
import { ApiError, notFound } from "../errors.ts";
import type { ApiDeps } from "./deps.ts";
import {
  ErrorSchema,
  errorResponses,
  GroupInputSchema,
  GroupSchema,
  GroupUpdateSchema,
  HandleParam,
} from "./schemas.ts";
import { groupView } from "./views.ts";

const errors = errorResponses;

export function registerGroupRoutes(app: OpenAPIHono, deps: ApiDeps): void {
  app.openapi(
    createRoute({
      method: "post",
      path: "/api/v1/groups",
      summary: "Create a collective (instance admin)",
      security: [{ bearer: [] }],
      request: {
        body: { required: true, content: { "application/json": { schema: GroupInputSchema } } },
      },
      responses: {
        201: { description: "Created", content: { "application/json": { schema: GroupSchema } } },
        409: {
          description: "Handle taken",
          content: { "application/json": { schema: ErrorSchema } },
        },
        ...errors,
      },
    }),
    async (c) => {
      requireAdmin(await identifyCaller(c, deps));
      const input = c.req.valid("json");
      const result = await createGroup(deps, {
        handle: input.handle,
        name: input.name,
        summary: input.summary ?? "",
        followPolicy: input.followPolicy ?? "open",
        timeZone: input.timeZone ?? null,
      });
      if (!result.ok)
        throw ApiError.said(409, "conflict", (t) => t.apiErrors.handleTaken(input.handle));
      return c.json(groupView(result.group, deps.urls, deps.timeZone), 201);
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/api/v1/groups",
      summary: "List the collectives of this instance",
      responses: {
        200: {
          description: "The collectives",
          content: { "application/json": { schema: z.object({ items: z.array(GroupSchema) }) } },
        },
      },
    }),
    async (c) => {
      const groups = await listGroups(deps.db);
      return c.json({ items: groups.map((g) => groupView(g, deps.urls, deps.timeZone)) }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/api/v1/groups/{handle}",
      summary: "Get a collective",
      request: { params: HandleParam },
      responses: {
        200: {
          description: "The collective",
          content: { "application/json": { schema: GroupSchema } },
        },
        ...errors,
      },
    }),
    async (c) => {
      const group = await findGroupByHandle(deps.db, c.req.valid("param").handle);
      if (group === null) throw notFound("group");
      return c.json(groupView(group, deps.urls, deps.timeZone), 200);
    },
  );

  app.openapi(
    createRoute({
      method: "patch",
      path: "/api/v1/groups/{handle}",
      summary:
        "Change a collective's name, summary, follow policy or time zone (instance admin or the group's coordinator); a changed name, summary or follow policy is sent to its followers as an Update of its actor",
      security: [{ bearer: [] }],
      request: {
        params: HandleParam,
        body: { required: true, content: { "application/json": { schema: GroupUpdateSchema } } },
      },
      responses: {
        200: {
          description: "The collective",
          content: { "application/json": { schema: GroupSchema } },
        },
        ...errors,
      },
    }),
    async (c) => {
      const caller = await identifyCaller(c, deps);
      const group = await findGroupByHandle(deps.db, c.req.valid("param").handle);
      if (group === null) throw notFound("group");
      requireCoordinator(caller, group);
      const body = c.req.valid("json");
      // Absent fields keep their value; the same use case as the settings page.
      const updated = await editGroupSettings(deps, group, {
        name: body.name ?? group.name,
        summary: body.summary?.trim() ?? group.summary,
        followPolicy: body.followPolicy ?? group.followPolicy,
        timeZone: body.timeZone === undefined ? (group.timeZone ?? null) : body.timeZone,
      });
      if (updated === null) throw notFound("group");
      return c.json(groupView(updated, deps.urls, deps.timeZone), 200);
    },
  );
}
