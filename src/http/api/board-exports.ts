import { createRoute, type OpenAPIHono, z } from "@hono/zod-openapi";
import type { Context } from "hono";
import { findGroupByHandle } from "../../db/groups.repo.ts";
import { findIncident } from "../../db/incidents.repo.ts";
import { alliesDataset, type BoardDatasetRequest, incidentDataset } from "../../services/boards.ts";
import type { ExportDataset } from "../../services/exports.ts";
import { type NotFoundThing, notFound } from "../errors.ts";
import type { ApiDeps } from "./deps.ts";
import {
  canonicalSearch,
  ExportQuery,
  type ExportQueryValues,
  FEEDS,
  FORMATS,
  type Format,
  filtersOf,
  publicDataHeaders,
  wordsFor,
} from "./exports.ts";
import { ErrorSchema, HandleParam, IdParam } from "./schemas.ts";

/**
 * Open data for the boards: an incident's (its tagged needs and offers from
 * every participant) and a group's "my allies", in the formats of the group
 * exports (exports.ts), with the same filters. A board holds at most
 * BOARD_MAX_ITEMS, so these exports do too (`X-Truncated` says when more
 * matched).
 */
type Scope = "incident" | "allies";

export function registerBoardExportRoutes(app: OpenAPIHono, deps: ApiDeps): void {
  const { db, urls } = deps;

  async function serve(
    c: Context,
    format: Format,
    load: (request: BoardDatasetRequest) => Promise<ExportDataset | null>,
    name: NotFoundThing,
    query: ExportQueryValues,
    selfUrl: URL,
  ): Promise<Response> {
    const filters = filtersOf(query);
    const dataset = await load({
      filters: { purpose: filters.purpose, category: filters.category, statuses: filters.statuses },
      cap: format.cap,
      selfUrl: selfUrl.href,
      now: deps.clock(),
    });
    if (dataset === null) throw notFound(name);
    c.header("Content-Type", format.contentType);
    publicDataHeaders(c);
    if (dataset.truncated) c.header("X-Truncated", "true");
    if (format.attachment !== undefined) {
      c.header("Content-Disposition", `attachment; filename="board.${format.attachment}"`);
    }
    return c.body(format.render(dataset.document, wordsFor(c, format)), 200);
  }

  const loaders = {
    incident: (id: string) => async (request: BoardDatasetRequest) => {
      const incident = await findIncident(db, id);
      if (incident === null) return null;
      return incidentDataset(db, urls, incident, urls.incidentPage(id).href, request);
    },
    allies: (handle: string) => async (request: BoardDatasetRequest) => {
      const group = await findGroupByHandle(db, handle);
      if (group === null) return null;
      return alliesDataset(db, urls, group, urls.alliesBoard(handle).href, request);
    },
  };

  const routeOf = (scope: Scope, format: Format, path: string) =>
    createRoute({
      method: "get",
      path,
      summary: `${scope === "incident" ? "An incident's cross-city board" : "A group's allies board"}: ${format.summary}`,
      request: { params: scope === "incident" ? IdParam : HandleParam, query: ExportQuery },
      responses: {
        200: {
          description: format.summary,
          content: { [format.contentType.split(";")[0]!]: { schema: z.string() } },
        },
        400: {
          description: "Invalid filter",
          content: { "application/json": { schema: ErrorSchema } },
        },
        404: {
          description: scope === "incident" ? "No such incident" : "No such group",
          content: { "application/json": { schema: ErrorSchema } },
        },
      },
    });

  const formats = FORMATS.filter((f) => !f.groupOnly);
  for (const format of formats) {
    app.openapi(
      routeOf("incident", format, `/api/v1/incidents/{id}/exports/${format.file}`),
      (c) => {
        const { id } = c.req.valid("param") as { id: string };
        const self = urls.incidentExport(id, format.file);
        self.search = canonicalSearch(c.req.valid("query"));
        return serve(c, format, loaders.incident(id), "incident", c.req.valid("query"), self);
      },
    );
    app.openapi(
      routeOf("allies", format, `/api/v1/groups/{handle}/board/exports/${format.file}`),
      (c) => {
        const { handle } = c.req.valid("param") as { handle: string };
        const self = urls.alliesExport(handle, format.file);
        self.search = canonicalSearch(c.req.valid("query"));
        return serve(c, format, loaders.allies(handle), "group", c.req.valid("query"), self);
      },
    );
  }
  for (const feed of FEEDS) {
    app.openapi(routeOf("incident", feed, `/incidents/{id}/${feed.file}`), (c) => {
      const { id } = c.req.valid("param") as { id: string };
      const self = urls.incidentFeed(id, feed.format);
      self.search = canonicalSearch(c.req.valid("query"));
      return serve(c, feed, loaders.incident(id), "incident", c.req.valid("query"), self);
    });
    app.openapi(routeOf("allies", feed, `/groups/{handle}/board/${feed.file}`), (c) => {
      const { handle } = c.req.valid("param") as { handle: string };
      const self = urls.alliesFeed(handle, feed.format);
      self.search = canonicalSearch(c.req.valid("query"));
      return serve(c, feed, loaders.allies(handle), "group", c.req.valid("query"), self);
    });
  }
}
