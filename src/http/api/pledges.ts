import { createRoute, type OpenAPIHono, z } from "@hono/zod-openapi";
import { listNotifications, markNotificationsRead } from "../../db/notifications.repo.ts";
import { findPledge, listPledges } from "../../db/pledges.repo.ts";
import { findRemoteProposal } from "../../db/remote-proposals.repo.ts";
import { PLEDGE_LIMITS, type Pledge } from "../../domain/pledge.ts";
import { pledgeToRemoteProposal, withdrawPledgeAsCoordinator } from "../../services/pledges.ts";
import { messagesFor } from "../../web/i18n/locale.ts";
import { notificationText } from "../../web/i18n/notification-text.ts";
import { quantityRefusalText, statusWord } from "../../web/i18n/problem-text.ts";
import { ApiError, notFound } from "../errors.ts";
import { apiLocale } from "../language.ts";
import { coordinatedGroup, quantityFromInput, quantityJson } from "./access.ts";
import type { ApiDeps } from "./deps.ts";
import { ErrorSchema, errorResponses, HandleParam, pageOf, QuantitySchema } from "./schemas.ts";

const errors = errorResponses;

const PledgeInput = z
  .strictObject({
    objectId: z.url().max(2048).openapi({ description: "An allied group's need or offer." }),
    quantity: QuantitySchema.optional(),
    message: z.string().trim().max(PLEDGE_LIMITS.message).optional(),
    allowExcess: z
      .boolean()
      .optional()
      .openapi({ description: "Pledge more than the proposer says is still needed." }),
  })
  .openapi("PledgeInput");

export const PledgeSchema = z
  .object({
    id: z.string(),
    objectId: z.string(),
    offerId: z.string().openapi({ description: "The Offer(Agreement) activity's id." }),
    proposer: z.string(),
    quantity: z.object({ amount: z.number(), unit: z.string() }).nullable(),
    message: z.string(),
    state: z.enum(["pending", "accepted", "rejected", "withdrawn"]),
    reason: z.string().nullable(),
    agreementId: z.string().nullable(),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .openapi("Pledge");

function pledgeView(p: Pledge) {
  return {
    id: p.id,
    objectId: p.objectId,
    offerId: p.offerId,
    proposer: p.targetActorId,
    quantity: quantityJson(p.quantity),
    message: p.message,
    state: p.state,
    reason: p.reason,
    agreementId: p.agreementId,
    createdAt: p.createdAt.toString(),
    updatedAt: p.updatedAt.toString(),
  };
}

const NotificationSchema = z
  .object({
    id: z.string(),
    kind: z.enum(["response", "pledge-answered", "follow-request"]),
    subjectId: z.string().openapi({ description: "The response, pledge or follower it is about." }),
    summary: z.string().openapi({
      description: "One line for a coordinator, in the language of Accept-Language.",
    }),
    message: z.object({ key: z.string() }).catchall(z.unknown()).openapi({
      description:
        "The same as a key and its values, for programs that word it themselves: new-answer, replied, pledged, pledge-accepted, pledge-declined, pledge-declined-actor-gone, pledge-withdrawn, follow-request (count: how many), text.",
    }),
    count: z.number().int().openapi({ description: "How many alike events it stands for." }),
    createdAt: z.string(),
    read: z.boolean(),
  })
  .openapi("Notification");

export function registerPledgeRoutes(app: OpenAPIHono, deps: ApiDeps): void {
  app.openapi(
    createRoute({
      method: "post",
      path: "/api/v1/groups/{handle}/pledges",
      summary:
        "Answer an allied group's need or offer with an FEP-0837 Offer(Agreement) (coordinator)",
      security: [{ bearer: [] }],
      request: {
        params: HandleParam,
        body: { required: true, content: { "application/json": { schema: PledgeInput } } },
      },
      responses: {
        201: {
          description: "Sent; pending the proposer's answer",
          content: { "application/json": { schema: PledgeSchema } },
        },
        409: {
          description: "The need is not open",
          content: { "application/json": { schema: ErrorSchema } },
        },
        422: {
          description: "Quantity refused",
          content: { "application/json": { schema: ErrorSchema } },
        },
        ...errors,
      },
    }),
    async (c) => {
      const group = await coordinatedGroup(c, deps, c.req.valid("param").handle);
      const input = c.req.valid("json");
      const target = await findRemoteProposal(deps.db, input.objectId);
      if (target === null || !(await deps.isAllowed(new URL(target.originActorId)))) {
        throw notFound("alliedProposal");
      }
      const result = await pledgeToRemoteProposal(
        { ...deps, offerIdOf: (id) => deps.urls.pledgeOffer(id) },
        group,
        target,
        {
          quantity: input.quantity === undefined ? null : quantityFromInput(input.quantity),
          message: input.message ?? "",
          allowExcess: input.allowExcess ?? false,
        },
      );
      if (!result.ok) {
        const { error } = result;
        if (error.type === "quantity") {
          throw ApiError.said(422, "unprocessable", (t) => quantityRefusalText(t, error), {
            problem: error.problem,
          });
        }
        throw error.type === "not-open"
          ? ApiError.said(409, "conflict", (t) =>
              t.apiErrors.noMorePledges(statusWord(t, error.status)),
            )
          : ApiError.said(422, "unprocessable", (t) => t.apiErrors.plainPost);
      }
      return c.json(pledgeView(result.pledge), 201);
    },
  );

  app.openapi(
    createRoute({
      method: "post",
      path: "/api/v1/groups/{handle}/pledges/{id}/withdraw",
      summary:
        "Withdraw a pledge, pending or accepted: Undo of its Offer; the proposer gives the amount back (coordinator)",
      security: [{ bearer: [] }],
      request: {
        params: HandleParam.extend({
          id: z.uuid().openapi({ param: { name: "id", in: "path" } }),
        }),
      },
      responses: {
        200: {
          description: "Withdrawn; the Undo is on its way to the proposer",
          content: { "application/json": { schema: PledgeSchema } },
        },
        409: {
          description: "It was declined or withdrawn already",
          content: { "application/json": { schema: ErrorSchema } },
        },
        ...errors,
      },
    }),
    async (c) => {
      const params = c.req.valid("param");
      const group = await coordinatedGroup(c, deps, params.handle);
      const pledge = await findPledge(deps.db, params.id);
      if (pledge === null || pledge.groupId !== group.id) throw notFound("pledge");
      const result = await withdrawPledgeAsCoordinator(deps, pledge);
      if (!result.ok) {
        const { error } = result;
        throw ApiError.said(409, "conflict", (t) =>
          error.type === "already-ended"
            ? t.apiErrors.pledgeNotWithdrawable(t.pledgeStates[error.state].toLowerCase())
            : t.apiErrors.answeredMeanwhile,
        );
      }
      return c.json(pledgeView(result.pledge), 200);
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/api/v1/groups/{handle}/pledges",
      summary:
        "This group's pledges to allied groups, newest first, with their state (coordinator)",
      security: [{ bearer: [] }],
      request: {
        params: HandleParam,
        query: z.object({
          limit: z.coerce.number().int().min(1).max(100).optional(),
          before: z.uuid().optional().openapi({ description: "The last id of the previous page." }),
        }),
      },
      responses: {
        200: pageOf(PledgeSchema),
        ...errors,
      },
    }),
    async (c) => {
      const group = await coordinatedGroup(c, deps, c.req.valid("param").handle);
      const query = c.req.valid("query");
      const limit = query.limit ?? 50;
      const items = await listPledges(deps.db, group.id, limit, query.before);
      return c.json(
        {
          items: items.map(pledgeView),
          nextCursor: items.length === limit ? (items.at(-1)?.id ?? null) : null,
        },
        200,
      );
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/api/v1/groups/{handle}/notifications",
      summary:
        "What the coordinators should look at: new responses, answered pledges, follow requests",
      security: [{ bearer: [] }],
      request: {
        params: HandleParam,
        query: z.object({
          unread: z.enum(["true", "false"]).optional(),
          limit: z.coerce.number().int().min(1).max(100).optional(),
          before: z.uuid().optional(),
        }),
      },
      responses: {
        200: pageOf(NotificationSchema, "Newest first"),
        ...errors,
      },
    }),
    async (c) => {
      const group = await coordinatedGroup(c, deps, c.req.valid("param").handle);
      const query = c.req.valid("query");
      const limit = query.limit ?? 50;
      const locale = apiLocale(c);
      const t = messagesFor(locale);
      c.header("Content-Language", locale);
      const items = await listNotifications(deps.db, group.id, {
        limit,
        beforeId: query.before,
        unreadOnly: query.unread === "true",
      });
      return c.json(
        {
          items: items.map((n) => ({
            id: n.id,
            kind: n.kind,
            subjectId: n.subjectId,
            summary: notificationText(t, locale, n.message, n.count),
            message: n.message,
            count: n.count,
            createdAt: n.createdAt.toString(),
            read: n.readAt !== null,
          })),
          nextCursor: items.length === limit ? (items.at(-1)?.id ?? null) : null,
        },
        200,
      );
    },
  );

  app.openapi(
    createRoute({
      method: "post",
      path: "/api/v1/groups/{handle}/notifications/read",
      summary: "Mark notifications read, up to and including one id (coordinator)",
      security: [{ bearer: [] }],
      request: {
        params: HandleParam,
        body: {
          required: true,
          content: { "application/json": { schema: z.strictObject({ upTo: z.uuid() }) } },
        },
      },
      responses: {
        200: {
          description: "How many were marked",
          content: { "application/json": { schema: z.object({ marked: z.number() }) } },
        },
        ...errors,
      },
    }),
    async (c) => {
      const group = await coordinatedGroup(c, deps, c.req.valid("param").handle);
      const marked = await markNotificationsRead(
        deps.db,
        group.id,
        c.req.valid("json").upTo,
        deps.clock(),
      );
      return c.json({ marked }, 200);
    },
  );
}
