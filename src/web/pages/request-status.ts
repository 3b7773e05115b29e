import { jsx as h } from "hono/jsx";
import type { ContactWays } from "../../domain/contact-ways.ts";
import { hasContactWays } from "../../domain/contact-ways.ts";
import type { Group } from "../../domain/group.ts";
import { canWithdraw, contactErasure, type IntakeRequest } from "../../domain/intake.ts";
import { type PageContext, zoneOf } from "../context.ts";
import { formatDeadline, formatInstant, formatQuantity } from "../format.ts";
import { Layout } from "../layout.ts";
import { ContactWaysList } from "./contact-ways.ts";
import { type SmsChannel, SmsChannelNote } from "./sms-channel.ts";

/**
 * The private status page behind `/requests/{token}`: the request's own
 * page, where the form leads once it was sent. It shows the state, the
 * private link (the address of this very page, so switching language keeps
 * it), what was sent, why it was declined and where else to turn, how to
 * reach the collective, when the contact is erased, and the withdraw button.
 */
export function RequestStatusPage({
  page,
  group,
  request: r,
  token,
  contactWays,
  endedAt,
  retention,
  received,
  problem,
  sms,
}: {
  page: PageContext;
  group: Group;
  request: IntakeRequest;
  token: string;
  contactWays: ContactWays;
  endedAt: Temporal.Instant | null;
  retention: Temporal.Duration;
  /** Just sent: say so, and what happens next. */
  received: boolean;
  problem?: string | undefined;
  /** The collective's SMS number, when it takes requests by text. */
  sms?: SmsChannel | null;
}) {
  const { t, locale, urls } = page;
  const zone = zoneOf(page, group);
  const heading = received
    ? r.purpose === "request"
      ? t.receivedRequest
      : t.receivedOffer
    : r.purpose === "request"
      ? t.statusHeadingRequest(group.name)
      : t.statusHeadingOffer(group.name);
  const fact = (term: string, value: string) => [h("dt", null, term), h("dd", null, value)];
  const statusUrl = urls.requestStatusPage(token);
  const erasure = contactErasure(r, endedAt, retention);
  const contactSection = [
    h("h2", { id: "contact-collective" }, t.contactTheCollective(group.name)),
    hasContactWays(contactWays)
      ? ContactWaysList({ page, ways: contactWays })
      : h("p", null, t.noContactWays),
    SmsChannelNote({ page, channel: sms }),
  ];
  return Layout({
    page,
    title: heading,
    children: [
      h("h1", null, heading),
      problem === undefined ? null : h("div", { class: "notice problem", role: "alert" }, problem),
      h(
        "p",
        { class: "notice", id: "state" },
        h("strong", null, `${t.state}: `),
        h("span", { "data-state": r.state }, t.states[r.state]),
        r.proposalId === null
          ? null
          : [
              " ",
              h(
                "a",
                { href: page.urls.proposalPage(r.purpose, r.proposalId).pathname },
                t.seePublished,
              ),
            ],
      ),
      received && r.state === "new"
        ? [
            h("h2", null, t.whatHappensNext),
            h(
              "ol",
              null,
              h("li", null, t.nextRead(group.name)),
              h("li", null, t.nextAct),
              h("li", null, t.nextFollow),
            ),
          ]
        : null,
      h("h2", { id: "private-link" }, t.privateLink),
      h("p", { class: "secret", "aria-labelledby": "private-link" }, statusUrl.href),
      h("p", null, t.privateLinkKeep),
      r.state === "declined"
        ? [
            h("h2", { id: "declined" }, t.declinedWhy),
            h(
              "p",
              { "data-reason": r.declineReason ?? "" },
              r.declineReason == null ? t.declineReasonNone : t.declineReasons[r.declineReason],
            ),
            r.declineNote === undefined || r.declineNote === ""
              ? null
              : h("p", { class: "decline-note" }, r.declineNote),
            h("h2", null, t.whereElse),
            h("p", null, t.whereElseIntro),
            h(
              "ul",
              null,
              h(
                "li",
                null,
                h("a", { href: "#contact-collective" }, t.contactTheCollective(group.name)),
              ),
              h("li", null, h("a", { href: "/" }, t.otherCollectives)),
            ),
          ]
        : null,
      h(
        "dl",
        { class: "facts" },
        fact(r.purpose === "request" ? t.fieldTitleRequest : t.fieldTitleOffer, r.title),
        fact(t.fieldCategory, t.categories[r.category]),
        fact(t.urgency, t.urgencies[r.urgency]),
        r.quantity === null
          ? null
          : fact(t.quantity, formatQuantity(r.quantity.amount, r.quantity.unit, locale)),
        r.place === null ? null : fact(t.where, r.place),
        r.neededBy === null
          ? null
          : fact(
              r.purpose === "request" ? t.neededBy : t.availableUntil,
              formatDeadline({ expiresAt: r.neededBy, expiresOn: r.neededOn }, locale, zone),
            ),
        fact(t.yourContact, erasure.kind === "erased" ? t.contactErasedValue : r.contact),
        fact(t.sentOn, formatInstant(r.createdAt, locale, zone)),
      ),
      h(
        "p",
        { id: "contact-erasure", "data-erasure": erasure.kind },
        erasure.kind === "erased"
          ? t.contactErased(formatInstant(erasure.at, locale, zone))
          : erasure.kind === "scheduled"
            ? t.contactErasedOn(formatInstant(erasure.at, locale, zone))
            : t.contactKeptWhileOpen(Math.round(retention.total("hours") / 24)),
      ),
      r.description === "" ? null : h("p", null, r.description),
      canWithdraw(r.state)
        ? h(
            "form",
            { method: "post", action: `/requests/${token}/withdraw`, class: "stack" },
            h("p", null, t.withdrawHelp),
            h("div", null, h("button", { type: "submit", class: "secondary" }, t.withdrawButton)),
          )
        : r.state === "withdrawn"
          ? null
          : h("p", null, t.cannotWithdraw),
      contactSection,
    ],
  });
}
