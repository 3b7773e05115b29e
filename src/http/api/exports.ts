import { createRoute, type OpenAPIHono, z } from "@hono/zod-openapi";
import type { Context } from "hono";
import { findGroupByHandle } from "../../db/groups.repo.ts";
import { CATEGORY_SLUGS } from "../../domain/categories.ts";
import {
  EXPORT_ROW_CAP,
  type ExportDocument,
  FEED_ENTRY_CAP,
} from "../../domain/exports/document.ts";
import {
  atomFeed,
  ENGLISH_FEED_WORDS,
  type FeedWords,
  rssFeed,
} from "../../domain/exports/feeds.ts";
import { listingsGeoJson } from "../../domain/exports/geojson.ts";
import {
  groupsNeedsProfile,
  offersWantsProfile,
  offersWantsProfiles,
} from "../../domain/exports/murmurations.ts";
import { listingsCsv, listingsHxl } from "../../domain/exports/table.ts";
import { DEFAULT_EXPORT_STATUSES } from "../../domain/listing.ts";
import type { ProposalStatus } from "../../domain/proposal.ts";
import {
  type DatasetRequest,
  type ExportDataset,
  type ExportFilters,
  groupDataset,
  networkDataset,
  publicListing,
} from "../../services/exports.ts";
import type { FeedFormat } from "../../urls.ts";
import { ApiError, notFound, proposalThing } from "../errors.ts";
import { apiLocale } from "../language.ts";
import type { ApiDeps } from "./deps.ts";
import { feedWords } from "./feed-words.ts";
import { ErrorSchema, HandleParam, IdParam } from "./schemas.ts";

/**
 * Open data: a group's public needs and offers, and its network feed, as
 * CSV, HXL, GeoJSON, Murmurations profiles and RSS/Atom feeds. Public, no
 * token. Formats are the pure functions of domain/exports; this module only
 * reads the filters, loads the dataset and sets the headers.
 */

const STATUSES: readonly ProposalStatus[] = ["open", "pledged", "fulfilled", "closed", "expired"];

export const ExportQuery = z.object({
  purpose: z.enum(["request", "offer"]).optional(),
  status: z
    .string()
    .max(100)
    .optional()
    .openapi({
      description: `Comma-separated statuses (${STATUSES.join(", ")}); default open,pledged`,
      example: "open,pledged",
    }),
  category: z.enum(CATEGORY_SLUGS).optional(),
  lang: z.string().max(35).optional().openapi({
    description:
      "Feeds, CSV, HXL and GeoJSON: the language of their labels and headers (en, es, fil; tl is Filipino); default from Accept-Language, else English. Codes, hashtags and property names stay the same",
    example: "es",
  }),
});

export type ExportQueryValues = z.infer<typeof ExportQuery>;
type Query = ExportQueryValues;

export function filtersOf(query: Query): ExportFilters {
  let statuses = DEFAULT_EXPORT_STATUSES;
  if (query.status !== undefined) {
    const asked = query.status.split(",").map((s) => s.trim());
    const unknown = asked.filter((s) => !(STATUSES as readonly string[]).includes(s));
    if (unknown.length > 0 || asked.length === 0) {
      throw ApiError.said(
        400,
        "invalid_request",
        (t) => t.apiErrors.statusList(STATUSES.join(", ")),
        { unknown },
      );
    }
    statuses = [...new Set(asked as ProposalStatus[])];
  }
  return { purpose: query.purpose, statuses, category: query.category };
}

type Scope = "group" | "network";

export interface Format {
  readonly file: string;
  readonly contentType: string;
  readonly summary: string;
  readonly cap: number;
  /** Only the group's own dataset has it (a group profile describes the group itself). */
  readonly groupOnly?: boolean;
  /** Saved as a file by browsers: `food-needs.csv`. */
  readonly attachment?: string;
  readonly render: (document: ExportDocument, words: FeedWords) => string;
  /** Told in the reader's language (`lang`, else Accept-Language): the feeds, CSV, HXL, GeoJSON. */
  readonly inLanguage?: boolean;
}

/** The words of a format's document, in the reader's language where the format has words. */
export function wordsFor(c: Context, format: Format): FeedWords {
  return format.inLanguage === true ? feedWords(apiLocale(c, { query: true })) : ENGLISH_FEED_WORDS;
}

const CSV = "text/csv; charset=utf-8";

export const FORMATS: readonly Format[] = [
  {
    file: "listings.csv",
    contentType: CSV,
    summary: "CSV (RFC 4180), one row per need or offer",
    cap: EXPORT_ROW_CAP,
    attachment: "csv",
    render: listingsCsv,
    inLanguage: true,
  },
  {
    file: "listings.hxl.csv",
    contentType: CSV,
    summary: "HXL: the CSV with a row of HXL hashtags under the headers",
    cap: EXPORT_ROW_CAP,
    attachment: "hxl.csv",
    render: listingsHxl,
    inLanguage: true,
  },
  {
    file: "listings.geojson",
    contentType: "application/geo+json",
    summary: "GeoJSON (RFC 7946) FeatureCollection; unlocated items have null geometry",
    cap: EXPORT_ROW_CAP,
    render: (d, words) => JSON.stringify(listingsGeoJson(d, words)),
    inLanguage: true,
  },
  {
    file: "murmurations/offers-wants.json",
    contentType: "application/json",
    summary: "Murmurations offers_wants_schema-v0.1.0 profiles, {items: [...]}",
    cap: EXPORT_ROW_CAP,
    render: (d) => JSON.stringify(offersWantsProfiles(d)),
  },
  {
    file: "murmurations/groups-needs.json",
    contentType: "application/json",
    summary: "The group's Murmurations groups_needs_schema-v0.0.1 profile (its open needs)",
    cap: EXPORT_ROW_CAP,
    groupOnly: true,
    render: (d) => JSON.stringify(groupsNeedsProfile(d)),
  },
];

export const FEEDS: readonly (Format & { readonly format: FeedFormat })[] = [
  {
    format: "rss",
    file: "feed.rss",
    contentType: "application/rss+xml; charset=utf-8",
    summary: "RSS 2.0 feed, newest first",
    cap: FEED_ENTRY_CAP,
    render: rssFeed,
    inLanguage: true,
  },
  {
    format: "atom",
    file: "feed.atom",
    contentType: "application/atom+xml; charset=utf-8",
    summary: "Atom feed, newest first",
    cap: FEED_ENTRY_CAP,
    render: atomFeed,
    inLanguage: true,
  },
];

function attachmentName(handle: string, scope: Scope, query: Query, extension: string): string {
  const what =
    query.purpose === "request"
      ? "needs"
      : query.purpose === "offer"
        ? "offers"
        : "needs-and-offers";
  return `${handle}-${scope === "network" ? "network-" : ""}${what}.${extension}`;
}

/** The filters in a fixed order, nothing else: a feed's own URL (its Atom id) is stable. */
export function canonicalSearch(query: Query): string {
  const params = new URLSearchParams();
  for (const key of ["purpose", "status", "category", "lang"] as const) {
    const value = query[key];
    if (value !== undefined) params.set(key, value);
  }
  return params.toString();
}

const PROFILE_TYPE: string = "application/json";

/** A profile as JSON (its readonly tuple types are not Hono's JSON types, hence no c.json). */
function publicJson(c: Context, value: unknown): Response {
  c.header("Content-Type", "application/json");
  publicDataHeaders(c);
  return c.body(JSON.stringify(value), 200);
}

/**
 * Public data, polled by aggregators and feed readers: a minute of caching
 * spares the database, and any site may load it (a web map fetching the
 * GeoJSON, say) — no credentials are involved, so `*` gives nothing away.
 * `nosniff`: a CSV holding `<script>` in a title must never be read as HTML.
 */
export function publicDataHeaders(c: Context): void {
  c.header("Cache-Control", "public, max-age=60");
  c.header("Access-Control-Allow-Origin", "*");
  c.header("Access-Control-Expose-Headers", "X-Truncated");
  c.header("X-Content-Type-Options", "nosniff");
}

export function registerExportRoutes(app: OpenAPIHono, deps: ApiDeps): void {
  const { db, urls } = deps;

  async function serve(
    c: Context,
    scope: Scope,
    format: Format,
    handle: string,
    query: Query,
    selfUrl: URL,
  ): Promise<Response> {
    const group = await findGroupByHandle(db, handle);
    if (group === null) throw notFound("group");
    const filters = format.groupOnly
      ? { purpose: "request" as const, statuses: DEFAULT_EXPORT_STATUSES }
      : filtersOf(query);
    const request: DatasetRequest = {
      group,
      filters,
      cap: format.cap,
      selfUrl: selfUrl.href,
      now: deps.clock(),
    };
    const dataset: ExportDataset =
      scope === "group"
        ? await groupDataset(db, urls, request)
        : await networkDataset(db, urls, request);
    c.header("Content-Type", format.contentType);
    publicDataHeaders(c);
    if (dataset.truncated) c.header("X-Truncated", "true");
    if (format.attachment !== undefined) {
      c.header(
        "Content-Disposition",
        `attachment; filename="${attachmentName(group.handle, scope, query, format.attachment)}"`,
      );
    }
    return c.body(format.render(dataset.document, wordsFor(c, format)), 200);
  }

  const responses = (format: Format) => ({
    200: {
      description: format.summary,
      content: { [format.contentType.split(";")[0]!]: { schema: z.string() } },
    },
    400: {
      description: "Invalid filter",
      content: { "application/json": { schema: ErrorSchema } },
    },
    404: { description: "No such group", content: { "application/json": { schema: ErrorSchema } } },
  });

  const routeOf = (scope: Scope, format: Format, path: string) =>
    createRoute({
      method: "get",
      path,
      summary: `${scope === "group" ? "The group's public needs and offers" : "What the group receives from followed groups"}: ${format.summary}`,
      request: { params: HandleParam, query: ExportQuery },
      responses: responses(format),
    });

  for (const scope of ["group", "network"] as const) {
    for (const format of FORMATS) {
      if (format.groupOnly && scope === "network") continue;
      const path =
        scope === "group"
          ? `/api/v1/groups/{handle}/exports/${format.file}`
          : `/api/v1/groups/{handle}/network/exports/${format.file}`;
      app.openapi(routeOf(scope, format, path), (c) => {
        const { handle } = c.req.valid("param");
        const self =
          scope === "group"
            ? urls.groupExport(handle, format.file)
            : urls.networkExport(handle, format.file);
        self.search = canonicalSearch(c.req.valid("query"));
        return serve(c, scope, format, handle, c.req.valid("query"), self);
      });
    }
    for (const feed of FEEDS) {
      const path =
        scope === "group"
          ? `/groups/{handle}/${feed.file}`
          : `/groups/{handle}/network/${feed.file}`;
      app.openapi(routeOf(scope, feed, path), (c) => {
        const { handle } = c.req.valid("param");
        const self =
          scope === "group"
            ? urls.groupFeed(handle, feed.format)
            : urls.networkFeed(handle, feed.format);
        self.search = canonicalSearch(c.req.valid("query"));
        return serve(c, scope, feed, handle, c.req.valid("query"), self);
      });
    }
  }

  for (const { path, purpose, noun } of [
    { path: "needs", purpose: "request", noun: "Need" },
    { path: "offers", purpose: "offer", noun: "Offer" },
  ] as const) {
    app.openapi(
      createRoute({
        method: "get",
        path: `/api/v1/${path}/{id}/murmurations.json`,
        summary: `A public ${noun.toLowerCase()}'s Murmurations offers_wants_schema-v0.1.0 profile, the URL to register with an index (410 once it has ended)`,
        request: { params: IdParam },
        responses: {
          // Typed by key as string like the other exports: the body is written, not c.json'd.
          200: { description: "The profile", content: { [PROFILE_TYPE]: { schema: z.string() } } },
          404: {
            description: "Not found",
            content: { "application/json": { schema: ErrorSchema } },
          },
          410: {
            description: "Fulfilled, closed or expired",
            content: { "application/json": { schema: ErrorSchema } },
          },
        },
      }),
      async (c) => {
        const found = await publicListing(db, urls, c.req.valid("param").id, purpose);
        if (found.state === "missing") throw notFound(proposalThing(purpose));
        if (found.state === "ended") {
          throw ApiError.said(410, "gone", (t) => t.apiErrors.ended[purpose]);
        }
        return publicJson(c, offersWantsProfile(found.listing, found.groupPage));
      },
    );
  }
}
