import { jsx as h } from "hono/jsx";
import type { Group } from "../../domain/group.ts";
import { coverageOf, isFullyPledged } from "../../domain/pledging.ts";
import type { Proposal } from "../../domain/proposal.ts";
import { takesResponses } from "../../domain/response.ts";
import { type PageContext, zoneOf } from "../context.ts";
import { formatDeadline, formatInstant, formatQuantity } from "../format.ts";
import { Layout } from "../layout.ts";
import type { IncidentLink } from "./active-incidents.ts";
import { HONEYPOT_FIELD } from "./intake-form.ts";

/** What the "I can help" form shows again after a problem. */
export interface HelpForm {
  readonly message: string;
  readonly contact: string;
  readonly problem?: "required" | "too-long" | undefined;
  /** A problem with the whole submission (rate limit, honeypot). */
  readonly formError?: string | undefined;
}

const EMPTY_HELP: HelpForm = { message: "", contact: "" };

export function ProposalPage({
  page,
  proposal: p,
  group,
  help = EMPTY_HELP,
  incident = null,
}: {
  page: PageContext;
  proposal: Proposal;
  group: Group;
  help?: HelpForm;
  /** Where its incident tag leads, when it has one we know. */
  incident?: IncidentLink | null;
}) {
  const { t, locale, urls } = page;
  const zone = zoneOf(page, group);
  const noun = p.purpose === "request" ? t.need : t.offer;
  const fact = (term: string, value: string) => [h("dt", null, term), h("dd", null, value)];
  return Layout({
    page,
    title: `${noun}: ${p.title}`,
    alternate: urls.proposalObject(p.id),
    children: [
      h("h1", null, `${noun}: ${p.title}`),
      h(
        "dl",
        { class: "facts" },
        fact(
          t.status,
          takesResponses(p) && isFullyPledged(p)
            ? p.purpose === "request"
              ? t.board.fullyPledged
              : t.board.fullyTaken
            : t.statuses[p.status],
        ),
        fact(t.category, t.categories[p.category]),
        quantityFact(),
        p.location === null ? null : fact(t.where, p.location.name),
        fact(t.urgency, t.urgencies[p.urgency]),
        p.expiresAt === null
          ? null
          : fact(
              p.purpose === "request" ? t.neededBy : t.availableUntil,
              formatDeadline({ expiresAt: p.expiresAt, expiresOn: p.expiresOn }, locale, zone),
            ),
        fact(t.postedOn, formatInstant(p.createdAt, locale, zone)),
        incident === null
          ? null
          : [
              h("dt", null, t.taggedIncident),
              h("dd", null, h("a", { href: incident.href }, incident.name)),
            ],
      ),
      p.description
        .split(/\n\s*\n/)
        .filter((para) => para.trim() !== "")
        .map((para) => h("p", null, para)),
      h(
        "p",
        null,
        `${t.postedBy} `,
        h("a", { href: urls.group(group.handle).pathname }, group.name),
        ".",
      ),
      !takesResponses(p)
        ? h("p", { class: "notice" }, t.helpEnded)
        : isFullyPledged(p)
          ? h("p", { class: "notice" }, p.purpose === "request" ? t.helpCovered : t.helpTaken)
          : HelpSection({ page, proposal: p, help }),
    ],
  });

  function quantityFact() {
    const coverage = coverageOf(p);
    if (coverage === null) return null;
    const unit = coverage.total.unit;
    const total = formatQuantity(coverage.total.amount, unit, locale);
    const text =
      coverage.pledged === "0"
        ? total
        : isFullyPledged(p)
          ? t.coverageAll(total)
          : t.coverage(
              formatQuantity(coverage.pledged, unit, locale),
              total,
              formatQuantity(coverage.remaining, unit, locale),
            );
    return fact(t.quantity, text);
  }
}

/** "I can help": no account; only the coordinators see the message and the contact. */
function HelpSection({
  page,
  proposal,
  help,
}: {
  page: PageContext;
  proposal: Proposal;
  help: HelpForm;
}) {
  const { t } = page;
  const path = `/${proposal.purpose === "request" ? "needs" : "offers"}/${proposal.id}/help`;
  const messageError =
    help.problem === "required"
      ? t.helpMessageRequired
      : help.problem === "too-long"
        ? t.helpTooLong
        : null;
  return h(
    "section",
    { "aria-labelledby": "help-heading", class: "stack" },
    h("h2", { id: "help-heading" }, t.helpHeading),
    h("p", null, t.helpIntro),
    help.formError === undefined
      ? null
      : h("div", { class: "notice problem", role: "alert" }, help.formError),
    h(
      "form",
      { method: "post", action: path, class: "stack", "accept-charset": "utf-8" },
      h(
        "div",
        { class: "field" },
        h("label", { for: "help-message" }, t.helpMessage),
        h("p", { class: "hint", id: "help-message-hint" }, t.helpMessageHint),
        messageError === null
          ? null
          : h("p", { class: "error", id: "help-message-error" }, messageError),
        h(
          "textarea",
          {
            id: "help-message",
            name: "message",
            rows: 4,
            required: true,
            maxlength: 5000,
            "aria-describedby":
              messageError === null ? "help-message-hint" : "help-message-hint help-message-error",
            ...(messageError === null ? {} : { "aria-invalid": "true" }),
          },
          help.message,
        ),
      ),
      h(
        "div",
        { class: "field" },
        h("label", { for: "help-contact" }, t.helpContact),
        h("p", { class: "hint", id: "help-contact-hint" }, t.helpContactHint),
        h("input", {
          id: "help-contact",
          name: "contact",
          type: "text",
          maxlength: 500,
          autocomplete: "off",
          "aria-describedby": "help-contact-hint",
          value: help.contact,
        }),
      ),
      h(
        "div",
        { class: "trap" },
        h("label", { for: "help-website" }, t.honeypotLabel),
        h("input", {
          id: "help-website",
          name: HONEYPOT_FIELD,
          type: "text",
          tabindex: -1,
          autocomplete: "off",
          value: "",
        }),
      ),
      h("div", null, h("button", { type: "submit" }, t.helpSubmit)),
    ),
  );
}
