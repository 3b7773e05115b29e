import { createRoute, type OpenAPIHono, z } from "@hono/zod-openapi";
import type { Context } from "hono";
import { findGroupByHandle } from "../../db/groups.repo.ts";
import {
  deleteSmsGateway,
  findSmsGatewayOfGroup,
  saveSmsGateway,
} from "../../db/sms-gateways.repo.ts";
import { newId } from "../../domain/ids.ts";
import {
  maskSecret,
  normalizePhoneNumber,
  SMS_PROTOCOLS,
  type SmsGateway,
  validateSmsGateway,
} from "../../domain/sms-gateway.ts";
import { enqueueMessage } from "../../messaging/outbox.ts";
import { SMS_GATEWAY_HEADER } from "../../messaging/requester-sms.ts";
import type { InstanceUrls } from "../../urls.ts";
import { identifyCaller, requireAdmin, requireCoordinator } from "../auth.ts";
import { ApiError, notFound } from "../errors.ts";
import type { ApiDeps } from "./deps.ts";
import { ErrorSchema, errorResponses, HandleParam } from "./schemas.ts";

const SmsGatewaySchema = z
  .object({
    protocol: z.enum(SMS_PROTOCOLS),
    phoneNumber: z.string(),
    keyword: z.string(),
    webhookUrl: z.string().describe("Where the gateway must deliver received texts"),
    webhookSecret: z.string().describe("Masked: only its last characters"),
    apiUrl: z.string(),
    apiUsername: z.string(),
    apiPassword: z.string().describe("Masked"),
  })
  .openapi("SmsGateway");

const SmsGatewayInput = z
  .object({
    protocol: z.enum(SMS_PROTOCOLS),
    phoneNumber: z.string().max(40).describe("E.164: +639171234567"),
    keyword: z
      .string()
      .max(20)
      .optional()
      .describe("Only when collectives share the number: the first word of their texts"),
    webhookSecret: z
      .string()
      .max(200)
      .describe("The Android app's webhook signing key, or the Twilio auth token"),
    apiUrl: z
      .string()
      .max(500)
      .optional()
      .describe("Android: the phone's local server or the cloud API; Twilio: its API base"),
    apiUsername: z.string().max(200).describe("Android: the server's user; Twilio: account SID"),
    apiPassword: z.string().max(200).optional().describe("Android: the server's password"),
  })
  .openapi("SmsGatewayInput");

const TestInput = z.object({ to: z.string().max(40) }).openapi("SmsTestInput");

export function webhookUrl(
  urls: InstanceUrls,
  gateway: Pick<SmsGateway, "protocol" | "phoneNumber">,
): string {
  return gateway.protocol === "android"
    ? new URL(`/webhooks/sms/android/${gateway.phoneNumber.slice(1)}`, urls.origin).href
    : new URL("/webhooks/sms/twilio", urls.origin).href;
}

function present(urls: InstanceUrls, gateway: SmsGateway) {
  return {
    protocol: gateway.protocol,
    phoneNumber: gateway.phoneNumber,
    keyword: gateway.keyword,
    webhookUrl: webhookUrl(urls, gateway),
    webhookSecret: maskSecret(gateway.webhookSecret),
    apiUrl: gateway.apiUrl,
    apiUsername: gateway.apiUsername,
    apiPassword: gateway.apiPassword === "" ? "" : maskSecret(gateway.apiPassword),
  };
}

/**
 * A collective's SMS gateway: set by the instance admin (it holds secrets
 * of the phone or provider account), readable by the collective's
 * coordinators with every secret masked.
 */
export function registerSmsRoutes(app: OpenAPIHono, deps: ApiDeps): void {
  const groupOf = async (c: Context, handle: string, admin: boolean) => {
    const caller = await identifyCaller(c, deps);
    const group = await findGroupByHandle(deps.db, handle);
    if (admin) requireAdmin(caller);
    if (group === null) throw notFound("group");
    requireCoordinator(caller, group);
    return group;
  };
  const json = (schema: z.ZodType) => ({ content: { "application/json": { schema } } });

  app.openapi(
    createRoute({
      method: "get",
      path: "/api/v1/groups/{handle}/sms",
      summary: "The collective's SMS gateway, secrets masked (coordinator or admin)",
      security: [{ bearer: [] }],
      request: { params: HandleParam },
      responses: {
        200: { description: "Its gateway", ...json(SmsGatewaySchema) },
        ...errorResponses,
      },
    }),
    async (c) => {
      const group = await groupOf(c, c.req.valid("param").handle, false);
      const gateway = await findSmsGatewayOfGroup(deps.db, group.id);
      if (gateway === null) throw notFound("smsGateway");
      return c.json(present(deps.urls, gateway), 200);
    },
  );

  app.openapi(
    createRoute({
      method: "put",
      path: "/api/v1/groups/{handle}/sms",
      summary: "Set the collective's SMS gateway (admin)",
      security: [{ bearer: [] }],
      request: {
        params: HandleParam,
        body: { required: true, content: { "application/json": { schema: SmsGatewayInput } } },
      },
      responses: {
        200: { description: "Saved", ...json(SmsGatewaySchema) },
        409: {
          description: "Another collective receives this number and keyword",
          ...json(ErrorSchema),
        },
        ...errorResponses,
      },
    }),
    async (c) => {
      const group = await groupOf(c, c.req.valid("param").handle, true);
      const checked = validateSmsGateway(c.req.valid("json"));
      if (!checked.ok) {
        throw ApiError.said(400, "invalid_request", (t) => t.apiErrors.gatewaySettingsInvalid, {
          problems: checked.problems,
        });
      }
      const existing = await findSmsGatewayOfGroup(deps.db, group.id);
      const saved = await saveSmsGateway(
        deps.db,
        {
          id: existing?.id ?? newId(deps.clock().epochMilliseconds),
          groupId: group.id,
          ...checked.value,
        },
        deps.clock(),
      );
      if (!saved.ok) {
        throw ApiError.said(409, "conflict", (t) => t.apiErrors.numberTaken);
      }
      return c.json(present(deps.urls, saved.gateway), 200);
    },
  );

  app.openapi(
    createRoute({
      method: "delete",
      path: "/api/v1/groups/{handle}/sms",
      summary: "Remove the collective's SMS gateway (admin)",
      security: [{ bearer: [] }],
      request: { params: HandleParam },
      responses: { 204: { description: "Removed" }, ...errorResponses },
    }),
    async (c) => {
      const group = await groupOf(c, c.req.valid("param").handle, true);
      if (!(await deleteSmsGateway(deps.db, group.id))) throw notFound("smsGateway");
      return c.body(null, 204);
    },
  );

  app.openapi(
    createRoute({
      method: "post",
      path: "/api/v1/groups/{handle}/sms/test",
      summary: "Send a test text through the collective's gateway (coordinator or admin)",
      security: [{ bearer: [] }],
      request: {
        params: HandleParam,
        body: { required: true, content: { "application/json": { schema: TestInput } } },
      },
      responses: {
        202: { description: "Written to the outbox", ...json(z.object({ status: z.string() })) },
        ...errorResponses,
      },
    }),
    async (c) => {
      const group = await groupOf(c, c.req.valid("param").handle, false);
      const gateway = await findSmsGatewayOfGroup(deps.db, group.id);
      if (gateway === null) throw notFound("smsGateway");
      const to = normalizePhoneNumber(c.req.valid("json").to);
      if (to === null) {
        throw ApiError.said(400, "invalid_request", (t) => t.apiErrors.phoneNumberFormat);
      }
      const now = deps.clock();
      await enqueueMessage(
        deps.db,
        {
          channel: "sms",
          recipient: to,
          text: `${group.name}: test message from ${deps.urls.origin.host}`,
          headers: { [SMS_GATEWAY_HEADER]: gateway.id },
          language: "en",
          dedupeKey: `sms:test:${gateway.id}:${now.epochMilliseconds}`,
        },
        now,
      );
      return c.json({ status: "queued" }, 202);
    },
  );
}
