import type { OpenAPIHono as Hono } from "@hono/zod-openapi";
import type { Context } from "hono";
import { findGroupByHandle } from "../../db/groups.repo.ts";
import { isLivePartnerLink } from "../../db/partner-links.repo.ts";
import { findSmsChannelOfGroup, findSmsGatewayOfGroup } from "../../db/sms-gateways.repo.ts";
import { normaliseEmailAddress } from "../../domain/email-notifications.ts";
import type { Group } from "../../domain/group.ts";
import {
  canWithdraw,
  type IntakeField,
  type IntakeInput,
  type IntakeProblem,
} from "../../domain/intake.ts";
import type { Purpose } from "../../domain/proposal.ts";
import { addressBucket } from "../../domain/rate-limit.ts";
import { normalizePhoneNumber } from "../../domain/sms-gateway.ts";
import { collectiveZone, todayIn } from "../../domain/time-zone.ts";
import {
  DEFAULT_CONTACT_RETENTION_DAYS,
  findIntakeByToken,
  findRequestStatus,
  newFormToken,
  submitIntake,
  withdrawIntake,
} from "../../services/intake.ts";
import { pageContext } from "../context.ts";
import type { WebDeps } from "../deps.ts";
import { renderDocument } from "../layout.ts";
import {
  EMAIL_UPDATES_FIELD,
  EMPTY_INTAKE,
  FORM_TOKEN_FIELD,
  HONEYPOT_FIELD,
  IntakeFormPage,
  PARTNER_FIELD,
  SMS_UPDATES_FIELD,
} from "../pages/intake-form.ts";
import { RequestStatusPage } from "../pages/request-status.ts";
import { WithdrawStepPage } from "../pages/withdraw-step.ts";
import { clientAddress } from "../request-guards.ts";
import { confirmation, formGuards, notFoundPage } from "./shared.ts";

const INTAKE_FIELDS: readonly IntakeField[] = Object.keys(EMPTY_INTAKE) as IntakeField[];

/** Ask for help and offer help without an account, and the private status link. */
export function registerIntakePages(app: Hono, deps: WebDeps): void {
  const { db, urls } = deps;
  const guards = formGuards(urls);

  const notFound = (c: Context) => notFoundPage(c, urls);
  /** Today where the collective is: the earliest date its form offers. */
  const today = (group: Group) => todayIn(deps.clock(), collectiveZone(group, deps.timeZone));

  const retention =
    deps.contactRetention ?? Temporal.Duration.from({ hours: DEFAULT_CONTACT_RETENTION_DAYS * 24 });

  /** The form's one-time token and partner link ride along in hidden fields. */
  interface Hidden {
    readonly formToken: string;
    readonly partner: string | null;
    readonly smsUpdates?: { readonly value: string; readonly bad: boolean };
    readonly emailUpdates?: { readonly value: string; readonly bad: boolean };
  }

  const renderForm = async (
    c: Context,
    group: Group,
    purpose: Purpose,
    values: IntakeInput,
    hidden: Hidden,
    problems: Partial<Record<IntakeField, IntakeProblem>> = {},
    formError?: string,
    status: 200 | 422 | 429 = 200,
  ) => {
    const page = pageContext(c, urls);
    const sms = await findSmsChannelOfGroup(db, group.id);
    // The one-time token is this visitor's: never from a shared cache.
    c.header("Cache-Control", "no-store");
    return c.html(
      renderDocument(
        IntakeFormPage({
          page,
          group,
          sms,
          emailUpdatesOffered: emailOffered,
          purpose,
          values,
          problems,
          formError,
          today: today(group),
          ...hidden,
        }),
      ),
      status,
    );
  };
  // Email updates are offered where email can leave the instance.
  const emailOffered = deps.mailFrom != null;
  const field = (form: Record<string, unknown>, name: string) =>
    typeof form[name] === "string" ? (form[name] as string) : "";

  for (const [path, purpose] of [
    ["ask", "request"],
    ["offer", "offer"],
  ] as const) {
    app.get(`/groups/:handle/${path}`, async (c) => {
      const group = await findGroupByHandle(db, c.req.param("handle"));
      if (group === null) return notFound(c);
      // A revoked (or mistyped) partner link is the ordinary form.
      const partnerToken = c.req.query("partner") ?? "";
      const partner =
        partnerToken !== "" && (await isLivePartnerLink(db, group.id, partnerToken))
          ? partnerToken
          : null;
      return renderForm(c, group, purpose, EMPTY_INTAKE, { formToken: newFormToken(), partner });
    });

    app.post(`/groups/:handle/${path}`, ...guards, async (c) => {
      const group = await findGroupByHandle(db, c.req.param("handle"));
      if (group === null) return notFound(c);
      const form = await c.req.parseBody();
      const values = Object.fromEntries(
        INTAKE_FIELDS.map((f) => [f, typeof form[f] === "string" ? form[f] : ""]),
      ) as unknown as IntakeInput;
      const page = pageContext(c, urls);
      const sentToken = field(form, FORM_TOKEN_FIELD);
      const partnerToken = field(form, PARTNER_FIELD);
      // A number for text updates: only where the collective can text, checked before anything is stored.
      const sms = await findSmsGatewayOfGroup(db, group.id);
      const typedNumber = sms === null ? "" : field(form, SMS_UPDATES_FIELD).trim();
      const updatesTo = typedNumber === "" ? null : normalizePhoneNumber(typedNumber);
      const typedAddress = emailOffered ? field(form, EMAIL_UPDATES_FIELD).trim() : "";
      const emailTo = typedAddress === "" ? null : normaliseEmailAddress(typedAddress);
      const hidden: Hidden = {
        // A form from before one-time tokens gets one now, for its next try.
        formToken: /^[A-Za-z0-9_-]{43}$/.test(sentToken) ? sentToken : newFormToken(),
        partner: partnerToken === "" ? null : partnerToken,
        smsUpdates: { value: typedNumber, bad: false },
        emailUpdates: { value: typedAddress, bad: false },
      };
      const badNumber = typedNumber !== "" && updatesTo === null;
      const badAddress = typedAddress !== "" && emailTo === null;
      if (badNumber || badAddress) {
        const withProblem = {
          ...hidden,
          smsUpdates: { value: typedNumber, bad: badNumber },
          emailUpdates: { value: typedAddress, bad: badAddress },
        };
        return renderForm(c, group, purpose, values, withProblem, {}, page.t.problemSummary, 422);
      }
      const trap = form[HONEYPOT_FIELD];
      if (typeof trap === "string" && trap !== "") {
        return renderForm(c, group, purpose, values, hidden, {}, page.t.honeypotFilled, 422);
      }
      const result = await submitIntake(deps, group, purpose, values, {
        language: page.locale,
        clientKey: addressBucket(clientAddress(c, deps.trustProxy)),
        formToken: sentToken,
        partnerToken,
        updates: {
          sms:
            sms === null || updatesTo === null
              ? null
              : { gatewayId: sms.id, phoneNumber: updatesTo },
          email: emailTo,
        },
      });
      if (!result.ok) {
        if (result.reason === "rate-limited") {
          c.header("Retry-After", String(result.retryAfterSeconds));
          return renderForm(c, group, purpose, values, hidden, {}, page.t.rateLimited, 429);
        }
        return renderForm(c, group, purpose, values, hidden, result.problems, undefined, 422);
      }
      // Post/redirect/get: the request's own page, whose address is the
      // private link; reloading it asks nothing again, and the language
      // switch keeps it.
      c.header("Cache-Control", "no-store");
      return c.redirect(`/requests/${result.statusToken}?received=1`, 303);
    });
  }

  const renderStatus = async (c: Context, token: string, problem?: string) => {
    const found = await findRequestStatus(db, token);
    if (found === null) return notFound(c);
    c.header("Cache-Control", "no-store");
    c.header("X-Robots-Tag", "noindex");
    const page = pageContext(c, urls);
    const received = c.req.query("received") === "1";
    const sms = await findSmsChannelOfGroup(db, found.group.id);
    return c.html(
      renderDocument(
        RequestStatusPage({ page, ...found, token, problem, retention, received, sms }),
      ),
      problem === undefined ? 200 : 409,
    );
  };

  app.get("/requests/:token", (c) => renderStatus(c, c.req.param("token")));

  app.post("/requests/:token/withdraw", ...guards, async (c) => {
    const token = c.req.param("token");
    const confirmed = confirmation(await c.req.parseBody());
    if (!confirmed.confirmed) {
      // Nothing changes until the box is ticked: the step, with what the form sent.
      const found = await findIntakeByToken(db, token);
      if (found === null) return notFound(c);
      // Already withdrawn: nothing to confirm, as a confirmed second withdrawal changes nothing.
      if (found.request.state === "withdrawn") return c.redirect(`/requests/${token}`, 303);
      if (!canWithdraw(found.request.state)) {
        return renderStatus(c, token, pageContext(c, urls).t.cannotWithdraw);
      }
      c.header("Cache-Control", "no-store");
      c.header("X-Robots-Tag", "noindex");
      const { carry, notTicked } = confirmed;
      const page = pageContext(c, urls);
      return c.html(
        renderDocument(
          WithdrawStepPage({ page, request: found.request, token, carry, notConfirmed: notTicked }),
        ),
        notTicked ? 422 : 200,
      );
    }
    const result = await withdrawIntake(deps, token);
    if (!result.ok && result.error === "not-found") return notFound(c);
    if (!result.ok) return renderStatus(c, token, pageContext(c, urls).t.cannotWithdraw);
    return c.redirect(`/requests/${token}`, 303);
  });
}
