import { jsx as h } from "hono/jsx";
import type { PartnerLink } from "../../db/partner-links.repo.ts";
import type { Group } from "../../domain/group.ts";
import { PARTNER_LABEL_MAX } from "../../services/partner-links.ts";
import { zoneOf } from "../context.ts";
import { formatInstant } from "../format.ts";
import { FormField } from "./form-field.ts";
import { csrfInput, WorkspacePage, type WorkspaceView } from "./workspace-page.ts";

/** The help form's address through a partner link. */
export function partnerLinkUrl(origin: URL, group: Group, link: PartnerLink): string {
  return new URL(`/groups/${group.handle}/ask?partner=${link.token}`, origin).href;
}

/** Coordinators create, list and revoke the links they hand to partners. */
export function PartnerLinksPage({
  page,
  account,
  csrf,
  group,
  links,
  notice,
  input,
}: WorkspaceView & {
  group: Group;
  links: readonly PartnerLink[];
  notice?: string | undefined;
  input?: { readonly label: string; readonly problem: string } | undefined;
}) {
  const { t, locale, urls } = page;
  const zone = zoneOf(page, group);
  const base = `/workspace/groups/${group.handle}/partner-links`;
  return WorkspacePage({
    page,
    account,
    csrf,
    title: t.partnerLinksHeading(group.name),
    notice,
    actions: [{ href: `/workspace/groups/${group.handle}/triage`, text: t.triage }],
    children: [
      h("p", null, t.partnerLinksIntro),
      links.length === 0
        ? h("p", null, t.partnerLinksEmpty)
        : h(
            "ul",
            { class: "items" },
            links.map((link) =>
              h(
                "li",
                { id: `pl-${link.id}`, "data-revoked": link.revokedAt === null ? "false" : "true" },
                h("strong", null, link.label),
                " ",
                h(
                  "span",
                  { class: "meta" },
                  link.revokedAt === null
                    ? t.partnerCreatedOn(formatInstant(link.createdAt, locale, zone))
                    : t.partnerRevokedOn(formatInstant(link.revokedAt, locale, zone)),
                ),
                link.revokedAt === null
                  ? [
                      h("p", { class: "secret" }, partnerLinkUrl(urls.origin, group, link)),
                      h(
                        "form",
                        { method: "post", action: `${base}/${link.id}/revoke`, class: "inline" },
                        csrfInput(csrf),
                        h(
                          "button",
                          {
                            type: "submit",
                            class: "secondary",
                            "aria-label": t.revokePartnerLink(link.label),
                          },
                          t.revoke,
                        ),
                      ),
                    ]
                  : null,
              ),
            ),
          ),
      h("h2", null, t.createPartnerLink),
      input === undefined
        ? null
        : h("div", { class: "notice problem", role: "alert" }, t.problemSummary),
      h(
        "form",
        { method: "post", action: base, class: "stack" },
        csrfInput(csrf),
        FormField({
          id: "pl-label",
          name: "label",
          label: t.partnerLabel,
          hint: t.partnerLabelHint,
          problem: input?.problem,
          control: (a) =>
            h("input", {
              ...a,
              type: "text",
              required: true,
              maxlength: PARTNER_LABEL_MAX,
              value: input?.label,
            }),
        }),
        h("div", null, h("button", { type: "submit" }, t.createPartnerLink)),
      ),
    ],
  });
}
